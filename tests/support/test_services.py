"""The help desk's services: opening a ticket (checked all at once), every action on it, who is told, what is
audited, the statuses each action needs, and the scope rule (a ticket outside it does not exist)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from dichvucong.catalogue.models import Faq, FaqProcedure, SearchEntry
from dichvucong.core.errors import Forbidden, NotFound, ValidationFailed
from dichvucong.core.models import AuditEvent, OutboxMessage
from dichvucong.dossiers.models import Dossier, Notification
from dichvucong.dossiers.services import EMAIL_TOPIC, SMS_TOPIC
from dichvucong.organisations.models import Agency
from dichvucong.support import services
from dichvucong.support.models import EntryKind, Ticket, TicketStatus
from dichvucong.support.states import TicketStateError
from tests.conftest import make_citizen, make_officer, make_operator, make_procedure
from tests.support.factories import CALLER_PHONE, MONDAY_9AM, agent, call, handler, question, scope_of

pytestmark = pytest.mark.django_db
LATER = MONDAY_9AM + dt.timedelta(hours=2)


def columns(failure: ValidationFailed) -> set[str]:
    return {e.column for e in failure.errors}


def agency(code: str) -> Agency:
    return Agency.objects.get(code=code)


def make_dossier(code: str = "000.00.01.H26-261102-0001", owner: Any = None) -> Dossier:
    return Dossier.objects.create(
        code=code,
        agency=agency("UBND-01"),
        origin="portal",
        owner=owner,
        procedure_code="1.001193",
        status=2,
        status_at=timezone.now(),
    )


# --- opening ---------------------------------------------------------------------------------------------------


def test_a_call_opens_a_ticket_with_the_agent_agency_and_a_call_entry() -> None:
    desk = agent()
    ticket = call(desk)
    assert re.fullmatch(r"HT-261102-[0-9A-HJKMNP-TV-Z]{6}", ticket.code)
    assert ticket.agency == ticket.desk_agency == agency("VPCP")
    assert ticket.status == TicketStatus.OPEN
    assert ticket.caller_phone == CALLER_PHONE  # "0987 654 321" stored normalised
    assert ticket.opened_by == desk and ticket.assignee == desk
    assert "tran thi binh" in ticket.search_text and "dang ky khai sinh" in ticket.search_text
    (entry,) = ticket.entries.all()
    assert entry.kind == EntryKind.CALL_IN and entry.duration_seconds == 125 and entry.author == desk
    assert AuditEvent.objects.filter(action="support.ticket_opened", object_id=str(ticket.pk)).exists()
    assert not OutboxMessage.objects.exists()  # the caller was on the phone: nothing sent


def test_an_agent_without_an_agency_opens_tickets_at_the_desk(settings: Any) -> None:
    settings.SUPPORT_DESK_AGENCY_CODE = "VPCP"
    ticket = call(make_operator())
    assert ticket.agency.code == "VPCP" and ticket.desk_agency.code == "VPCP"


def test_a_call_logged_by_an_agent_of_another_desk_stays_with_that_desk() -> None:
    ticket = call(agent("tongdai-hn", agency="UBND-01"))
    assert ticket.agency.code == ticket.desk_agency.code == "UBND-01"


def test_a_question_from_the_site_is_acknowledged_by_sms_and_email() -> None:
    ticket = question()
    assert ticket.agency.code == "VPCP" and ticket.opened_by is None
    (entry,) = ticket.entries.all()
    assert entry.kind == EntryKind.MESSAGE
    sms = OutboxMessage.objects.get(topic=SMS_TOPIC)
    assert sms.payload["to"] == CALLER_PHONE and ticket.code in sms.payload["text"]
    email = OutboxMessage.objects.get(topic=EMAIL_TOPIC)
    assert email.payload["to"] == "hoa.pham@example.vn"
    assert f"/ho-tro/yeu-cau/{ticket.code}/" in email.payload["body"]


def test_a_signed_in_asker_gets_a_notice() -> None:
    citizen = make_citizen()
    ticket = question(user=citizen, caller_phone="", caller_email="")
    notice = Notification.objects.get(user=citizen)
    assert ticket.code in notice.title
    assert ticket.user == citizen and ticket.opened_by == citizen


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as caught:
        question(
            topic="weather",
            subject="  ",
            caller_phone="12345",
            caller_email="not-an-address",
            procedure_code="1.999999",
            dossier_code="NO-SUCH-DOSSIER",
            payment_reference="TT000",
            feedback_code="PAKN-000000-AAAAAA",
        )
    assert columns(caught.value) == {
        "topic",
        "subject",
        "caller_phone",
        "caller_email",
        "procedure_code",
        "dossier_code",
        "payment_reference",
        "feedback_code",
    }
    assert all(e.message for e in caught.value.errors)
    assert not Ticket.objects.exists()


def test_a_question_from_the_site_needs_a_way_to_answer() -> None:
    with pytest.raises(ValidationFailed) as caught:
        question(caller_phone="", caller_email="")
    assert columns(caught.value) == {"caller_phone"}
    assert "số điện thoại hoặc thư điện tử" in caught.value.errors[0].message


def test_a_call_needs_the_caller_phone_or_name() -> None:
    with pytest.raises(ValidationFailed) as caught:
        call(agent(), caller_phone="", caller_name="")
    assert columns(caught.value) == {"caller_phone"}
    assert call(agent("tongdai2"), caller_phone="", caller_name="Ông Tư").caller_name == "Ông Tư"


def test_landline_numbers_are_accepted_for_calls() -> None:
    assert call(agent(), caller_phone="024 3823 4567").caller_phone == "02438234567"


def test_only_agents_log_calls() -> None:
    with pytest.raises(ValidationFailed) as caught:
        question(channel="phone")
    assert columns(caught.value) == {"channel"}
    with pytest.raises(Forbidden):
        call(handler())  # handlers work tickets, they do not take calls


def test_linked_codes_that_exist_are_kept() -> None:
    make_procedure(code="1.001456")
    dossier = make_dossier()
    from tests.payments.factories import make_order

    order = make_order()
    from tests.feedback.factories import make_feedback

    feedback = make_feedback()
    ticket = call(
        agent(),
        procedure_code="1.001456",
        dossier_code=dossier.code.lower(),
        payment_reference=order.reference,
        feedback_code=feedback.code,
    )
    assert (ticket.procedure_code, ticket.dossier_code) == ("1.001456", dossier.code)
    assert (ticket.payment_reference, ticket.feedback_code) == (order.reference, feedback.code)


def test_on_the_site_another_person_dossier_is_unknown() -> None:
    owner = make_citizen()
    dossier = make_dossier(owner=owner)
    stranger = make_citizen(username="0977000111", phone="0977000111", email="")
    with pytest.raises(ValidationFailed) as caught:
        question(user=stranger, dossier_code=dossier.code)
    assert columns(caught.value) == {"dossier_code"}
    assert question(user=owner, dossier_code=dossier.code).dossier_code == dossier.code


# --- actions ---------------------------------------------------------------------------------------------------


@pytest.fixture
def desk() -> Any:
    return agent()


@pytest.fixture
def ticket(desk: Any) -> Ticket:
    return call(desk)


def test_another_call_and_a_call_back_are_recorded(desk: Any, ticket: Ticket) -> None:
    scope = scope_of(desk)
    services.log_call(
        ticket_id=ticket.pk,
        actor=desk,
        scope=scope,
        text="Gọi lại hỏi thêm",
        duration_seconds=60,
        now=MONDAY_9AM + dt.timedelta(hours=1),
    )
    services.log_call(
        ticket_id=ticket.pk, actor=desk, scope=scope, text="Đã gọi lại", outgoing=True, now=LATER
    )
    kinds = list(ticket.entries.values_list("kind", "duration_seconds"))
    assert kinds == [("call_in", 125), ("call_in", 60), ("call_out", None)]
    assert AuditEvent.objects.filter(action="support.call_logged").count() == 2
    ticket.refresh_from_db()
    assert ticket.updated_at == LATER


def test_a_note_is_internal_and_audited(desk: Any, ticket: Ticket) -> None:
    entry = services.add_note(ticket_id=ticket.pk, actor=desk, scope=scope_of(desk), text="Người gọi rất gấp")
    assert entry.kind == EntryKind.NOTE
    assert AuditEvent.objects.filter(action="support.note_added").exists()
    assert not OutboxMessage.objects.exists()


def test_a_reply_tells_the_caller_by_sms(desk: Any, ticket: Ticket) -> None:
    entry = services.reply(
        ticket_id=ticket.pk, actor=desk, scope=scope_of(desk), text="Cần tờ khai và giấy chứng sinh."
    )
    assert entry.kind == EntryKind.REPLY
    sms = OutboxMessage.objects.get(topic=SMS_TOPIC)
    assert sms.payload["to"] == CALLER_PHONE and ticket.code in sms.payload["text"]
    assert AuditEvent.objects.filter(action="support.replied").exists()


def test_blank_texts_are_refused(desk: Any, ticket: Ticket) -> None:
    scope = scope_of(desk)
    for action, column in (
        (lambda: services.reply(ticket_id=ticket.pk, actor=desk, scope=scope, text=" "), "text"),
        (lambda: services.resolve(ticket_id=ticket.pk, actor=desk, scope=scope, resolution=""), "resolution"),
        (
            lambda: services.hand_over(
                ticket_id=ticket.pk, agency_id=agency("UBND-01").pk, actor=desk, scope=scope, reason=""
            ),
            "reason",
        ),
    ):
        with pytest.raises(ValidationFailed) as caught:
            action()
        assert columns(caught.value) == {column}
    assert ticket.entries.count() == 1


def test_hand_over_moves_the_ticket_and_tells_the_agency_officers(desk: Any, ticket: Ticket) -> None:
    receiving = handler("UBND-01")
    no_role = make_officer("UBND-01", username="khong-vai-tro")
    entry = services.hand_over(
        ticket_id=ticket.pk,
        agency_id=agency("UBND-01").pk,
        actor=desk,
        scope=scope_of(desk),
        reason="Hồ sơ do Hà Nội giải quyết",
    )
    ticket.refresh_from_db()
    assert ticket.agency.code == "UBND-01" and ticket.desk_agency.code == "VPCP"
    assert ticket.status == TicketStatus.HANDED_OVER and ticket.assignee is None
    assert (entry.from_agency.code, entry.to_agency.code) == ("VPCP", "UBND-01")
    assert Notification.objects.filter(user=receiving, title__contains=ticket.code).exists()
    assert not Notification.objects.filter(user=no_role).exists()
    event = AuditEvent.objects.get(action="support.handed_over")
    assert event.detail["reason"] == "Hồ sơ do Hà Nội giải quyết"


def test_hand_over_to_the_same_agency_is_refused(desk: Any, ticket: Ticket) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.hand_over(
            ticket_id=ticket.pk, agency_id=agency("VPCP").pk, actor=desk, scope=scope_of(desk), reason="x"
        )
    assert columns(caught.value) == {"agency"}


def test_resolve_then_reopen(desk: Any, ticket: Ticket) -> None:
    scope = scope_of(desk)
    services.hand_over(
        ticket_id=ticket.pk, agency_id=agency("UBND-01").pk, actor=desk, scope=scope, reason="x"
    )
    officer = handler("UBND-01")
    done = services.resolve(
        ticket_id=ticket.pk, actor=officer, scope=scope_of(officer), resolution="Đã trả kết quả", now=LATER
    )
    assert done.status == TicketStatus.RESOLVED and done.resolved_at == LATER
    assert done.resolution == "Đã trả kết quả"
    assert any("giải quyết" in m.payload["text"] for m in OutboxMessage.objects.filter(topic=SMS_TOPIC))
    with pytest.raises(TicketStateError) as caught:
        services.reply(ticket_id=ticket.pk, actor=officer, scope=scope_of(officer), text="Thêm")
    assert caught.value.status == 409
    again = services.reopen(ticket_id=ticket.pk, actor=desk, scope=scope, reason="Người dân chưa nhận")
    assert again.status == TicketStatus.HANDED_OVER and again.resolved_at is None
    with pytest.raises(TicketStateError):
        services.reopen(ticket_id=ticket.pk, actor=desk, scope=scope, reason="again")
    assert AuditEvent.objects.filter(action__in=["support.resolved", "support.reopened"]).count() == 2


def test_officers_outside_the_scope_get_not_found(desk: Any, ticket: Ticket) -> None:
    hanoi, hcm = handler("UBND-01"), handler("UBND-79")
    for officer in (hanoi, hcm):
        with pytest.raises(NotFound):
            services.reply(ticket_id=ticket.pk, actor=officer, scope=scope_of(officer), text="Trả lời")
    services.hand_over(
        ticket_id=ticket.pk, agency_id=agency("UBND-01").pk, actor=desk, scope=scope_of(desk), reason="x"
    )
    services.add_note(ticket_id=ticket.pk, actor=hanoi, scope=scope_of(hanoi), text="Đã nhận")
    services.add_note(ticket_id=ticket.pk, actor=desk, scope=scope_of(desk), text="Tổng đài theo dõi")
    with pytest.raises(NotFound):
        services.add_note(ticket_id=ticket.pk, actor=hcm, scope=scope_of(hcm), text="x")
    with pytest.raises(NotFound):
        services.resolve(ticket_id=ticket.pk, actor=hcm, scope=scope_of(hcm), resolution="x")


def test_the_asker_follows_up_with_their_phone(ticket: Ticket, desk: Any) -> None:
    services.resolve(ticket_id=ticket.pk, actor=desk, scope=scope_of(desk), resolution="Đã hướng dẫn")
    entry = services.add_message(ticket_id=ticket.pk, text="Tôi cần hỏi thêm", phone="+84 987 654 321")
    assert entry.kind == EntryKind.MESSAGE and entry.author is None
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.resolved_at is None
    with pytest.raises(NotFound):
        services.add_message(ticket_id=ticket.pk, text="x", phone="0911111111")
    with pytest.raises(NotFound):
        services.add_message(ticket_id=ticket.pk, text="x")


# --- questions and answers -------------------------------------------------------------------------------------


def test_an_operator_publishes_a_question_as_a_faq_of_the_procedure(desk: Any) -> None:
    make_procedure(code="1.001456")
    ticket = call(desk, procedure_code="1.001456")
    operator = make_operator()
    faq = services.publish_as_faq(
        ticket_id=ticket.pk,
        actor=operator,
        question="Làm hộ chiếu cho con dưới 14 tuổi cần giấy tờ gì?",
        answer="Cha hoặc mẹ khai tờ khai TK01 và nộp kèm giấy khai sinh của con.",
    )
    assert faq.code == f"HD-{ticket.code}"
    assert list(FaqProcedure.objects.filter(faq=faq).values_list("procedure_code", flat=True)) == ["1.001456"]
    assert faq.agency is not None and faq.agency.code == "XNC"
    assert SearchEntry.objects.filter(kind="faq", object_id=faq.pk).exists()  # indexed by the catalogue
    assert ticket.entries.filter(kind=EntryKind.NOTE, text__contains=faq.code).exists()
    assert AuditEvent.objects.filter(action="support.faq_published").exists()
    services.publish_as_faq(ticket_id=ticket.pk, actor=operator, question=faq.question, answer="Trả lời mới.")
    assert Faq.objects.get(code=faq.code).answer == "Trả lời mới."


def test_publishing_refuses_the_asker_personal_data_and_non_operators(desk: Any, ticket: Ticket) -> None:
    operator = make_operator()
    with pytest.raises(ValidationFailed) as caught:
        services.publish_as_faq(
            ticket_id=ticket.pk,
            actor=operator,
            question="Bà Trần Thị Bình hỏi về khai sinh?",
            answer="Gọi lại số 0987.654.321 để hướng dẫn.",
        )
    assert columns(caught.value) == {"question", "answer"}
    with pytest.raises(Forbidden):
        services.publish_as_faq(
            ticket_id=ticket.pk, actor=desk, question="Câu hỏi hay?", answer="Trả lời hay."
        )
    assert not Faq.objects.exists()
