"""Reads of the help desk: the scope rule (handling agency or desk), the agents' search (code, phone however
written, linked codes, every word without diacritics), a person's tickets, a ticket for its asker, what the
asker sees of it, and the questions and answers of a procedure."""

from __future__ import annotations

from typing import Any

import pytest

from dichvucong.core.errors import NotFound
from dichvucong.core.scope import AgencyScope
from dichvucong.organisations.models import Agency
from dichvucong.support import selectors, services
from dichvucong.support.models import EntryKind, Ticket
from tests.conftest import make_citizen, make_faq, make_procedure
from tests.support.factories import agent, call, handler, question, scope_of

pytestmark = pytest.mark.django_db


def codes(tickets: Any) -> set[str]:
    return {t.code for t in tickets}


@pytest.fixture
def desk() -> Any:
    return agent()


@pytest.fixture
def birth(desk: Any) -> Ticket:
    return call(desk)


@pytest.fixture
def passport(desk: Any) -> Ticket:
    make_procedure(code="1.001456")
    return call(
        desk,
        subject="Hộ chiếu làm bao lâu thì có?",
        description="",
        caller_name="Lê Văn Cường",
        caller_phone="0901234567",
        procedure_code="1.001456",
        dossier_code="",
    )


def test_search_by_phone_however_written(desk: Any, birth: Ticket, passport: Ticket) -> None:
    scope = scope_of(desk)
    for typed in ("0987654321", "0987 654 321", "+84 987 654 321", "0987.654.321"):
        assert codes(selectors.tickets_in_scope(scope, q=typed)) == {birth.code}, typed


def test_search_by_code_and_linked_code(desk: Any, birth: Ticket, passport: Ticket) -> None:
    scope = scope_of(desk)
    assert codes(selectors.tickets_in_scope(scope, q=birth.code.lower())) == {birth.code}
    assert codes(selectors.tickets_in_scope(scope, q="1.001456")) == {passport.code}


def test_search_by_words_without_diacritics_needs_every_word(
    desk: Any, birth: Ticket, passport: Ticket
) -> None:
    scope = scope_of(desk)
    assert codes(selectors.tickets_in_scope(scope, q="dang ky khai sinh")) == {birth.code}
    assert codes(selectors.tickets_in_scope(scope, q="ĐĂNG KÝ Khai Sinh")) == {birth.code}
    assert codes(selectors.tickets_in_scope(scope, q="tran thi binh")) == {birth.code}
    assert codes(selectors.tickets_in_scope(scope, q="ho chieu")) == {passport.code}
    assert not selectors.tickets_in_scope(scope, q="khai sinh ho chieu").exists()
    assert codes(selectors.tickets_in_scope(scope, q="  ")) == {birth.code, passport.code}


def test_filters(desk: Any, birth: Ticket, passport: Ticket) -> None:
    asked = question()
    services.resolve(ticket_id=birth.pk, actor=desk, scope=scope_of(desk), resolution="Đã hướng dẫn")
    everything = AgencyScope.everything()
    assert codes(selectors.tickets_in_scope(everything, status="resolved")) == {birth.code}
    assert codes(selectors.tickets_in_scope(everything, channel="web")) == {asked.code}
    assert codes(selectors.tickets_in_scope(everything, topic="account")) == {asked.code}


def test_a_handed_over_ticket_is_seen_by_the_desk_and_the_new_agency_only(desk: Any, birth: Ticket) -> None:
    services.hand_over(
        ticket_id=birth.pk,
        agency_id=Agency.objects.get(code="UBND-01").pk,
        actor=desk,
        scope=scope_of(desk),
        reason="Thuộc thẩm quyền Hà Nội",
    )
    hanoi, hcm = handler("UBND-01"), handler("UBND-79")
    assert codes(selectors.tickets_in_scope(scope_of(hanoi))) == {birth.code}
    assert codes(selectors.tickets_in_scope(scope_of(desk))) == {birth.code}
    assert not selectors.tickets_in_scope(scope_of(hcm)).exists()
    assert selectors.ticket_get_in_scope(scope_of(hanoi), birth.code).pk == birth.pk
    with pytest.raises(NotFound):
        selectors.ticket_get_in_scope(scope_of(hcm), birth.code)
    with pytest.raises(NotFound):
        selectors.ticket_by_id_in_scope(scope_of(hcm), birth.pk)
    assert not selectors.tickets_in_scope(AgencyScope.nothing()).exists()


def test_my_tickets_are_mine_and_those_from_my_verified_phone(birth: Ticket) -> None:
    caller = make_citizen(username="0987654321", phone="0987654321", email="binh@example.vn")
    mine = question(user=caller, caller_phone="", caller_email="")
    other = question(caller_phone="0911222333")
    assert codes(selectors.my_tickets(caller)) == {mine.code, birth.code}
    assert other.code not in codes(selectors.my_tickets(caller))
    caller.phone_verified = False
    assert codes(selectors.my_tickets(caller)) == {mine.code}


def test_a_ticket_for_its_asker(birth: Ticket) -> None:
    assert selectors.ticket_for_asker(birth.code, phone="0987 654 321").pk == birth.pk
    asked = question(caller_phone="", caller_email="Hoa.Pham@Example.vn")
    assert selectors.ticket_for_asker(asked.code, email="hoa.pham@example.vn").pk == asked.pk
    for wrong in ({"phone": "0911111111"}, {"phone": ""}, {"email": "someone@example.vn"}, {}):
        with pytest.raises(NotFound):
            selectors.ticket_for_asker(birth.code, **wrong)
    with pytest.raises(NotFound):
        selectors.ticket_for_asker("HT-000000-AAAAAA", phone="0987654321")
    stranger = make_citizen()
    with pytest.raises(NotFound):
        selectors.ticket_for_asker(birth.code, user=stranger)


def test_the_asker_sees_replies_not_notes_or_calls(desk: Any, birth: Ticket) -> None:
    scope = scope_of(desk)
    services.add_note(ticket_id=birth.pk, actor=desk, scope=scope, text="Ghi chú nội bộ")
    services.log_call(ticket_id=birth.pk, actor=desk, scope=scope, text="Gọi lại", outgoing=True)
    services.reply(ticket_id=birth.pk, actor=desk, scope=scope, text="Trả lời")
    assert [e.kind for e in selectors.public_entries(birth)] == [EntryKind.REPLY]
    assert len(selectors.entries(birth)) == 4


def test_faqs_of_a_procedure() -> None:
    make_procedure(code="1.001456")
    make_faq(code="HD-1")
    make_faq(code="HD-2", procedures=["1.001193"])
    assert [f.code for f in selectors.faqs_for_procedure("1.001456")] == ["HD-1"]


def test_phone_digits() -> None:
    assert selectors.phone_digits("+84 912 345 678") == "0912345678"
    assert selectors.phone_digits("(024) 3823-4567") == "02438234567"
    assert selectors.phone_digits("12345") is None
    assert selectors.phone_digits("abc") is None
