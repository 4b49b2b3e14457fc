"""The feedback back office: operators triage (accept, refuse, merge, forward), officers of the handling agency
answer, transfer and publish — each through its page, the service and the audit log; the change page shows the
whole feedback; Open311 applications get a key shown once."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dichvucong.accounts.roles import Role
from dichvucong.core.models import AuditEvent
from dichvucong.feedback import selectors
from dichvucong.feedback.models import (
    Action,
    AlertStage,
    Feedback,
    FeedbackAlert,
    FeedbackEvent,
    FeedbackRating,
    Open311Client,
    Status,
)
from dichvucong.organisations.models import Agency
from tests.conftest import make_officer, verified_staff_client
from tests.feedback.factories import (
    PUBLIC,
    SENDER_NAME,
    answered_feedback,
    forwarded_feedback,
    handler,
    make_feedback,
    operator,
)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n" + b"0" * 200


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def operator_client(client: Client) -> Client:
    return verified_staff_client(client, operator())


@pytest.fixture
def officer_client(client: Client) -> Client:
    """A handler of Hà Nội's People's Committee."""
    return verified_staff_client(client, handler("UBND-01"))


def url(name: str, feedback: Any) -> str:
    return reverse(f"admin:feedback_feedback_{name}", args=[feedback.pk])


def audited(action: str, feedback: Any, actor: Any) -> bool:
    return AuditEvent.objects.filter(
        action=action, object_type="feedback.feedback", object_id=str(feedback.pk), actor_id=actor.pk
    ).exists()


def textarea(content: bytes, name: str) -> str:
    found = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', content.decode(), re.S)
    assert found, f"no {name} textarea"
    return html.unescape(found.group(1)).strip()


# --- operators: triage ------------------------------------------------------------------------------------------


def test_an_operator_accepts_feedback(operator_client: Client) -> None:
    feedback = make_feedback()
    page = operator_client.get(url("accept", feedback))
    assert page.status_code == 200 and b'value="Ti\xe1\xba\xbfp nh\xe1\xba\xadn"' in page.content
    response = operator_client.post(url("accept", feedback))
    assert response.status_code == 302 and response["Location"] == url("change", feedback)
    assert Feedback.objects.get(pk=feedback.pk).status == Status.ACCEPTED
    assert audited("feedback.accepted", feedback, operator())


def test_accepting_twice_shows_the_state_error_and_changes_nothing(operator_client: Client) -> None:
    feedback = make_feedback()
    operator_client.post(url("accept", feedback))
    again = operator_client.post(url("accept", feedback))
    assert again.status_code == 200
    assert "không thể chuyển sang" in again.content.decode()
    assert AuditEvent.objects.filter(action="feedback.accepted").count() == 1


def test_refusing_needs_a_reason(operator_client: Client) -> None:
    feedback = make_feedback()
    response = operator_client.post(url("refuse", feedback), {"reason": "  "})
    assert response.status_code == 200
    assert "Vui lòng nêu lý do không tiếp nhận." in response.content.decode()
    assert Feedback.objects.get(pk=feedback.pk).status == Status.RECEIVED


def test_an_operator_refuses_a_complaint_with_the_ready_reason(operator_client: Client) -> None:
    feedback = make_feedback(title="Khiếu nại quyết định xử phạt", kind="other")
    response = operator_client.post(
        url("refuse", feedback), {"ready_reason": "complaint", "reason": "Đơn gửi Ủy ban nhân dân phường."}
    )
    assert response.status_code == 302
    refused = Feedback.objects.get(pk=feedback.pk)
    assert refused.status == Status.REFUSED
    assert "thủ tục giải quyết khiếu nại" in refused.refusal_reason
    assert refused.refusal_reason.endswith("Đơn gửi Ủy ban nhân dân phường.")
    assert audited("feedback.refused", feedback, operator())


def test_an_operator_merges_a_duplicate(operator_client: Client) -> None:
    kept, duplicate = make_feedback(), make_feedback()
    unknown = operator_client.post(url("merge", duplicate), {"into_code": "PAKN-000000-XXXXXX"})
    assert (
        unknown.status_code == 200
        and "Không tìm thấy phản ánh PAKN-000000-XXXXXX" in unknown.content.decode()
    )
    response = operator_client.post(url("merge", duplicate), {"into_code": kept.code.lower()})
    assert response.status_code == 302
    merged = Feedback.objects.get(pk=duplicate.pk)
    assert merged.status == Status.MERGED and merged.merged_into_id == kept.pk
    assert audited("feedback.merged", duplicate, operator())


def test_the_forward_page_offers_the_suggested_agencies_first(operator_client: Client) -> None:
    feedback = make_feedback(agency_code="UBND-79")
    page = operator_client.get(url("forward", feedback)).content.decode()
    select = page[page.index('name="agency"') :]
    first_option = re.search(r'<option value="([^"]+)"', select)
    assert first_option and first_option.group(1) == "UBND-79"
    assert "Cơ quan được gợi ý" in select


def test_the_forward_page_offers_the_agency_handling_the_dossier_first(operator_client: Client) -> None:
    from tests.dossiers.factories import birth_procedure_with_eform, citizen_with_address, submitted_dossier

    birth_procedure_with_eform()
    owner = citizen_with_address()
    dossier = submitted_dossier(owner)
    feedback = make_feedback(user=owner, dossier_code=dossier.code, agency_code="")
    page = operator_client.get(url("forward", feedback)).content.decode()
    first_option = re.search(r'<option value="([^"]+)"', page[page.index('name="agency"') :])
    assert first_option and first_option.group(1) == dossier.agency.code


def test_an_operator_forwards_to_an_agency(operator_client: Client) -> None:
    feedback = make_feedback()
    response = operator_client.post(
        url("forward", feedback), {"agency": "UBND-01", "note": "Thuộc thẩm quyền."}
    )
    assert response.status_code == 302
    forwarded = Feedback.objects.get(pk=feedback.pk)
    assert forwarded.status == Status.HANDLING and forwarded.agency is not None
    assert forwarded.agency.code == "UBND-01" and forwarded.due_at is not None
    assert FeedbackEvent.objects.filter(
        feedback=feedback, action=Action.FORWARDED, note="Thuộc thẩm quyền."
    ).exists()
    assert audited("feedback.forwarded", feedback, operator())


def test_an_operator_forwards_to_a_commune_typed_by_code(operator_client: Client) -> None:
    feedback = make_feedback()
    wrong = operator_client.post(url("forward", feedback), {"agency_code": "KHONG-CO"})
    assert wrong.status_code == 200 and "Không có cơ quan mã KHONG-CO." in wrong.content.decode()
    response = operator_client.post(url("forward", feedback), {"agency_code": "ubnd-00004"})
    assert response.status_code == 302
    assert Feedback.objects.get(pk=feedback.pk).agency == Agency.objects.get(code="UBND-00004")


def test_an_officer_cannot_triage_even_their_own_agencys_feedback(officer_client: Client) -> None:
    feedback = forwarded_feedback("UBND-01")
    for name in ("accept", "refuse", "merge", "forward"):
        assert officer_client.get(url(name, feedback)).status_code == 403, name
        assert (
            officer_client.post(url(name, feedback), {"reason": "x", "agency": "UBND-79"}).status_code == 403
        )
    assert Feedback.objects.get(pk=feedback.pk).agency == Agency.objects.get(code="UBND-01")


# --- the handling agency ----------------------------------------------------------------------------------------


def test_an_officer_of_the_handling_agency_answers(officer_client: Client) -> None:
    feedback = forwarded_feedback("UBND-01")
    empty = officer_client.post(url("answer", feedback), {"text": ""})
    assert empty.status_code == 200 and "Vui lòng nhập kết quả xử lý." in empty.content.decode()
    response = officer_client.post(url("answer", feedback), {"text": "Đã trả kết quả cho công dân."})
    assert response.status_code == 302
    answered = Feedback.objects.get(pk=feedback.pk)
    assert answered.status == Status.ANSWERED and answered.answer == "Đã trả kết quả cho công dân."
    assert answered.answered_by == handler("UBND-01")
    assert audited("feedback.answered", feedback, handler("UBND-01"))


def test_a_transfer_without_a_reason_shows_the_error(officer_client: Client) -> None:
    feedback = forwarded_feedback("UBND-01")
    response = officer_client.post(url("transfer", feedback), {"agency": "UBND-79", "reason": " "})
    assert response.status_code == 200
    assert "Vui lòng nêu lý do chuyển sang cơ quan khác." in response.content.decode()
    assert Feedback.objects.get(pk=feedback.pk).agency == Agency.objects.get(code="UBND-01")


def test_an_officer_transfers_to_another_agency_with_a_reason(officer_client: Client) -> None:
    feedback = forwarded_feedback("UBND-01")
    response = officer_client.post(
        url("transfer", feedback), {"agency": "UBND-79", "reason": "Việc xảy ra tại Thành phố Hồ Chí Minh."}
    )
    assert response.status_code == 302
    moved = Feedback.objects.get(pk=feedback.pk)
    assert moved.agency == Agency.objects.get(code="UBND-79") and moved.status == Status.HANDLING
    event = FeedbackEvent.objects.get(feedback=feedback, action=Action.TRANSFERRED)
    assert event.note == "Việc xảy ra tại Thành phố Hồ Chí Minh." and event.from_agency.code == "UBND-01"
    assert audited("feedback.transferred", feedback, handler("UBND-01"))
    # Gone from the officer's scope: the page after the redirect is not theirs any more.
    assert officer_client.get(url("change", feedback)).status_code == 404


def test_the_publish_form_is_prefilled_without_personal_data(officer_client: Client) -> None:
    feedback = answered_feedback(
        "UBND-01",
        content=f"Tôi là {SENDER_NAME}, số điện thoại 0912 345 678, hồ sơ khai sinh bị trả chậm hai tuần.",
        text="Đã trả lời ông Nguyễn Văn An qua số 0912345678: hồ sơ đã có kết quả.",
    )
    page = officer_client.get(url("publish", feedback))
    assert page.status_code == 200
    content, answer = textarea(page.content, "public_content"), textarea(page.content, "public_answer")
    assert "[đã ẩn]" in content and "[đã ẩn]" in answer
    for text in (content, answer):
        assert "0912" not in text and SENDER_NAME not in text
    assert 'name="public_interest"' not in page.content.decode()  # the sender consented
    response = officer_client.post(
        url("publish", feedback),
        {"public_title": feedback.title, "public_content": content, "public_answer": answer},
    )
    assert response.status_code == 302
    published = Feedback.objects.get(pk=feedback.pk)
    assert published.status == Status.PUBLISHED and published.public_content == content
    assert audited("feedback.published", feedback, handler("UBND-01"))


def test_publishing_the_senders_phone_shows_the_error_and_keeps_the_text(officer_client: Client) -> None:
    feedback = answered_feedback("UBND-01")
    typed = "Người dân (điện thoại 0912 345 678) phản ánh hồ sơ khai sinh bị trả chậm."
    response = officer_client.post(url("publish", feedback), {**PUBLIC, "public_content": typed})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Còn số điện thoại 0912…" in page
    assert textarea(response.content, "public_content") == typed
    assert textarea(response.content, "public_answer") == PUBLIC["public_answer"]
    # The error sits next to the field it is about.
    assert page.index("Còn số điện thoại") < page.index('name="public_content"')
    assert page.index("Còn số điện thoại") > page.index('name="public_title"')
    assert Feedback.objects.get(pk=feedback.pk).status == Status.ANSWERED
    assert not AuditEvent.objects.filter(action="feedback.published").exists()


def test_publishing_without_consent_needs_the_public_interest_box(officer_client: Client) -> None:
    feedback = answered_feedback("UBND-01", consent_to_publish=False)
    page = officer_client.get(url("publish", feedback))
    assert 'name="public_interest"' in page.content.decode()
    refused = officer_client.post(url("publish", feedback), PUBLIC)
    assert refused.status_code == 200 and "cần ghi rõ điều đó" in refused.content.decode()
    assert Feedback.objects.get(pk=feedback.pk).status == Status.ANSWERED
    done = officer_client.post(url("publish", feedback), {**PUBLIC, "public_interest": "on"})
    assert done.status_code == 302
    assert Feedback.objects.get(pk=feedback.pk).public_interest is True


def test_an_officer_without_the_feedback_role_cannot_act(client: Client) -> None:
    feedback = forwarded_feedback("UBND-01")
    editor = make_officer("UBND-01", username="bientap", roles=(Role.CATALOGUE_EDITOR,))
    verified_staff_client(client, editor)
    assert client.get(reverse("admin:feedback_feedback_changelist")).status_code == 403
    assert client.post(url("answer", feedback), {"text": "Trả lời"}).status_code == 403
    assert Feedback.objects.get(pk=feedback.pk).status == Status.HANDLING


# --- the change page and the list ------------------------------------------------------------------------------


def test_the_change_page_shows_the_whole_feedback(officer_client: Client) -> None:
    upload = SimpleUploadedFile("bien-nhan.pdf", PDF, content_type="application/pdf")
    feedback = answered_feedback("UBND-01", attachments=(upload,), address="Bộ phận một cửa phường Ba Đình")
    FeedbackEvent.objects.create(
        feedback=feedback, at=timezone.now(), action=Action.REMINDED, note="Nhắc handler-ubnd-01"
    )
    FeedbackAlert.objects.create(
        feedback=feedback,
        stage=AlertStage.ESCALATED,
        deadline=feedback.due_at,
        agency=feedback.agency,
        recipients=["lanhdao"],
        sent_at=timezone.now(),
    )
    FeedbackRating.objects.create(
        feedback=feedback, satisfaction="satisfied", comment="Cảm ơn", rated_at=timezone.now()
    )
    page = officer_client.get(url("change", feedback))
    assert page.status_code == 200
    text = page.content.decode()
    for expected in (
        feedback.code,
        feedback.content,
        SENDER_NAME,
        "0912345678",
        "Bộ phận một cửa phường Ba Đình",
        "bien-nhan",
        "Nhắc handler-ubnd-01",  # the reminder, which the sender never sees
        "Báo cáo cấp trên",
        "lanhdao",
        feedback.answer,
        "Hài lòng",
        "Cảm ơn",
        url("publish", feedback),  # the step the officer may take now
    ):
        assert expected in text, expected
    assert url("accept", feedback) not in text  # not an operator


def test_an_attachment_is_downloaded_and_the_download_audited(officer_client: Client) -> None:
    upload = SimpleUploadedFile("bien-nhan.pdf", PDF, content_type="application/pdf")
    feedback = forwarded_feedback("UBND-01", attachments=(upload,))
    attachment = feedback.attachments.get()
    response = officer_client.get(reverse("admin:feedback_feedback_attachment", args=[attachment.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    assert "no-store" in response["Cache-Control"]
    assert 'filename="bien-nhan.pdf"' in response["Content-Disposition"]
    assert audited("feedback.attachment_downloaded", feedback, handler("UBND-01"))


def test_the_list_marks_overdue_feedback_in_words(operator_client: Client) -> None:
    now = timezone.now()
    late = make_feedback(now=now - dt.timedelta(days=60), title="Phản ánh đã quá hạn chuyển xử lý")
    fresh = make_feedback(now=now, title="Phản ánh vừa nhận hôm nay")
    page = operator_client.get(reverse("admin:feedback_feedback_changelist")).content.decode()
    row_late = page[page.index(late.code) : page.index("</tr>", page.index(late.code))]
    row_fresh = page[page.index(fresh.code) : page.index("</tr>", page.index(fresh.code))]
    assert "Quá hạn" in row_late and "Quá hạn" not in row_fresh
    only_late = operator_client.get(reverse("admin:feedback_feedback_changelist"), {"qua_han": "1"}).content
    assert late.code.encode() in only_late and fresh.code.encode() not in only_late
    handled = operator_client.get(
        reverse("admin:feedback_feedback_changelist"), {"status__exact": "received"}
    )
    assert late.code.encode() in handled.content


def test_the_list_searches_by_code(operator_client: Client) -> None:
    one, other = make_feedback(), make_feedback()
    found = operator_client.get(reverse("admin:feedback_feedback_changelist"), {"q": one.code}).content
    assert one.code.encode() in found and other.code.encode() not in found


def test_the_list_does_not_query_per_row(operator_client: Client) -> None:
    for _ in range(2):
        forwarded_feedback("UBND-01")
    changelist = reverse("admin:feedback_feedback_changelist")
    operator_client.get(changelist)
    with CaptureQueriesContext(connection) as few:
        assert operator_client.get(changelist).status_code == 200
    for _ in range(5):
        forwarded_feedback("UBND-79")
    with CaptureQueriesContext(connection) as more:
        assert operator_client.get(changelist).status_code == 200
    assert len(more) == len(few)


def test_fields_are_never_edited_directly(operator_client: Client) -> None:
    feedback = make_feedback()
    response = operator_client.post(url("change", feedback), {"title": "Đã sửa", "status": "published"})
    assert response.status_code == 403
    assert operator_client.post(url("delete", feedback), {"post": "yes"}).status_code == 403
    assert Feedback.objects.get(pk=feedback.pk).title == feedback.title


# --- Open311 applications ---------------------------------------------------------------------------------------


def test_creating_an_open311_client_shows_its_key_once(operator_client: Client) -> None:
    response = operator_client.post(
        reverse("admin:feedback_open311client_add"),
        {"name": "Ứng dụng Hà Nội số", "contact_email": "a@hanoi.vn"},
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    key = re.search(r'id="open311-key"[^>]*value="([^"]+)"', response.content.decode())
    assert key is not None
    client = Open311Client.objects.get(name="Ứng dụng Hà Nội số")
    assert selectors.open311_client_for_key(key.group(1)) == client
    assert key.group(1) not in client.key_hash
    assert AuditEvent.objects.filter(
        action="feedback.open311_client_created", object_id=str(client.pk)
    ).exists()
    for page in (
        reverse("admin:feedback_open311client_change", args=[client.pk]),
        reverse("admin:feedback_open311client_changelist"),
    ):
        shown = operator_client.get(page)
        assert shown.status_code == 200 and key.group(1).encode() not in shown.content


def test_an_open311_client_is_deactivated(operator_client: Client) -> None:
    from dichvucong.feedback import services

    client, key = services.create_open311_client(name="Ứng dụng thử", actor=operator())
    deactivate = reverse("admin:feedback_open311client_deactivate", args=[client.pk])
    assert operator_client.get(deactivate).status_code == 200
    assert operator_client.post(deactivate).status_code == 302
    assert selectors.open311_client_for_key(key) is None
    assert AuditEvent.objects.filter(action="feedback.open311_client_deactivated").count() == 1


def test_officers_do_not_manage_open311_clients(officer_client: Client) -> None:
    from dichvucong.feedback import services

    client, _key = services.create_open311_client(name="Ứng dụng thử", actor=operator())
    assert officer_client.get(reverse("admin:feedback_open311client_changelist")).status_code == 403
    assert officer_client.post(reverse("admin:feedback_open311client_add"), {"name": "X"}).status_code == 403
    deactivate = reverse("admin:feedback_open311client_deactivate", args=[client.pk])
    assert officer_client.post(deactivate).status_code == 403
    assert Open311Client.objects.get(pk=client.pk).is_active
