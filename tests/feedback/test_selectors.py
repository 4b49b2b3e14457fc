"""Feedback reads: the sender's, the look-up, the published answers, an officer's scope, suggestions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dichvucong.accounts.selectors import agency_scope
from dichvucong.core.errors import NotFound
from dichvucong.core.scope import AgencyScope
from dichvucong.feedback import reminders, selectors
from dichvucong.feedback.models import Action, Status
from tests.conftest import make_citizen, make_procedure
from tests.feedback.factories import (
    MONDAY_9AM,
    answered_feedback,
    forwarded_feedback,
    handler,
    make_feedback,
    published_feedback,
)

pytestmark = pytest.mark.django_db


def codes(agencies: list[Any]) -> list[str]:
    return [a.code for a in agencies]


def test_my_feedback_and_owner_access() -> None:
    citizen = make_citizen()
    mine = make_feedback(user=citizen)
    make_feedback()
    assert list(selectors.my_feedback(citizen)) == [mine]
    assert selectors.feedback_for_owner(citizen, mine.code.lower()) == mine
    other = make_citizen(phone="0987000111", username="0987000111", email="", citizen_id=None)
    with pytest.raises(NotFound):
        selectors.feedback_for_owner(other, mine.code)


def test_lookup_compares_the_phone_however_it_is_typed() -> None:
    feedback = make_feedback(sender_phone="0912345678")
    assert selectors.lookup(code=feedback.code, phone="+84 912 345 678") == feedback
    for phone in ("0987654321", "", "abc"):
        with pytest.raises(NotFound):
            selectors.lookup(code=feedback.code, phone=phone)
    with pytest.raises(NotFound):
        selectors.lookup(code="PAKN-000000-000000", phone="0912345678")


def test_only_published_feedback_is_public() -> None:
    published = published_feedback("UBND-01")
    answered = answered_feedback("UBND-01")
    assert list(selectors.published()) == [published]
    assert list(selectors.published(agency_code="UBND-79")) == []
    assert selectors.published_get(published.code) == published
    with pytest.raises(NotFound):
        selectors.published_get(answered.code)


def test_scope_limits_officers_to_their_agency_and_unforwarded_to_operators() -> None:
    waiting = make_feedback()
    hanoi = forwarded_feedback("UBND-01")
    hcm = forwarded_feedback("UBND-79")
    officer = handler("UBND-01")
    assert list(selectors.feedback_in_scope(agency_scope(officer))) == [hanoi]
    assert set(selectors.feedback_in_scope(AgencyScope.everything())) == {waiting, hanoi, hcm}
    assert list(selectors.feedback_in_scope(AgencyScope.everything(), status=Status.RECEIVED)) == [waiting]
    assert list(selectors.feedback_in_scope(AgencyScope.everything(), q=hcm.code.lower())) == [hcm]
    with pytest.raises(NotFound):
        selectors.feedback_get_in_scope(agency_scope(officer), hcm.code)
    with pytest.raises(NotFound):
        selectors.feedback_get_in_scope(agency_scope(officer), waiting.code)
    assert selectors.feedback_get_in_scope(AgencyScope.everything(), waiting.code) == waiting


def test_back_office_search_matches_words_without_diacritics_and_the_phone_however_typed() -> None:
    road = make_feedback(title="Đường vào trụ sở xã ngập nước", sender_phone="0987654321")
    other = make_feedback(title="Giấy phép xây dựng chậm cấp")
    everything = AgencyScope.everything()
    assert list(selectors.feedback_in_scope(everything, q="duong ngap")) == [road]
    assert list(selectors.feedback_in_scope(everything, q="0987 654 321")) == [road]
    assert list(selectors.feedback_in_scope(everything, q="giay phep")) == [other]
    assert list(selectors.feedback_in_scope(everything, q="giay ngap")) == []


def test_overdue_filter_and_is_overdue() -> None:
    waiting = make_feedback()
    handling = forwarded_feedback("UBND-01")
    later = dt.datetime(
        2026, 11, 10, 2, 0, tzinfo=dt.UTC
    )  # past forwarding (6 Nov), before the answer (20 Nov)
    found = selectors.feedback_in_scope(AgencyScope.everything(), overdue=True, now=later)
    assert list(found) == [waiting]
    assert selectors.is_overdue(waiting, later) and not selectors.is_overdue(handling, later)
    assert selectors.is_overdue(handling, dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC))


def test_list_reads_do_not_grow_with_rows(django_assert_num_queries: Any) -> None:
    for agency in ("UBND-01", "UBND-79", "UBND-01"):
        forwarded_feedback(agency, unit_code="00004")
    with django_assert_num_queries(1):
        rows = [
            (f.agency.name, f.unit.parent.name) for f in selectors.feedback_in_scope(AgencyScope.everything())
        ]
    assert len(rows) == 3


def test_public_timeline_hides_reminders() -> None:
    feedback = forwarded_feedback("UBND-01")
    handler("UBND-01")
    reminders.send_reminders(now=dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC))
    full = [e.action for e in selectors.timeline(feedback, public=False)]
    public = [e.action for e in selectors.timeline(feedback, public=True)]
    assert Action.REMINDED in full and Action.REMINDED not in public
    assert public == [Action.RECEIVED, Action.FORWARDED]


def test_suggestions_from_a_province_level_procedure_and_a_commune() -> None:
    make_procedure()  # the passport: province level, managed by XNC
    found = selectors.suggest_agencies(procedure_code="1.001456", unit_code="00004")
    assert codes(found) == ["UBND-01", "XNC", "UBND-00004"]


def test_suggestions_from_a_commune_level_procedure() -> None:
    make_procedure(
        code="1.000001",
        name="Đăng ký khai sinh",
        levels=["commune"],
        managing_agency="BTP",
        fields=["Hộ tịch"],
    )
    found = selectors.suggest_agencies(procedure_code="1.000001", unit_code="00004")
    assert codes(found) == ["UBND-00004", "UBND-01", "BTP"]


def test_suggestions_from_a_field_most_procedures_first_and_at_most_six() -> None:
    make_procedure(code="1.000001", name="Đăng ký khai sinh", managing_agency="BTP", fields=["Hộ tịch"])
    make_procedure(code="1.000002", name="Đăng ký kết hôn", managing_agency="BTP", fields=["Hộ tịch"])
    make_procedure(code="1.000003", name="Đăng ký khai tử", managing_agency="BCA", fields=["Hộ tịch"])
    assert codes(selectors.suggest_agencies(field_slug="ho-tich")) == ["BTP", "BCA"]
    assert codes(selectors.suggest_agencies(unit_code="00004", field_slug="ho-tich")) == [
        "UBND-00004",
        "UBND-01",
        "BTP",
        "BCA",
    ]
    assert codes(selectors.suggest_agencies(unit_code="01")) == ["UBND-01"]
    assert selectors.suggest_agencies() == []
    assert selectors.suggest_agencies(procedure_code="9.999999", unit_code="99999") == []


def test_feedback_received_on_a_monday_is_due_for_forwarding_on_friday() -> None:
    assert make_feedback(now=MONDAY_9AM).forward_due_at.astimezone(dt.UTC) == dt.datetime(
        2026, 11, 6, 10, 0, tzinfo=dt.UTC
    )
