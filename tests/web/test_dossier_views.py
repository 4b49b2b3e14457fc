"""The pages of online dossiers: the step-by-step form (errors next to fields, in Vietnamese, nothing lost),
documents (uploads checked by content, the store), review and submission, the citizen's dossiers and notices,
owner-only downloads, ratings, the public look-up, and query counts on list pages."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dichvucong.dossiers import drafts, services, sync
from dichvucong.dossiers.models import Dossier, Draft, Notification, Rating, StoredDocument
from tests.conftest import make_citizen, make_procedure, portal_session_cookie
from tests.dossiers.factories import (
    APPLICANT_ID,
    BA_DINH,
    BIRTH,
    HA_NOI,
    birth_procedure_with_eform,
    birth_steps,
    citizen_with_address,
    filled_draft,
    image_bytes,
    pdf_bytes,
    post_data,
    submitted_dossier,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OUTBOX_DISPATCH = "none"
    birth_procedure_with_eform()


@pytest.fixture
def citizen() -> Any:
    return citizen_with_address()


@pytest.fixture
def signed_in(client: Client, citizen: Any) -> Client:
    client.cookies["sessionid"] = portal_session_cookie(citizen)
    return client


def text(response: Any) -> str:
    return unescape(response.content.decode())


def step_url(draft: Draft, step: int) -> str:
    return reverse("web:draft_step", args=[draft.pk, step])


def start(client: Client) -> Draft:
    response = client.post(reverse("web:dossier_start", args=[BIRTH]))
    assert response.status_code == 302
    return Draft.objects.get()


# --- starting ---------------------------------------------------------------------------------------------------


def test_the_procedure_page_offers_online_submission(client: Client) -> None:
    page = text(client.get(reverse("web:procedure", args=[BIRTH])))
    assert "Nộp hồ sơ trực tuyến" in page and reverse("web:dossier_start", args=[BIRTH]) in page
    make_procedure(code="1.000001", online_level="none", methods=[{"channel": "in_person", "time_limit": 5}])
    assert "Nộp hồ sơ trực tuyến" not in text(client.get(reverse("web:procedure", args=["1.000001"])))


def test_the_start_page_says_what_to_prepare_and_asks_visitors_to_sign_in(client: Client) -> None:
    page = text(client.get(reverse("web:dossier_start", args=[BIRTH])))
    assert "Giấy chứng sinh" in page and "Thông tin người mẹ" in page
    assert "Đăng nhập để nộp hồ sơ" in page
    response = client.post(reverse("web:dossier_start", args=[BIRTH]))
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/")
    assert not Draft.objects.exists()


def test_starting_opens_the_first_step_prefilled_from_the_profile(signed_in: Client) -> None:
    draft = start(signed_in)
    page = text(signed_in.get(step_url(draft, 1)))
    assert "Bước 1/7" in page
    assert 'value="Nguyễn Văn An"' in page and 'value="0912345678"' in page
    assert f'<option value="{BA_DINH}" selected>Phường Ba Đình</option>' in page
    assert 'id="f-relation-1"' in page  # radio buttons, not a drop-down
    # Starting again resumes the same draft.
    response = signed_in.post(reverse("web:dossier_start", args=[BIRTH]))
    assert response["Location"] == step_url(draft, 1) and Draft.objects.count() == 1


# --- the form ---------------------------------------------------------------------------------------------------


def test_errors_are_shown_next_to_their_fields_and_linked_from_the_summary(signed_in: Client) -> None:
    draft = start(signed_in)
    typed = birth_steps()[1] | {"child_name": "", "child_date_of_birth": "31/02/2026"}
    response = signed_in.post(step_url(draft, 2), post_data(typed) | {"action": "next"})
    page = text(response)
    assert response.status_code == 400
    assert "<title>Lỗi: Thông tin của trẻ" in page
    summary = page[page.index('id="tom-tat-loi"') : page.index("</div>", page.index('id="tom-tat-loi"'))]
    assert 'href="#f-child_name">Vui lòng nhập họ, chữ đệm, tên của trẻ.' in summary
    assert (
        "autofocus" in page[page.index('class="error-summary"') - 10 : page.index('id="tom-tat-loi"') + 200]
    )
    assert 'id="f-child_date_of_birth-loi"' in page
    assert re.search(
        r'id="f-child_date_of_birth"[^>]*aria-describedby="f-child_date_of_birth-goi-y f-child_date_of_birth-loi"',
        page,
    )
    assert re.search(r'id="f-child_date_of_birth"[^>]*aria-invalid="true"', page)
    assert 'value="31/02/2026"' in page  # what was typed stays, to be corrected
    draft.refresh_from_db()
    assert draft.data["child_sex"] == "male" and draft.step == 0


def test_a_valid_step_goes_on_and_back_keeps_what_was_typed(signed_in: Client) -> None:
    draft = start(signed_in)
    response = signed_in.post(step_url(draft, 1), post_data(birth_steps()[0]) | {"action": "next"})
    assert response.status_code == 302 and response["Location"] == step_url(draft, 2)
    response = signed_in.post(step_url(draft, 2), {"child_name": "Nguyễn Minh Khang", "action": "back"})
    assert response["Location"] == step_url(draft, 1)
    draft.refresh_from_db()
    assert draft.data["child_name"] == "Nguyễn Minh Khang" and draft.data["relation"] == "cha"


def test_saving_to_finish_later_keeps_a_half_filled_step(signed_in: Client) -> None:
    draft = start(signed_in)
    response = signed_in.post(step_url(draft, 3), {"mother_name": "Trần Thị Bình", "action": "save"})
    assert response.status_code == 200
    assert "Đã lưu." in text(response)
    draft.refresh_from_db()
    assert draft.data["mother_name"] == "Trần Thị Bình"


def test_without_javascript_choosing_a_province_then_refresh_lists_its_communes(signed_in: Client) -> None:
    draft = start(signed_in)
    form = {"mother_residence__province": HA_NOI, "action": "refresh"}
    page = text(signed_in.post(step_url(draft, 3), form))
    assert f'<option value="{BA_DINH}">Phường Ba Đình</option>' in page
    assert "Hiện xã, phường của tỉnh đã chọn" in page  # the button, for browsers without JavaScript


def test_the_communes_of_a_province_come_as_options_for_htmx(client: Client) -> None:
    page = text(client.get(reverse("web:draft_communes"), {"mother_residence__province": HA_NOI}))
    assert page.startswith('<option value="">') and "Phường Ba Đình" in page


def test_a_step_that_does_not_exist_is_404_and_drafts_are_their_owners_only(
    signed_in: Client, client: Client
) -> None:
    draft = start(signed_in)
    assert signed_in.get(step_url(draft, 8)).status_code == 404
    other = Client()
    other.cookies["sessionid"] = portal_session_cookie(
        make_citizen(username="0987654321", phone="0987654321")
    )
    assert other.get(step_url(draft, 1)).status_code == 404
    assert other.post(step_url(draft, 1), post_data(birth_steps()[0])).status_code == 404


def test_a_draft_is_resumed_where_it_was_left_or_discarded(signed_in: Client, citizen: Any) -> None:
    draft = start(signed_in)
    signed_in.post(step_url(draft, 1), post_data(birth_steps()[0]) | {"action": "next"})
    assert signed_in.get(reverse("web:draft_resume", args=[draft.pk]))["Location"] == step_url(draft, 2)
    page = text(signed_in.get(reverse("web:my_dossiers")))
    assert reverse("web:draft_resume", args=[draft.pk]) in page and "Hồ sơ đang soạn" in page
    response = signed_in.post(reverse("web:draft_discard", args=[draft.pk]), follow=True)
    assert "Đã xóa hồ sơ đang soạn." in text(response)
    assert not Draft.objects.exists()


# --- documents --------------------------------------------------------------------------------------------------


def documents_url(draft: Draft) -> str:
    return reverse("web:draft_documents", args=[draft.pk])


def test_a_bad_upload_is_refused_next_to_its_slot_and_the_good_one_is_kept(signed_in: Client) -> None:
    draft = start(signed_in)
    form = {
        "tep-doc-2": upload("chung-sinh.pdf", pdf_bytes()),
        "tep-doc-6": upload("cccd.pdf", b"<html><body>not a pdf</body></html>"),
        "action": "upload",
    }
    response = signed_in.post(documents_url(draft), form)
    page = text(response)
    assert response.status_code == 400
    assert 'href="#tep-doc-6">Tệp “cccd.pdf” không phải là tệp PDF, JPG, PNG, TIFF.' in page
    assert 'id="loi-doc-6"' in page and re.search(r'id="tep-doc-6"[^>]*aria-invalid="true"', page)
    assert "chung-sinh" in page  # the good file is attached and listed
    draft.refresh_from_db()
    assert list(draft.documents) == ["doc-2"]
    assert StoredDocument.objects.count() == 1


def test_documents_can_be_picked_from_the_store_and_removed(signed_in: Client, citizen: Any) -> None:
    draft = start(signed_in)
    signed_in.post(
        reverse("web:document_store"),
        {"tep": upload("the-can-cuoc.jpg", image_bytes()), "ten": "Thẻ căn cước"},
    )
    stored = StoredDocument.objects.get(owner=citizen)
    page = text(signed_in.get(documents_url(draft)))
    assert f'<option value="{stored.pk}">Thẻ căn cước' in page
    response = signed_in.post(documents_url(draft), {"kho-doc-6": str(stored.pk), "action": "upload"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.documents == {"doc-6": [stored.pk]}
    signed_in.post(documents_url(draft), {"action": f"go-bo:doc-6:{stored.pk}"})
    draft.refresh_from_db()
    assert draft.documents == {}


def test_going_on_without_a_required_document_says_which(signed_in: Client) -> None:
    draft = start(signed_in)
    response = signed_in.post(documents_url(draft), {"action": "next"})
    assert response.status_code == 400
    assert 'href="#tep-doc-2">Vui lòng đính kèm: Giấy chứng sinh' in text(response)


# --- review and submission --------------------------------------------------------------------------------------


def test_the_review_lists_what_is_missing_with_links_to_the_step(signed_in: Client, citizen: Any) -> None:
    draft = start(signed_in)
    page = text(signed_in.get(reverse("web:draft_review", args=[draft.pk])))
    assert "Hồ sơ chưa đủ để nộp" in page
    assert f'href="{step_url(draft, 2)}#f-child_name"' in page
    assert f'href="{documents_url(draft)}#tep-doc-2"' in page
    assert 'id="nop"' not in page
    response = signed_in.post(reverse("web:draft_review", args=[draft.pk]))
    assert response.status_code == 400 and not Dossier.objects.exists()


def test_a_complete_draft_is_submitted_once_and_shows_its_code_and_appointment(
    signed_in: Client, citizen: Any
) -> None:
    draft = filled_draft(citizen)
    review = text(signed_in.get(reverse("web:draft_review", args=[draft.pk])))
    assert "Ủy ban nhân dân phường Ba Đình" in review and 'id="nop"' in review
    assert (
        "Nguyễn Minh Khang" in review
        and "Bệnh viện Phụ sản Hà Nội, Phường Ngọc Hà, Thành phố Hà Nội" in review
    )
    response = signed_in.post(reverse("web:draft_review", args=[draft.pk]))
    dossier = Dossier.objects.get()
    assert response["Location"] == reverse("web:dossier_submitted", args=[dossier.code])
    again = signed_in.post(reverse("web:draft_review", args=[draft.pk]))  # a second click
    assert again["Location"] == reverse("web:dossier", args=[dossier.code]) and Dossier.objects.count() == 1
    page = text(signed_in.get(response["Location"]))
    assert dossier.code in page and "Ngày hẹn trả kết quả" in page
    assert reverse("web:dossier_form", args=[dossier.code, "01"]) in page
    assert signed_in.get(step_url(draft, 1))["Location"] == reverse("web:dossier", args=[dossier.code])


# --- the citizen's dossiers ---------------------------------------------------------------------------------------


def advance(dossier: Dossier, *statuses: int) -> None:
    source = sync.SyncSource(agency_id=dossier.agency_id, allowed_agency_ids=frozenset({dossier.agency_id}))
    start_at = dossier.submitted_at or dt.datetime.now(dt.UTC)
    events = [
        sync.EventIn(
            event_id=f"ev-{status}",
            dossier_code=dossier.code,
            status=status,
            occurred_at=start_at + dt.timedelta(minutes=10 * (n + 1)),
            unit="Bộ phận Một cửa",
        )
        for n, status in enumerate(statuses)
    ]
    sync.ingest(source=source, events=events, now=start_at + dt.timedelta(days=1))
    dossier.refresh_from_db()


def test_my_dossiers_lists_dossiers_and_drafts_in_a_fixed_number_of_queries(
    signed_in: Client, citizen: Any, django_assert_max_num_queries: Any
) -> None:
    for hour in range(3):
        submitted_dossier(citizen, now=dt.datetime(2026, 11, 2, 2 + hour, tzinfo=dt.UTC))
    drafts.start_draft(owner=citizen, procedure_code=BIRTH)
    with django_assert_max_num_queries(10):
        response = signed_in.get(reverse("web:my_dossiers"))
    page = text(response)
    assert page.count("Thủ tục đăng ký khai sinh") >= 4  # three dossiers and the draft
    assert "Quá hạn" in page  # appointments on 2 November 2026 have passed
    for hour in range(3, 8):
        submitted_dossier(citizen, now=dt.datetime(2026, 11, 2, 2 + hour, tzinfo=dt.UTC))
    with django_assert_max_num_queries(10):
        signed_in.get(reverse("web:my_dossiers"))


def test_the_dossier_page_shows_status_timeline_documents_and_forms(signed_in: Client, citizen: Any) -> None:
    dossier = submitted_dossier(citizen)
    advance(dossier, 2, 4)
    page = text(signed_in.get(reverse("web:dossier", args=[dossier.code])))
    assert 'id="trang-thai">Đang xử lý' in page
    assert page.count('class="timeline-item') == 3
    assert "Giấy chứng sinh" in page and reverse("web:dossier_form", args=[dossier.code, "06"]) in page
    assert "Nội dung đã khai" in page and "Trần Thị Bình" in page
    assert "Đánh giá mức độ hài lòng" not in page


def test_results_and_documents_are_downloaded_only_by_their_owner(signed_in: Client, citizen: Any) -> None:
    dossier = submitted_dossier(citizen)
    result = services.add_result(
        dossier=dossier,
        name="Giấy khai sinh",
        code="",
        content=pdf_bytes("Giay khai sinh"),
        filename="kq.pdf",
        content_type="application/pdf",
    )
    url = reverse("web:dossier_document", args=[dossier.code, result.pk])
    response = signed_in.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''Gi%E1%BA%A5y%20khai%20sinh.pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "Tải về: Giấy khai sinh" in text(signed_in.get(reverse("web:dossier", args=[dossier.code])))
    other = Client()
    other.cookies["sessionid"] = portal_session_cookie(
        make_citizen(username="0987654321", phone="0987654321")
    )
    assert other.get(url).status_code == 404
    assert other.get(reverse("web:dossier", args=[dossier.code])).status_code == 404
    assert other.get(reverse("web:stored_document", args=[result.document_id])).status_code == 404
    assert Client().get(url).status_code == 302  # to the sign-in page


def test_the_receipt_and_control_sheet_are_pdf_attachments_naming_the_code(
    signed_in: Client, citizen: Any
) -> None:
    from pypdf import PdfReader

    dossier = submitted_dossier(citizen)
    for form, name in (("01", "phieu-tiep-nhan"), ("06", "phieu-kiem-soat")):
        response = signed_in.get(reverse("web:dossier_form", args=[dossier.code, form]))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'attachment; filename="{name}-{dossier.code}.pdf"'
        import io

        content = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
        assert dossier.code in content
    assert signed_in.get(reverse("web:dossier_form", args=[dossier.code, "02"])).status_code == 404
    assert signed_in.get(reverse("web:dossier_form", args=[dossier.code, "99"])).status_code == 404


def test_a_finished_dossier_is_rated_on_its_page_and_the_rating_is_shown(
    signed_in: Client, citizen: Any
) -> None:
    dossier = submitted_dossier(citizen)
    rate_url = reverse("web:dossier_rate", args=[dossier.code])
    assert "Bạn có thể đánh giá khi hồ sơ đã có kết quả." in text(signed_in.get(rate_url))
    advance(dossier, 2, 4, 9)
    page = text(signed_in.get(reverse("web:dossier", args=[dossier.code])))
    assert 'id="gui-danh-gia"' in page and 'name="c9"' in page and 'name="overall"' in page
    answers = {f"c{n}": "2" for n in range(1, 10)} | {"convenience": "2"}
    response = signed_in.post(rate_url, answers)
    assert response.status_code == 400
    page = text(response)
    assert "còn 1 câu" in page and 'id="loi-overall"' in page
    assert 'id="c1-2" name="c1" value="2" checked' in page  # answers given are kept
    response = signed_in.post(rate_url, answers | {"overall": "1", "comment": "Nhanh gọn"})
    assert response.status_code == 302
    rating = Rating.objects.get()
    assert (rating.total, rating.overall, rating.comment) == (18, 1, "Nhanh gọn")
    page = text(signed_in.get(reverse("web:dossier", args=[dossier.code])))
    assert (
        "Bạn đã đánh giá hồ sơ này: <strong>18/18 điểm</strong>" in page and 'id="gui-danh-gia"' not in page
    )
    assert "Điểm hài lòng trung bình của cơ quan: 18,0/18 (Xuất sắc), 1 lượt đánh giá." in page


# --- the document store -----------------------------------------------------------------------------------------


def test_the_store_lists_uploads_refuses_bad_files_and_deletes_unused_documents(
    signed_in: Client, citizen: Any, django_assert_max_num_queries: Any
) -> None:
    response = signed_in.post(
        reverse("web:document_store"), {"tep": upload("trang.pdf", b"<html></html>"), "ten": "Giấy tờ X"}
    )
    assert response.status_code == 400
    page = text(response)
    assert "không phải là tệp PDF" in page and 'value="Giấy tờ X"' in page
    signed_in.post(reverse("web:document_store"), {"tep": upload("anh.png", image_bytes("PNG"))})
    dossier = submitted_dossier(citizen)
    with django_assert_max_num_queries(10):
        page = text(signed_in.get(reverse("web:document_store")))
    assert "anh" in page and "Đang gắn với hồ sơ, không xóa được." in page
    free = StoredDocument.objects.get(title="anh")
    download = signed_in.get(reverse("web:stored_document", args=[free.pk]))
    assert download["Content-Type"] == "image/png" and download["Content-Disposition"].startswith(
        "attachment;"
    )
    signed_in.post(reverse("web:stored_document_delete", args=[free.pk]))
    assert not StoredDocument.objects.filter(pk=free.pk).exists()
    held = dossier.documents.get().document
    response = signed_in.post(reverse("web:stored_document_delete", args=[held.pk]), follow=True)
    assert "không xóa được" in text(response) and StoredDocument.objects.filter(pk=held.pk).exists()


# --- notices ----------------------------------------------------------------------------------------------------


def test_notices_show_in_the_header_and_are_marked_read(
    signed_in: Client, citizen: Any, django_assert_max_num_queries: Any
) -> None:
    dossier = submitted_dossier(citizen)
    advance(dossier, 2)
    services.notify_status(
        dossier_id=dossier.pk, code=dossier.code, owner_id=citizen.pk, status=2, event_id="ev-2"
    )
    page = text(signed_in.get(reverse("web:home")))
    assert '<span class="nav-count">2<span class="visually-hidden"> chưa đọc' in page
    with django_assert_max_num_queries(10):
        page = text(signed_in.get(reverse("web:notifications")))
    assert f"Hồ sơ {dossier.code}: Được tiếp nhận" in page and page.count("badge-new") == 2
    one = Notification.objects.filter(user=citizen).order_by("created_at").first()
    signed_in.post(reverse("web:notifications"), {"id": str(one.pk)})
    assert Notification.objects.filter(user=citizen, read_at__isnull=True).count() == 1
    signed_in.post(reverse("web:notifications"))
    assert not Notification.objects.filter(user=citizen, read_at__isnull=True).exists()
    assert "nav-count" not in text(signed_in.get(reverse("web:home")))


# --- the public look-up -----------------------------------------------------------------------------------------


def test_the_public_look_up_shows_progress_and_no_personal_data(client: Client, citizen: Any) -> None:
    dossier = submitted_dossier(citizen)
    advance(dossier, 2)
    response = client.post(reverse("web:dossier_lookup"), {"code": dossier.code, "id_number": APPLICANT_ID})
    page = text(response)
    assert (
        response.status_code == 200 and "Được tiếp nhận" in page and "Ủy ban nhân dân phường Ba Đình" in page
    )
    main = page[page.index('id="ket-qua-tra-cuu"') :]
    for personal in ("Nguyễn Văn An", "Minh Khang", APPLICANT_ID, "0912345678", "Đội Cấn"):
        assert personal not in main


def test_a_wrong_code_and_a_wrong_number_get_the_same_answer(client: Client, citizen: Any) -> None:
    dossier = submitted_dossier(citizen)
    wrong_number = client.post(
        reverse("web:dossier_lookup"), {"code": dossier.code, "id_number": "001093054322"}
    )
    wrong_code = client.post(
        reverse("web:dossier_lookup"), {"code": dossier.code + "9", "id_number": APPLICANT_ID}
    )
    assert wrong_number.status_code == wrong_code.status_code == 404

    def answer(response: Any) -> str:
        page = text(response)
        return page[page.index('id="tom-tat-loi"') : page.index("</div>", page.index('id="tom-tat-loi"'))]

    assert answer(wrong_number) == answer(wrong_code)
    assert "Không tìm thấy hồ sơ với mã hồ sơ và số giấy tờ đã nhập." in answer(wrong_code)


def test_the_look_up_is_refused_after_too_many_failures(client: Client, citizen: Any, settings: Any) -> None:
    from dichvucong.web import dossier_views

    dossier = submitted_dossier(citizen)
    for n in range(dossier_views.LOOKUP_ATTEMPTS):
        response = client.post(reverse("web:dossier_lookup"), {"code": f"X-{n}", "id_number": APPLICANT_ID})
        assert response.status_code == 404
    response = client.post(reverse("web:dossier_lookup"), {"code": dossier.code, "id_number": APPLICANT_ID})
    assert response.status_code == 429 and "quá nhiều lần" in text(response)
