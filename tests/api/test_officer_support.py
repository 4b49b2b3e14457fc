"""The officer API for the help desk: the list (search, filters, pages), one ticket with its entries, logging a
call, reply, hand-over and resolution; roles decide what an officer may do, the scope (handling agency or desk)
which tickets, and a ticket outside it does not exist."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from dichvucong.core.models import AuditEvent
from dichvucong.support.models import Ticket
from tests.conftest import make_officer, verified_staff_client
from tests.support.factories import agent, call, handler

pytestmark = pytest.mark.django_db
BASE = "/api/v1/officer/tickets"


def staff(user: Any) -> Client:
    return verified_staff_client(Client(), user)


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def desk_user() -> Any:
    return agent()


@pytest.fixture
def desk(desk_user: Any) -> Client:
    return staff(desk_user)


def test_an_agent_logs_a_call(desk: Client) -> None:
    response = post(
        desk,
        BASE,
        {
            "topic": "payment",
            "subject": "Đã trừ tiền nhưng chưa có biên lai",
            "caller_name": "Trần Thị Bình",
            "caller_phone": "0987 654 321",
            "call_duration_seconds": 95,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "phone" and body["agency"] == body["desk_agency"] == "VPCP"
    assert body["caller_phone"] == "0987654321"
    assert [(e["kind"], e["duration_seconds"]) for e in body["entries"]] == [("call_in", 95)]
    assert Ticket.objects.filter(code=body["code"]).exists()


def test_a_refused_call_lists_every_problem(desk: Client) -> None:
    response = post(desk, BASE, {"topic": "nothing", "subject": "x", "procedure_code": "1.999999"})
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    columns = {e["column"] for e in response.json()["errors"]}
    assert columns == {"topic", "procedure_code", "caller_phone"}


def test_list_search_and_paging(desk: Client, desk_user: Any) -> None:
    first = call(desk_user)
    second = call(desk_user, subject="Hỏi hộ chiếu", description="", caller_phone="0901234567")
    everything = desk.get(BASE).json()
    assert [t["code"] for t in everything["items"]] == [second.code, first.code]  # newest first
    assert everything["next_offset"] is None
    page = desk.get(BASE, {"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_offset"] == 1
    found = desk.get(BASE, {"q": "0987 654 321"}).json()
    assert [t["code"] for t in found["items"]] == [first.code]
    found = desk.get(BASE, {"q": "ho chieu"}).json()
    assert [t["code"] for t in found["items"]] == [second.code]
    assert desk.get(BASE, {"status": "resolved"}).json()["items"] == []


def test_reply_hand_over_resolve_and_scope(desk: Client, desk_user: Any) -> None:
    ticket = call(desk_user)
    hanoi, hcm = staff(handler("UBND-01")), staff(handler("UBND-79"))
    url = f"{BASE}/{ticket.code}"
    assert hanoi.get(url).status_code == 404
    assert post(desk, f"{url}/reply", {"text": "Cần tờ khai và giấy chứng sinh."}).status_code == 200
    response = post(desk, f"{url}/hand-over", {"agency": "UBND-01", "reason": "Thuộc thẩm quyền Hà Nội"})
    assert response.status_code == 200, response.content
    assert response.json()["agency"] == "UBND-01" and response.json()["status"] == "handed_over"
    detail = hanoi.get(url)
    assert detail.status_code == 200
    assert [e["kind"] for e in detail.json()["entries"]] == ["call_in", "reply", "handover"]
    assert [t["code"] for t in hanoi.get(BASE).json()["items"]] == [ticket.code]

    assert hcm.get(url).status_code == 404
    assert hcm.get(BASE, {"q": ticket.code}).json()["items"] == []
    for action, body in (
        ("reply", {"text": "x"}),
        ("resolve", {"resolution": "x"}),
        ("hand-over", {"agency": "UBND-79", "reason": "x"}),
    ):
        assert post(hcm, f"{url}/{action}", body).status_code == 404, action

    response = post(hanoi, f"{url}/resolve", {"resolution": "Đã trả kết quả"})
    assert response.status_code == 200 and response.json()["status"] == "resolved"
    assert post(hanoi, f"{url}/resolve", {"resolution": "lần nữa"}).status_code == 409
    assert AuditEvent.objects.filter(action="support.resolved", object_id=str(ticket.pk)).exists()


def test_hand_over_to_an_unknown_agency_is_refused(desk: Client, desk_user: Any) -> None:
    ticket = call(desk_user)
    response = post(desk, f"{BASE}/{ticket.code}/hand-over", {"agency": "KHONG-CO", "reason": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["column"] == "agency"


def test_roles(desk_user: Any) -> None:
    ticket = call(desk_user)
    hanoi = staff(handler("UBND-01"))
    assert post(hanoi, BASE, {"topic": "other", "subject": "x", "caller_name": "A"}).status_code == 403
    nobody = staff(make_officer("VPCP", username="khong-vai-tro"))  # the desk's agency, no role
    assert nobody.get(BASE).status_code == 403
    assert nobody.get(f"{BASE}/{ticket.code}").status_code == 403
    assert Client().get(BASE).status_code == 401


def test_the_list_costs_the_same_whatever_the_number_of_tickets(
    desk: Client, desk_user: Any, django_assert_max_num_queries: Any
) -> None:
    call(desk_user)
    desk.get(BASE)
    with django_assert_max_num_queries(10) as few:
        desk.get(BASE)
    for n in range(10):
        call(desk_user, subject=f"Câu hỏi {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(desk.get(BASE).json()["items"]) == 11
