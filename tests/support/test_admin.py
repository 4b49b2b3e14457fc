"""The help desk in the back office: an agent logs a call (a new ticket) and hands it over; officers of the
receiving agency see and work it; officers of another agency neither see it in the list nor open it (404);
actions go through the services, refusals come back next to the field, operators publish questions."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dichvucong.catalogue.models import Faq
from dichvucong.core.models import AuditEvent
from dichvucong.organisations.models import Agency
from dichvucong.support.models import EntryKind, Ticket, TicketStatus
from tests.conftest import make_operator, make_procedure, verified_staff_client
from tests.support.factories import agent, call, handler

pytestmark = pytest.mark.django_db
LIST = "admin:support_ticket_changelist"
ADD = "admin:support_ticket_add"


def staff(user: Any) -> Client:
    return verified_staff_client(Client(), user)


def change_url(ticket: Ticket) -> str:
    return reverse("admin:support_ticket_change", args=[ticket.pk])


def action_url(ticket: Ticket, name: str) -> str:
    return reverse(f"admin:support_ticket_{name}", args=[ticket.pk])


@pytest.fixture
def desk_user() -> Any:
    return agent()


@pytest.fixture
def desk(desk_user: Any) -> Client:
    return staff(desk_user)


def test_an_agent_logs_a_call_and_hands_it_over(desk: Client) -> None:
    page = desk.get(reverse(ADD))
    assert page.status_code == 200 and "Số điện thoại" in page.text
    listing = desk.get(reverse(LIST))
    assert "Ghi nhận cuộc gọi" in listing.text
    response = desk.post(
        reverse(ADD),
        {
            "channel": "phone",
            "caller_name": "Trần Thị Bình",
            "caller_phone": "0987 654 321",
            "topic": "dossier",
            "subject": "Hồ sơ khai sinh quá hạn",
            "description": "Nộp ở Hà Nội, quá hẹn 3 ngày",
            "duration": "3:25",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == change_url(ticket)
    assert ticket.entries.get().duration_seconds == 205
    assert ticket.caller_phone == "0987654321" and ticket.agency.code == "VPCP"
    shown = desk.get(change_url(ticket))
    assert shown.status_code == 200
    assert ticket.code in shown.text and "Hồ sơ khai sinh quá hạn" in shown.text and "3:25" in shown.text

    hanoi = Agency.objects.get(code="UBND-01")
    response = desk.post(
        action_url(ticket, "handover"), {"agency": hanoi.pk, "reason": "Thuộc thẩm quyền Hà Nội"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.agency == hanoi and ticket.status == TicketStatus.HANDED_OVER
    assert AuditEvent.objects.filter(action="support.handed_over", object_id=str(ticket.pk)).exists()
    assert desk.get(change_url(ticket)).status_code == 200  # the desk keeps following it


def test_a_call_answered_on_the_phone_is_resolved_at_once(desk: Client) -> None:
    desk.post(
        reverse(ADD),
        {
            "channel": "phone",
            "caller_name": "Ông Tư",
            "topic": "procedure",
            "subject": "Hỏi lệ phí hộ chiếu",
            "resolution": "Đã trả lời: 200.000 đồng",
        },
    )
    ticket = Ticket.objects.get()
    assert ticket.status == TicketStatus.RESOLVED and ticket.resolution == "Đã trả lời: 200.000 đồng"


def test_refusals_come_back_next_to_their_field(desk: Client) -> None:
    response = desk.post(
        reverse(ADD),
        {
            "channel": "phone",
            "topic": "procedure",
            "subject": "Hỏi",
            "procedure_code": "1.999999",
            "duration": "x",
        },
    )
    assert response.status_code == 200
    assert "Nhập thời lượng dạng phút:giây" in response.text
    assert not Ticket.objects.exists()
    response = desk.post(
        reverse(ADD),
        {"channel": "phone", "topic": "procedure", "subject": "Hỏi", "procedure_code": "1.999999"},
    )
    assert "Không có thủ tục hành chính mã “1.999999”" in response.text
    assert "Vui lòng ghi số điện thoại hoặc họ tên người gọi." in response.text
    assert not Ticket.objects.exists()


def test_the_list_searches_like_the_help_desk(desk: Client, desk_user: Any) -> None:
    birth = call(desk_user)
    other = call(
        desk_user, subject="Hỏi về hộ chiếu", description="", caller_phone="0901234567", caller_name=""
    )
    found = desk.get(reverse(LIST), {"q": "+84 987 654 321"})
    assert birth.code in found.text and other.code not in found.text
    found = desk.get(reverse(LIST), {"q": "ho chieu"})
    assert other.code in found.text and birth.code not in found.text
    assert birth.code in desk.get(reverse(LIST), {"status__exact": "open"}).text
    assert birth.code not in desk.get(reverse(LIST), {"status__exact": "resolved"}).text


def test_the_receiving_agency_sees_it_another_agency_does_not(desk_user: Any) -> None:
    ticket = call(desk_user)
    hanoi_officer, hcm_officer = handler("UBND-01"), handler("UBND-79")
    hanoi, hcm = staff(hanoi_officer), staff(hcm_officer)
    assert change_url(ticket) not in hanoi.get(reverse(LIST)).text
    assert hanoi.get(change_url(ticket)).status_code == 404  # not handed over yet
    staff(desk_user).post(
        action_url(ticket, "handover"), {"agency_code": "UBND-01", "reason": "Thuộc thẩm quyền Hà Nội"}
    )
    assert change_url(ticket) in hanoi.get(reverse(LIST)).text
    assert hanoi.get(change_url(ticket)).status_code == 200
    response = hanoi.post(action_url(ticket, "resolve"), {"resolution": "Đã trả kết quả cho người dân"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED

    assert change_url(ticket) not in hcm.get(reverse(LIST)).text
    assert hcm.get(reverse(LIST), {"q": ticket.code}).status_code == 200
    assert change_url(ticket) not in hcm.get(reverse(LIST), {"q": ticket.code}).text
    for url in (change_url(ticket), action_url(ticket, "reopen"), action_url(ticket, "note")):
        assert hcm.get(url).status_code == 404, url
    assert hcm.post(action_url(ticket, "reopen"), {"reason": "x"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED


def test_roles_decide_what_an_officer_may_do(desk_user: Any) -> None:
    ticket = call(desk_user)
    hanoi = staff(handler("UBND-01"))
    assert hanoi.get(reverse(ADD)).status_code == 403  # handlers work tickets, they do not take calls
    desk = staff(desk_user)
    assert desk.get(action_url(ticket, "faq")).status_code == 403  # operators only
    assert "Đăng thành câu hỏi thường gặp" not in desk.get(change_url(ticket)).text
    response = desk.post(action_url(ticket, "handover"), {"reason": "x"})
    assert "Vui lòng chọn cơ quan nhận." in response.text
    response = desk.post(action_url(ticket, "handover"), {"agency_code": "KHONG-CO", "reason": "x"})
    assert "Không có cơ quan mã “KHONG-CO”." in response.text
    response = desk.post(action_url(ticket, "reopen"), {"reason": "x"})  # not resolved
    assert "chưa được giải quyết" in response.text


def test_actions_write_entries(desk: Client, desk_user: Any) -> None:
    ticket = call(desk_user)
    assert desk.post(action_url(ticket, "note"), {"text": "Ghi chú"}).status_code == 302
    assert (
        desk.post(
            action_url(ticket, "call"), {"text": "Gọi lại", "duration": "1", "outgoing": "on"}
        ).status_code
        == 302
    )
    assert desk.post(action_url(ticket, "reply"), {"text": "Trả lời"}).status_code == 302
    kinds = list(ticket.entries.values_list("kind", flat=True))
    assert kinds == [EntryKind.CALL_IN, EntryKind.NOTE, EntryKind.CALL_OUT, EntryKind.REPLY]
    assert ticket.entries.get(kind=EntryKind.CALL_OUT).duration_seconds == 60
    page = desk.get(change_url(ticket)).text
    assert "Ghi chú nội bộ" in page and "Gọi lại cho người dân" in page


def test_an_operator_publishes_a_question(desk_user: Any) -> None:
    make_procedure(code="1.001456")
    ticket = call(desk_user, procedure_code="1.001456", subject="Hộ chiếu cho trẻ em cần gì?")
    operator = staff(make_operator())
    form = operator.get(action_url(ticket, "faq"))
    assert form.status_code == 200 and "Hộ chiếu cho trẻ em cần gì?" in form.text  # prefilled
    response = operator.post(
        action_url(ticket, "faq"),
        {
            "question": "Hộ chiếu cho trẻ em cần gì?",
            "answer": "Tờ khai TK01 do cha hoặc mẹ khai, kèm khai sinh.",
        },
    )
    assert response.status_code == 302
    assert Faq.objects.filter(code=f"HD-{ticket.code}", procedure_links__procedure_code="1.001456").exists()


def test_the_list_costs_the_same_whatever_the_number_of_tickets(
    desk: Client, desk_user: Any, django_assert_max_num_queries: Any
) -> None:
    call(desk_user)
    desk.get(reverse(LIST))  # sessions, permissions and the like are cached after the first request
    with django_assert_max_num_queries(12) as few:
        desk.get(reverse(LIST))
    for n in range(10):
        call(desk_user, subject=f"Câu hỏi {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert desk.get(reverse(LIST)).status_code == 200
