"""The feedback pages: the form (labels, errors next to their fields with everything typed kept, attachments,
prefilled from the account and from the sender's dossier), the page of a feedback (everything for its sender,
only the public texts of a published one for anyone else, 404 otherwise), the look-up by code and phone
(Vietnamese error, throttled), rating (sender only, answered only), the sender's own list, the published list,
the agencies and procedures suggested, search hits of kind feedback, and query counts on list pages."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dichvucong.feedback.models import Feedback, FeedbackRating
from dichvucong.web import feedback_views
from tests.conftest import make_citizen, portal_session_cookie
from tests.dossiers.factories import (
    BA_DINH,
    BIRTH,
    HA_NOI,
    birth_procedure_with_eform,
    citizen_with_address,
    image_bytes,
    pdf_bytes,
    submitted_dossier,
    upload,
)
from tests.feedback.factories import (
    ANSWER,
    PUBLIC,
    SENDER_ADDRESS,
    SENDER_NAME,
    answered_feedback,
    forwarded_feedback,
    make_feedback,
    published_feedback,
    submission,
)

pytestmark = pytest.mark.django_db

CONTENT = submission().content
TITLE = submission().title


@pytest.fixture(autouse=True)
def _setup(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    birth_procedure_with_eform()


@pytest.fixture
def citizen() -> Any:
    return citizen_with_address()


def sign_in(client: Client, user: Any) -> Client:
    client.cookies["sessionid"] = portal_session_cookie(user)
    return client


@pytest.fixture
def signed_in(client: Client, citizen: Any) -> Client:
    return sign_in(client, citizen)


def text(response: Any) -> str:
    return unescape(response.content.decode())


def detail_url(code: str) -> str:
    return reverse("web:feedback_detail", kwargs={"code": code})


def form_data(**overrides: Any) -> dict[str, Any]:
    """What a browser posts for a complete feedback about a late birth registration in Ba Đình."""
    data: dict[str, Any] = {
        "topic": "procedure",
        "kind": "delay_harassment",
        "procedure_code": BIRTH,
        "title": TITLE,
        "content": CONTENT,
        "place__province": HA_NOI,
        "unit_code": BA_DINH,
        "address": "Bộ phận một cửa phường Ba Đình",
        "agency_code": "",
        "sender_kind": "citizen",
        "sender_name": SENDER_NAME,
        "sender_address": SENDER_ADDRESS,
        "sender_phone": "0912 345 678",
        "sender_email": "an.nguyen@example.vn",
        "consent_to_publish": "on",
        "action": "send",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- the form ---------------------------------------------------------------------------------------------------


def test_the_form_has_a_label_for_every_input_and_says_where_complaints_go(client: Client) -> None:
    response = client.get(reverse("web:feedback_new"))
    assert response.status_code == 200
    page = text(response)
    inputs = set(re.findall(r'<(?:input|select|textarea)[^>]*\sid="([^"]+)"', page))
    labelled = set(re.findall(r'<label[^>]*\sfor="([^"]+)"', page))
    assert {
        "title",
        "content",
        "attachments",
        "sender_name",
        "sender_phone",
        "unit_code",
        "province",
    } <= inputs
    assert inputs - {"q"} <= labelled, inputs - labelled
    assert "<legend" in page and 'name="topic"' in page and 'name="sender_kind"' in page
    assert "Luật Khiếu nại" in page and "Luật Tố cáo" in page
    assert "PDF, JPG, PNG" in page and "tối đa 5 tệp, mỗi tệp tối đa 10 MB" in page
    assert "Tôi không biết" in page and 'id="agency_code-none"' in page
    assert "Bạn chưa đăng nhập: vẫn gửi được" in page


def test_the_form_is_prefilled_with_the_signed_in_persons_contact(signed_in: Client) -> None:
    page = text(signed_in.get(reverse("web:feedback_new")))
    assert 'value="Nguyễn Văn An"' in page and 'value="0912345678"' in page
    assert 'value="an.nguyen@example.vn"' in page and "12 phố Đội Cấn" in page
    assert "Bạn chưa đăng nhập" not in page


def test_the_form_opened_from_a_procedure_names_it(client: Client) -> None:
    page = text(client.get(reverse("web:feedback_new"), {"thu-tuc": BIRTH}))
    assert f'id="procedure_code" name="procedure_code" value="{BIRTH}"' in page
    assert 'id="topic-procedure" name="topic" value="procedure" checked' in page
    assert "Thủ tục đăng ký khai sinh" in page  # recognised, and its agencies suggested
    assert 'value="procedure" checked' not in text(client.get(reverse("web:feedback_new")))


def test_refused_fields_show_their_error_beside_them_and_keep_what_was_typed(client: Client) -> None:
    response = client.post(
        reverse("web:feedback_new"),
        form_data(
            title="",
            sender_phone="12345",
            content="Ngắn quá",
            address="Số 5 ngõ 10",
            attachments=upload("anh.jpg", image_bytes()),
        ),
    )
    assert response.status_code == 400
    page = text(response)
    assert Feedback.objects.count() == 0
    assert 'id="tom-tat-loi"' in page and 'href="#title"' in page and 'href="#sender_phone"' in page
    assert re.search(r'id="title-loi">.*Vui lòng nhập tiêu đề', page)
    assert 'aria-describedby="title-goi-y title-loi"' in page and 'aria-invalid="true"' in page
    assert re.search(r'id="sender_phone-loi">.*Số điện thoại không hợp lệ', page)
    assert re.search(r'id="content-loi">.*quá ngắn', page)
    # Everything typed comes back.
    assert 'value="12345"' in page and ">Ngắn quá</textarea>" in page and 'value="Số 5 ngõ 10"' in page
    assert (
        f'value="{SENDER_NAME}"' in page
        and 'id="consent_to_publish" name="consent_to_publish" value="on" checked' in page
    )
    assert re.search(r'<option value="delay_harassment" selected', page)
    assert re.search(rf'<option value="{BA_DINH}" selected', page)
    assert re.search(r'id="topic-procedure" name="topic" value="procedure" checked', page)
    # A browser cannot keep files: the sender is told to choose them again.
    assert "Vui lòng chọn lại tệp" in page


def test_a_procedure_named_instead_of_coded_is_found_and_an_unknown_one_is_refused(client: Client) -> None:
    response = client.post(
        reverse("web:feedback_new"), form_data(procedure_code="Không có thủ tục này", title="")
    )
    assert response.status_code == 400
    page = text(response)
    assert "Không tìm thấy thủ tục “Không có thủ tục này”" in page and "Vui lòng nhập tiêu đề" in page
    response = client.post(reverse("web:feedback_new"), form_data(procedure_code="thu tuc dang ky khai sinh"))
    assert response.status_code == 302
    assert Feedback.objects.get().procedure_code == BIRTH


def test_a_valid_submission_with_an_attachment_shows_its_tracking_code(client: Client) -> None:
    response = client.post(
        reverse("web:feedback_new"), form_data(attachments=upload("giay-hen.pdf", pdf_bytes("Giay hen")))
    )
    feedback = Feedback.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(feedback.code)
    assert re.fullmatch(r"PAKN-\d{6}-[0-9A-Z]{6}", feedback.code)
    assert feedback.user is None and feedback.unit is not None and feedback.unit.code == BA_DINH
    assert feedback.attachments.count() == 1 and feedback.consent_to_publish
    page = text(client.get(response["Location"]))
    assert re.search(rf'id="ma-phan-anh">{feedback.code}<', page)
    assert "Đã gửi phản ánh, kiến nghị" in page and "5 ngày làm việc" in page
    assert "Hãy ghi lại mã phản ánh và số điện thoại" in page
    assert CONTENT in page and "giay-hen" in page
    # The banner is shown once; the anonymous sender still sees their feedback in this session.
    again = text(client.get(detail_url(feedback.code)))
    assert "Đã gửi phản ánh, kiến nghị" not in again and CONTENT in again


def test_a_signed_in_sender_finds_their_feedback_under_their_account(signed_in: Client, citizen: Any) -> None:
    response = signed_in.post(reverse("web:feedback_new"), form_data(consent_to_publish=None))
    feedback = Feedback.objects.get()
    assert response.status_code == 302 and feedback.user == citizen and not feedback.consent_to_publish
    page = text(signed_in.get(reverse("web:my_feedback")))
    assert feedback.code in page and TITLE in page


def test_the_form_opened_from_the_owners_dossier_is_prefilled(signed_in: Client, citizen: Any) -> None:
    dossier = submitted_dossier(citizen)
    page = text(signed_in.get(reverse("web:feedback_new"), {"ho-so": dossier.code}))
    assert f'value="{dossier.code}"' in page and f'value="{BIRTH}"' in page
    assert re.search(
        rf'id="agency_code-{dossier.agency.code}" name="agency_code" value="[^"]+" checked', page
    )
    assert not re.search(r'id="agency_code-none" name="agency_code" value="" checked', page)
    assert re.search(r'<option value="delay_harassment" selected', page)  # the appointment has passed
    assert f"Phản ánh về hồ sơ {dossier.code}" in page
    agency = dossier.agency
    place = agency.administrative_unit or agency.province
    assert place is not None
    assert re.search(rf'<option value="{place.code}" selected', page)
    # Someone else's dossier fills only its code (the service will refuse it).
    other = make_citizen(phone="0987654321", username="0987654321", full_name="Trần Thị Bình")
    theirs = text(sign_in(Client(), other).get(reverse("web:feedback_new"), {"ho-so": dossier.code}))
    assert f'value="{dossier.code}"' in theirs and f"Phản ánh về hồ sơ {dossier.code}" not in theirs
    assert f'id="agency_code-{dossier.agency.code}"' not in theirs


def test_the_dossier_page_links_to_feedback_about_it(signed_in: Client, citizen: Any) -> None:
    dossier = submitted_dossier(citizen)
    page = text(signed_in.get(reverse("web:dossier", kwargs={"code": dossier.code})))
    link = reverse("web:feedback_new") + f"?ho-so={dossier.code}"
    assert link in page and "Phản ánh về hồ sơ này" in page
    assert 'id="qua-han-phan-anh"' in page  # 2 November 2026 has passed: the link is a button in a notice


def test_the_agencies_fragment_suggests_the_places_committee_and_i_do_not_know(client: Client) -> None:
    page = text(
        client.get(reverse("web:feedback_agencies"), {"place__province": HA_NOI, "unit_code": BA_DINH})
    )
    assert 'name="agency_code"' in page and "Tôi không biết" in page
    assert "Ủy ban nhân dân" in page or "UBND" in page
    empty = text(client.get(reverse("web:feedback_agencies")))
    assert "Chọn thủ tục, lĩnh vực hoặc nơi xảy ra" in empty and empty.count('type="radio"') == 1


def test_the_procedure_list_suggests_procedures_by_name_without_diacritics(client: Client) -> None:
    page = text(client.get(reverse("web:feedback_procedures"), {"procedure_code": "khai sinh"}))
    assert f'<option value="{BIRTH} – ' in page
    assert text(client.get(reverse("web:feedback_procedures"), {"procedure_code": "k"})).strip() == ""


# --- who sees what ----------------------------------------------------------------------------------------------


def test_a_stranger_gets_404_on_feedback_that_is_not_published(client: Client) -> None:
    for feedback in (make_feedback(), forwarded_feedback(), answered_feedback()):
        assert client.get(detail_url(feedback.code)).status_code == 404
    assert client.get(detail_url("PAKN-000000-XXXXXX")).status_code == 404


def test_a_stranger_sees_only_the_public_texts_of_a_published_feedback(client: Client) -> None:
    feedback = published_feedback()
    response = client.get(detail_url(feedback.code))
    assert response.status_code == 200
    page = text(response)
    assert (
        PUBLIC["public_title"] in page
        and PUBLIC["public_content"] in page
        and PUBLIC["public_answer"] in page
    )
    assert "Ủy ban nhân dân" in page
    for private in (SENDER_NAME, "0912345678", "0912 345 678", "an.nguyen@example.vn", SENDER_ADDRESS):
        assert private not in page
    assert CONTENT not in page and TITLE not in page and ANSWER not in page
    # The same for another signed-in citizen.
    other = make_citizen(phone="0987654321", username="0987654321", full_name="Trần Thị Bình")
    theirs = text(sign_in(Client(), other).get(detail_url(feedback.code)))
    assert PUBLIC["public_answer"] in theirs and CONTENT not in theirs and SENDER_NAME not in theirs


def test_the_owner_sees_everything_about_their_feedback(signed_in: Client, citizen: Any) -> None:
    feedback = forwarded_feedback(user=citizen, attachments=(upload("bien-nhan.png", image_bytes("PNG")),))
    response = signed_in.get(detail_url(feedback.code))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    page = text(response)
    assert TITLE in page and CONTENT in page and "bien-nhan" in page and SENDER_ADDRESS in page
    assert "Đang xử lý" in page and "Chuyển cơ quan có thẩm quyền" in page and "Tiếp nhận" in page
    assert feedback.agency.name in page and "Hạn trả lời" in page
    assert 'id="gui-danh-gia"' not in page  # not answered yet


# --- look-up ------------------------------------------------------------------------------------------------------


def test_the_look_up_by_code_and_phone_opens_the_feedback_for_this_browser(client: Client) -> None:
    feedback = make_feedback()
    assert client.get(detail_url(feedback.code)).status_code == 404
    response = client.post(
        reverse("web:feedback_lookup"), {"code": feedback.code.lower(), "phone": "0912345678"}
    )
    assert response.status_code == 302 and response["Location"] == detail_url(feedback.code)
    page = text(client.get(detail_url(feedback.code)))
    assert CONTENT in page and "Mới tiếp nhận" in page


def test_a_wrong_phone_gets_a_vietnamese_error_and_misses_are_throttled(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(feedback_views, "LOOKUP_ATTEMPTS", 3)
    feedback = make_feedback()
    for _ in range(3):
        response = client.post(reverse("web:feedback_lookup"), {"code": feedback.code, "phone": "0987654321"})
        assert response.status_code == 404
    page = text(response)
    assert re.search(r'id="phone-loi">.*Không tìm thấy phản ánh, kiến nghị có mã và số điện thoại này', page)
    assert f'value="{feedback.code}"' in page and 'value="0987654321"' in page
    blocked = client.post(reverse("web:feedback_lookup"), {"code": feedback.code, "phone": "0912345678"})
    assert blocked.status_code == 429 and "quá nhiều lần" in text(blocked)
    assert client.get(detail_url(feedback.code)).status_code == 404
    empty = client.post(reverse("web:feedback_lookup"), {"code": "", "phone": ""})
    assert empty.status_code == 400 and "Vui lòng nhập mã phản ánh" in text(empty)


# --- rating -------------------------------------------------------------------------------------------------------


def test_only_the_sender_rates_and_only_an_answered_feedback(signed_in: Client, citizen: Any) -> None:
    waiting = forwarded_feedback(user=citizen)
    response = signed_in.post(
        reverse("web:feedback_rate", args=[waiting.code]), {"satisfaction": "satisfied"}
    )
    assert response.status_code == 409 and not FeedbackRating.objects.exists()
    answered = answered_feedback(user=citizen)
    page = text(signed_in.get(detail_url(answered.code)))
    assert 'id="gui-danh-gia"' in page and ANSWER in page
    missing = signed_in.post(reverse("web:feedback_rate", args=[answered.code]), {"comment": "Tốt"})
    assert missing.status_code == 400 and "Vui lòng chọn mức độ hài lòng" in text(missing)
    assert ">Tốt</textarea>" in text(missing)
    # Someone else cannot rate it, even knowing the code.
    stranger = Client()
    response = stranger.post(
        reverse("web:feedback_rate", args=[answered.code]), {"satisfaction": "satisfied"}
    )
    assert response.status_code == 404 and not FeedbackRating.objects.exists()
    response = signed_in.post(
        reverse("web:feedback_rate", args=[answered.code]),
        {"satisfaction": "very_satisfied", "comment": "Cảm ơn"},
    )
    assert response.status_code == 302 and response["Location"].endswith("#danh-gia")
    rating = FeedbackRating.objects.get(feedback=answered)
    assert rating.satisfaction == "very_satisfied" and rating.comment == "Cảm ơn"
    page = text(signed_in.get(detail_url(answered.code)))
    assert "Cảm ơn bạn đã đánh giá" in page and "Bạn đã đánh giá" in page


def test_a_sender_who_looked_their_feedback_up_may_rate_it(client: Client) -> None:
    answered = answered_feedback()
    assert 'id="gui-danh-gia"' not in text(client.get(reverse("web:feedback_lookup")))
    client.post(reverse("web:feedback_lookup"), {"code": answered.code, "phone": "0912 345 678"})
    assert 'id="gui-danh-gia"' in text(client.get(detail_url(answered.code)))
    response = client.post(
        reverse("web:feedback_rate", args=[answered.code]), {"satisfaction": "not_satisfied"}
    )
    assert response.status_code == 302
    assert FeedbackRating.objects.get(feedback=answered).satisfaction == "not_satisfied"


# --- lists --------------------------------------------------------------------------------------------------------


def test_my_feedback_needs_sign_in_and_lists_only_ones_own(
    signed_in: Client, citizen: Any, django_assert_max_num_queries: Any
) -> None:
    assert Client().get(reverse("web:my_feedback")).status_code == 302
    mine = [make_feedback(user=citizen, now=dt.datetime(2026, 11, 2, 2 + h, tzinfo=dt.UTC)) for h in range(3)]
    forwarded_feedback(feedback=mine[0])
    other = make_citizen(phone="0987654321", username="0987654321", full_name="Trần Thị Bình")
    theirs = make_feedback(user=other, title="Phản ánh của người khác về giấy phép")
    with django_assert_max_num_queries(8):
        page = text(signed_in.get(reverse("web:my_feedback")))
    assert all(f.code in page for f in mine) and theirs.code not in page and "người khác" not in page
    assert "Quá hạn" in page and "Hạn trả lời" in page
    for h in range(3, 10):
        make_feedback(user=citizen, now=dt.datetime(2026, 11, 2, 2 + h, tzinfo=dt.UTC))
    with django_assert_max_num_queries(8):
        signed_in.get(reverse("web:my_feedback"))


def test_the_published_list_searches_without_diacritics_and_filters_by_agency(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    first = published_feedback()
    second = published_feedback(
        "UBND-79",
        public={
            "public_title": "Cấp giấy phép xây dựng nhà ở quá hạn",
            "public_content": "Người dân phản ánh việc cấp giấy phép xây dựng bị chậm.",
            "public_answer": "Ủy ban nhân dân thành phố đã chỉ đạo giải quyết ngay.",
        },
    )
    make_feedback(title="Chưa công khai")
    with django_assert_max_num_queries(5):
        response = client.get(reverse("web:feedback_list"))
    page = text(response)
    assert PUBLIC["public_title"] in page and "Cấp giấy phép xây dựng nhà ở quá hạn" in page
    assert "Chưa công khai" not in page and SENDER_NAME not in page and CONTENT not in page
    assert reverse("web:feedback_new") in page and reverse("web:feedback_lookup") in page
    assert "không dấu" in page
    found = text(client.get(reverse("web:feedback_list"), {"q": "giay phep xay dung"}))
    assert detail_url(second.code) in found and detail_url(first.code) not in found
    by_agency = text(client.get(reverse("web:feedback_list"), {"co-quan": "UBND-01"}))
    assert detail_url(first.code) in by_agency and detail_url(second.code) not in by_agency
    for _ in range(4):
        published_feedback()
    with django_assert_max_num_queries(5):
        client.get(reverse("web:feedback_list"))


def test_search_hits_of_kind_feedback_link_to_the_feedback(client: Client) -> None:
    feedback = published_feedback()
    page = text(client.get(reverse("web:search"), {"q": "khai sinh tra ket qua cham", "kind": "feedback"}))
    assert detail_url(feedback.code) in page and "Phản ánh, kiến nghị" in page
    assert '<option value="feedback" selected>' in page
    assert reverse("web:faq", args=[feedback.code]) not in page
    suggestions = text(client.get(reverse("web:suggest"), {"q": "khai sinh bi tra ket qua cham"}))
    assert detail_url(feedback.code) in suggestions and "Phản ánh, kiến nghị" in suggestions


def test_the_account_page_links_to_my_feedback(signed_in: Client) -> None:
    assert reverse("web:my_feedback") in text(signed_in.get(reverse("web:account")))
