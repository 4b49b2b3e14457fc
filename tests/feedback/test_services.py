"""Feedback services: receipt, triage, forwarding, transfer, answer, publication, rating, Open311 clients."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail

from dichvucong.accounts.roles import Role
from dichvucong.accounts.selectors import agency_scope
from dichvucong.core import messaging, outbox
from dichvucong.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from dichvucong.core.models import AuditEvent, OutboxMessage
from dichvucong.core.scope import AgencyScope
from dichvucong.dossiers.deadlines import LOCAL
from dichvucong.dossiers.models import Notification
from dichvucong.feedback import selectors, services, states
from dichvucong.feedback.models import Action, FeedbackAttachment, FeedbackEvent, Status
from dichvucong.organisations.models import Agency, CalendarException
from tests.conftest import make_citizen
from tests.dossiers.factories import pdf_bytes, upload
from tests.feedback.factories import (
    MONDAY_9AM,
    PUBLIC,
    answered_feedback,
    forwarded_feedback,
    handler,
    make_feedback,
    operator,
    submission,
)

pytestmark = pytest.mark.django_db

CODE_RE = re.compile(r"PAKN-261102-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{6}")


def local(year: int, month: int, day: int, hour: int = 17) -> dt.datetime:
    return dt.datetime(year, month, day, hour, 0, tzinfo=LOCAL)


def agency(code: str) -> Agency:
    return Agency.objects.get(code=code)


def deliver() -> None:
    while outbox.deliver_due(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=400)):
        pass


def actions(feedback: Any) -> list[str]:
    return list(
        FeedbackEvent.objects.filter(feedback=feedback).order_by("id").values_list("action", flat=True)
    )


# --- receipt ------------------------------------------------------------------------------------------------------


def test_submit_gives_a_tracking_code_and_records_the_receipt() -> None:
    feedback = make_feedback()
    assert CODE_RE.fullmatch(feedback.code)
    assert feedback.status == Status.RECEIVED
    assert feedback.sender_phone == "0912345678"
    assert actions(feedback) == [Action.RECEIVED]
    # Five working days, the day of receipt counting: Monday 2 → Friday 6 November, close of office.
    assert feedback.forward_due_at == local(2026, 11, 6)


def test_forwarding_limit_skips_a_national_day_off() -> None:
    CalendarException.objects.create(
        agency=None, date=dt.date(2026, 11, 4), is_working_day=False, reason="Nghỉ"
    )
    assert make_feedback().forward_due_at == local(2026, 11, 9)


def test_sender_without_account_gets_the_code_by_sms_and_email() -> None:
    feedback = make_feedback()
    deliver()
    assert [m.to for m in messaging.outbox] == ["0912345678"]
    assert feedback.code in messaging.outbox[0].text
    assert [m.to for m in mail.outbox] == [["an.nguyen@example.vn"]]
    assert feedback.code in mail.outbox[0].body


def test_landline_sender_gets_no_sms() -> None:
    feedback = make_feedback(sender_phone="(024) 3825 1234", sender_email="")
    assert feedback.sender_phone == "02438251234"
    assert not OutboxMessage.objects.filter(topic="notify.sms").exists()


def test_phone_in_international_form_is_normalised() -> None:
    assert make_feedback(sender_phone="+84 912.345.678").sender_phone == "0912345678"


def test_signed_in_sender_gets_an_in_app_notice_and_sms_to_a_different_phone() -> None:
    citizen = make_citizen()
    feedback = make_feedback(user=citizen, sender_phone="0987 654 321")
    notice = Notification.objects.get(user=citizen)
    assert feedback.code in notice.title
    deliver()
    assert sorted(m.to for m in messaging.outbox) == ["0912345678", "0987654321"]
    assert list(selectors.my_feedback(citizen)) == [feedback]


def test_submission_reports_every_problem_at_once() -> None:
    bad = submission(
        topic="x",
        kind="y",
        title=" ",
        content="",
        sender_name="",
        sender_address="",
        sender_phone="12345",
        sender_email="khong-phai-email",
        procedure_code="9.999999",
        dossier_code="KHONG-CO-260101-0001",
        unit_code="99999",
        agency_code="KHONG-CO",
    )
    with pytest.raises(ValidationFailed) as failed:
        services.submit_feedback(submission=bad, now=MONDAY_9AM)
    columns = [e.column for e in failed.value.errors]
    assert sorted(columns) == sorted(
        [
            "topic",
            "kind",
            "title",
            "content",
            "sender_name",
            "sender_address",
            "sender_phone",
            "sender_email",
            "procedure_code",
            "dossier_code",
            "unit_code",
            "agency_code",
        ]
    )
    assert "Vui lòng nhập họ và tên." in [e.message for e in failed.value.errors]
    assert not selectors.feedback_in_scope(AgencyScope.everything()).exists()


def test_short_content_and_missing_organisation_name_are_refused() -> None:
    bad = submission(content="Quá ngắn", sender_kind="organisation", organisation_name="")
    with pytest.raises(ValidationFailed) as failed:
        services.submit_feedback(submission=bad, now=MONDAY_9AM)
    assert sorted(e.column for e in failed.value.errors) == ["content", "organisation_name"]


def test_attachments_are_checked_and_kept(settings: Any) -> None:
    settings.FEEDBACK_MAX_ATTACHMENTS = 2
    files = [upload("a.pdf", pdf_bytes()), upload("b.pdf", pdf_bytes()), upload("c.pdf", pdf_bytes())]
    with pytest.raises(ValidationFailed) as failed:
        make_feedback(attachments=tuple(files))
    assert [e.column for e in failed.value.errors] == ["attachments"]
    with pytest.raises(ValidationFailed) as failed:
        make_feedback(attachments=(upload("trang.pdf", b"<html>not a pdf</html>"),))
    assert "trang.pdf" in failed.value.errors[0].message
    feedback = make_feedback(attachments=(upload("bien-nhan.pdf", pdf_bytes()),))
    attachment = FeedbackAttachment.objects.get(feedback=feedback)
    assert (attachment.title, attachment.content_type) == ("bien-nhan", "application/pdf")
    assert "bien-nhan" not in attachment.file.name


def test_dossier_code_must_be_the_signed_in_senders(passport: Any) -> None:
    from tests.dossiers.factories import birth_procedure_with_eform, citizen_with_address, submitted_dossier

    birth_procedure_with_eform()
    owner = citizen_with_address()
    dossier = submitted_dossier(owner)
    stranger = make_citizen(phone="0987000111", username="0987000111", email="", citizen_id=None)
    with pytest.raises(ValidationFailed) as failed:
        make_feedback(user=stranger, dossier_code=dossier.code)
    assert [e.column for e in failed.value.errors] == ["dossier_code"]
    assert make_feedback(user=owner, dossier_code=dossier.code).dossier == dossier


def test_a_code_collision_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    first = make_feedback()
    codes = iter([first.code, first.code, "PAKN-261102-ZZZZZZ"])
    monkeypatch.setattr(services, "new_code", lambda at: next(codes))
    assert make_feedback().code == "PAKN-261102-ZZZZZZ"


# --- triage -------------------------------------------------------------------------------------------------------


def test_only_operators_triage() -> None:
    feedback = make_feedback()
    officer = handler("UBND-01")
    with pytest.raises(Forbidden):
        services.accept(feedback_id=feedback.pk, actor=officer)
    with pytest.raises(Forbidden):
        services.forward(feedback_id=feedback.pk, agency_id=agency("UBND-01").pk, actor=officer)


def test_accept_is_recorded_and_audited() -> None:
    feedback = services.accept(feedback_id=make_feedback().pk, actor=operator(), now=MONDAY_9AM)
    assert feedback.status == Status.ACCEPTED
    assert actions(feedback) == [Action.RECEIVED, Action.ACCEPTED]
    assert AuditEvent.objects.filter(action="feedback.accepted", object_id=str(feedback.pk)).exists()
    with pytest.raises(states.TransitionNotAllowed):
        services.accept(feedback_id=feedback.pk, actor=operator())


def test_refusal_needs_a_reason_and_points_complaints_to_their_procedure() -> None:
    feedback = make_feedback()
    with pytest.raises(ValidationFailed):
        services.refuse(feedback_id=feedback.pk, actor=operator(), reason="  ")
    refused = services.refuse(feedback_id=feedback.pk, actor=operator(), reason="Đây là đơn khiếu nại.")
    assert (refused.status, refused.refusal_reason) == (Status.REFUSED, "Đây là đơn khiếu nại.")
    deliver()
    body = mail.outbox[-1].body
    assert "Đây là đơn khiếu nại." in body and "Luật Khiếu nại" in body
    with pytest.raises(states.TransitionNotAllowed):
        services.forward(feedback_id=feedback.pk, agency_id=agency("UBND-01").pk, actor=operator())


def test_merge_into_open_feedback_only() -> None:
    target = make_feedback()
    duplicate = make_feedback(
        sender_name="Trần Thị Bình", sender_phone="0987654321", sender_email="binh@example.vn"
    )
    merged = services.merge(feedback_id=duplicate.pk, into_code=target.code.lower(), actor=operator())
    assert (merged.status, merged.merged_into_id) == (Status.MERGED, target.pk)
    other = make_feedback()
    with pytest.raises(DomainError):
        services.merge(feedback_id=other.pk, into_code=duplicate.code, actor=operator())
    with pytest.raises(NotFound):
        services.merge(feedback_id=other.pk, into_code=other.code, actor=operator())


def test_forward_sets_the_deadline_in_working_days_and_tells_sender_and_handlers() -> None:
    officer = handler("UBND-01")
    monday = local(2026, 11, 16, 9)
    feedback = forwarded_feedback("UBND-01", now=monday)
    assert (feedback.status, feedback.agency.code, feedback.forwarded_at) == (
        Status.HANDLING,
        "UBND-01",
        monday,
    )
    # 15 working days from Monday 16 November; Tuesday 24 November (Vietnamese Culture Day) is a day off.
    assert feedback.due_at == local(2026, 12, 7)
    assert Notification.objects.filter(user=officer, title__contains=feedback.code).exists()
    deliver()
    told = [m for m in mail.outbox if m.to == ["an.nguyen@example.vn"] and "chuyển tới" in m.subject]
    assert [m.subject for m in told] == [
        f"Phản ánh {feedback.code} đã được chuyển tới {feedback.agency.name}"
    ]
    with pytest.raises(states.TransitionNotAllowed):
        services.forward(feedback_id=feedback.pk, agency_id=agency("UBND-79").pk, actor=operator())


# --- the agency ---------------------------------------------------------------------------------------------------


def test_transfer_with_a_reason_restarts_the_clock_for_the_new_agency() -> None:
    feedback = forwarded_feedback("UBND-01")
    officer = handler("UBND-01")
    new_handler = handler("UBND-79")
    with pytest.raises(ValidationFailed):
        services.transfer(
            feedback_id=feedback.pk,
            agency_id=agency("UBND-79").pk,
            actor=officer,
            scope=agency_scope(officer),
            reason="",
        )
    monday = local(2026, 11, 9, 9)
    moved = services.transfer(
        feedback_id=feedback.pk,
        agency_id=agency("UBND-79").pk,
        actor=officer,
        scope=agency_scope(officer),
        reason="Việc xảy ra tại Thành phố Hồ Chí Minh.",
        now=monday,
    )
    assert (moved.agency.code, moved.status) == ("UBND-79", Status.HANDLING)
    assert moved.due_at == local(2026, 11, 30)
    event = FeedbackEvent.objects.get(feedback=feedback, action=Action.TRANSFERRED)
    assert (event.from_agency.code, event.to_agency.code, event.note) == (
        "UBND-01",
        "UBND-79",
        "Việc xảy ra tại Thành phố Hồ Chí Minh.",
    )
    assert Notification.objects.filter(user=new_handler, title__contains=feedback.code).exists()
    # The first agency no longer sees it.
    with pytest.raises(NotFound):
        selectors.feedback_get_in_scope(agency_scope(officer), feedback.code)


def test_transfer_keeps_the_deadline_when_the_clock_does_not_restart(settings: Any) -> None:
    settings.FEEDBACK_TRANSFER_RESTARTS_CLOCK = False
    feedback = forwarded_feedback("UBND-01")
    officer = handler("UBND-01")
    moved = services.transfer(
        feedback_id=feedback.pk,
        agency_id=agency("UBND-79").pk,
        actor=officer,
        scope=agency_scope(officer),
        reason="Không thuộc thẩm quyền.",
        now=local(2026, 11, 9, 9),
    )
    assert moved.due_at == feedback.due_at


@pytest.mark.parametrize("step", ["transfer", "answer", "publish"])
def test_officer_of_another_agency_gets_not_found(step: str) -> None:
    feedback = answered_feedback("UBND-01") if step == "publish" else forwarded_feedback("UBND-01")
    stranger = handler("UBND-79")
    scope = agency_scope(stranger)
    with pytest.raises(NotFound):
        if step == "transfer":
            services.transfer(
                feedback_id=feedback.pk,
                agency_id=agency("VPCP").pk,
                actor=stranger,
                scope=scope,
                reason="Lý do",
            )
        elif step == "answer":
            services.answer(feedback_id=feedback.pk, actor=stranger, scope=scope, text="Trả lời")
        else:
            services.publish(feedback_id=feedback.pk, actor=stranger, scope=scope, **PUBLIC)


def test_unforwarded_feedback_is_not_found_for_officers() -> None:
    feedback = make_feedback()
    officer = handler("UBND-01")
    with pytest.raises(NotFound):
        services.answer(feedback_id=feedback.pk, actor=officer, scope=agency_scope(officer), text="Trả lời")


def test_answer_tells_the_sender_and_the_senders_of_merged_duplicates() -> None:
    target = make_feedback()
    duplicate = make_feedback(
        sender_name="Trần Thị Bình", sender_phone="0987654321", sender_email="binh@example.vn"
    )
    services.merge(feedback_id=duplicate.pk, into_code=target.code, actor=operator())
    forwarded_feedback("UBND-01", feedback=target)
    officer = handler("UBND-01")
    answered = services.answer(
        feedback_id=target.pk,
        actor=officer,
        scope=agency_scope(officer),
        text="Đã trả kết quả cho người dân.",
    )
    assert (answered.status, answered.answering_agency.code, answered.answered_by) == (
        Status.ANSWERED,
        "UBND-01",
        officer,
    )
    mail.outbox.clear()
    messaging.outbox.clear()
    deliver()
    answers = {m.to[0]: m.body for m in mail.outbox if "Đã trả kết quả cho người dân." in m.body}
    assert set(answers) == {"an.nguyen@example.vn", "binh@example.vn"}
    assert target.code in answers["binh@example.vn"]
    assert {m.to for m in messaging.outbox} == {"0912345678", "0987654321"}
    with pytest.raises(states.TransitionNotAllowed):
        services.answer(feedback_id=target.pk, actor=officer, scope=agency_scope(officer), text="Lần hai")


# --- publication --------------------------------------------------------------------------------------------------


def test_publish_needs_consent_or_the_public_interest() -> None:
    feedback = answered_feedback("UBND-01", consent_to_publish=False)
    officer = handler("UBND-01")
    with pytest.raises(DomainError) as refused:
        services.publish(feedback_id=feedback.pk, actor=officer, scope=agency_scope(officer), **PUBLIC)
    assert "không đồng ý công khai" in refused.value.message
    published = services.publish(
        feedback_id=feedback.pk, actor=officer, scope=agency_scope(officer), public_interest=True, **PUBLIC
    )
    assert (published.status, published.public_interest) == (Status.PUBLISHED, True)


def test_publish_is_refused_while_personal_data_remains_then_found_by_search() -> None:
    from dichvucong.catalogue.search import search

    feedback = answered_feedback("UBND-01")
    officer = handler("UBND-01")
    leaky = {
        "public_title": "Phản ánh của ông nguyen van an về hồ sơ khai sinh",
        "public_content": "Liên hệ 0912 345 678 hoặc an.nguyen@example.vn, số định danh 001093054321.",
        "public_answer": PUBLIC["public_answer"],
    }
    with pytest.raises(ValidationFailed) as failed:
        services.publish(feedback_id=feedback.pk, actor=officer, scope=agency_scope(officer), **leaky)
    found = [(e.column, e.message) for e in failed.value.errors]
    assert found == [
        ("public_title", "Còn họ tên người gửi “nguyen van an”."),
        ("public_content", "Còn số điện thoại 0912…."),
        ("public_content", "Còn địa chỉ thư điện tử a…@example.vn."),
        ("public_content", "Còn số định danh cá nhân 0010…."),
    ]
    assert selectors.feedback_get_in_scope(agency_scope(officer), feedback.code).status == Status.ANSWERED
    published = services.publish(
        feedback_id=feedback.pk, actor=officer, scope=agency_scope(officer), **PUBLIC
    )
    assert published.status == Status.PUBLISHED
    assert actions(published)[-1] == Action.PUBLISHED
    hits = [h for h in search("khai sinh tra cham").items if h.kind == "feedback"]
    assert [h.code for h in hits] == [feedback.code]
    assert list(selectors.published(q="khai sinh")) == [published]


def test_publish_only_answered_feedback() -> None:
    feedback = forwarded_feedback("UBND-01")
    officer = handler("UBND-01")
    with pytest.raises(states.TransitionNotAllowed):
        services.publish(feedback_id=feedback.pk, actor=officer, scope=agency_scope(officer), **PUBLIC)


def test_publish_needs_every_public_text() -> None:
    feedback = answered_feedback("UBND-01")
    officer = handler("UBND-01", role=Role.HEAD)
    with pytest.raises(ValidationFailed) as failed:
        services.publish(
            feedback_id=feedback.pk,
            actor=officer,
            scope=agency_scope(officer),
            public_title="Tiêu đề",
            public_content="",
            public_answer="",
        )
    assert [e.column for e in failed.value.errors] == ["public_content", "public_answer"]


# --- rating -------------------------------------------------------------------------------------------------------


def test_rating_needs_an_answer_and_replaces_the_previous_one() -> None:
    handling = forwarded_feedback("UBND-01")
    with pytest.raises(states.TransitionNotAllowed):
        services.rate(feedback_id=handling.pk, satisfaction="satisfied")
    feedback = answered_feedback("UBND-01")
    with pytest.raises(ValidationFailed):
        services.rate(feedback_id=feedback.pk, satisfaction="tuyet-voi")
    services.rate(feedback_id=feedback.pk, satisfaction="not_satisfied", comment="Chưa thỏa đáng")
    rating = services.rate(feedback_id=feedback.pk, satisfaction="satisfied")
    assert (rating.satisfaction, rating.comment) == ("satisfied", "")
    assert actions(feedback).count(Action.RATED) == 2


# --- Open311 clients ----------------------------------------------------------------------------------------------


def test_open311_client_key_is_shown_once_and_kept_hashed() -> None:
    client, key = services.create_open311_client(name="Ứng dụng thử", actor=operator())
    assert key not in client.key_hash and client.key_prefix == key.partition(".")[0]
    assert selectors.open311_client_for_key(key) == client
    assert selectors.open311_client_for_key(key + "x") is None
    assert selectors.open311_client_for_key("khong-co-dau-cham") is None
    assert AuditEvent.objects.filter(action="feedback.open311_client_created").exists()
    with pytest.raises(Forbidden):
        services.create_open311_client(name="Khác", actor=handler("UBND-01"))


def test_demo_feedback_loads_once() -> None:
    from dichvucong.feedback.demo import DEMO_OPEN311_KEY, load_demo_feedback

    text = load_demo_feedback()
    assert DEMO_OPEN311_KEY in text
    counts = {s: selectors.feedback_in_scope(AgencyScope.everything(), status=s).count() for s in Status}
    assert counts[Status.PUBLISHED] == 2 and counts[Status.HANDLING] == 1 and counts[Status.REFUSED] == 1
    load_demo_feedback()
    assert selectors.feedback_in_scope(AgencyScope.everything()).count() == sum(counts.values())
    assert selectors.open311_client_for_key(DEMO_OPEN311_KEY) is not None
