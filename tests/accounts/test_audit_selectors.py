"""Reading the audit log (`accounts.selectors.audit_events`): by action, actor, agency code, range of local days
and kind of object, alone or together, and never outside the reader's agency scope."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest

from dichvucong.accounts import selectors
from dichvucong.core import audit
from dichvucong.core.models import AuditEvent
from dichvucong.core.scope import AgencyScope
from dichvucong.organisations.models import Agency
from tests.conftest import make_officer, make_procedure

pytestmark = pytest.mark.django_db

HANOI = dt.timezone(dt.timedelta(hours=7))
EVERYTHING = AgencyScope.everything()


def _at(moment: dt.datetime, action: str, **kwargs: Any) -> AuditEvent:
    """An event written at `moment` (the clock moved, the log is append-only)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return audit.record(action, **kwargs)


@pytest.fixture
def log(db: None) -> dict[str, Any]:
    hanoi = Agency.objects.get(code="UBND-01")
    hcm = Agency.objects.get(code="UBND-79")
    commune = Agency.objects.filter(parent=hanoi).order_by("code").first()
    assert commune is not None
    alice = make_officer("UBND-01", username="alice-hn")
    bob = make_officer("UBND-79", username="bob-hcm")
    procedure = make_procedure(code="2.900041", name="Thủ tục của Hà Nội", managing_agency="UBND-01")
    events = {
        # 23:30 on 10 November in Hà Nội is 16:30 UTC, still 10 November there.
        "late_evening": _at(
            dt.datetime(2026, 11, 10, 23, 30, tzinfo=HANOI), "agency.updated", actor=alice, target=hanoi
        ),
        # 00:30 on 11 November in Hà Nội is 17:30 UTC on the 10th.
        "sign_in": _at(dt.datetime(2026, 11, 11, 0, 30, tzinfo=HANOI), "auth.signed_in"),
        "published": _at(
            dt.datetime(2026, 11, 12, 9, 0, tzinfo=HANOI),
            "catalogue.published",
            actor=alice,
            target=procedure,
        ),
        "theirs": _at(
            dt.datetime(2026, 11, 12, 10, 0, tzinfo=HANOI), "agency.updated", actor=bob, target=hcm
        ),
        "commune": _at(dt.datetime(2026, 11, 13, 8, 0, tzinfo=HANOI), "agency.updated", target=commune),
    }
    return {"hanoi": hanoi, "hcm": hcm, "alice": alice, "bob": bob, "events": events}


def _names(log: dict[str, Any], events: Any) -> set[str]:
    ids = {event.pk for event in events}
    return {name for name, event in log["events"].items() if event.pk in ids}


def test_everything_newest_first_without_criteria(log: dict[str, Any]) -> None:
    listed = [event.pk for event in selectors.audit_events(EVERYTHING)]
    expected = ["commune", "theirs", "published", "sign_in", "late_evening"]
    assert listed == [log["events"][name].pk for name in expected]


def test_by_action_exactly(log: dict[str, Any]) -> None:
    assert _names(log, selectors.audit_events(EVERYTHING, action="agency.updated")) == {
        "late_evening",
        "theirs",
        "commune",
    }
    assert _names(log, selectors.audit_events(EVERYTHING, action="agency")) == set()


def test_by_part_of_the_actors_name_in_any_case(log: dict[str, Any]) -> None:
    assert _names(log, selectors.audit_events(EVERYTHING, actor="ALICE")) == {"late_evening", "published"}


def test_by_agency_code_in_any_case_that_agency_only(log: dict[str, Any]) -> None:
    # The commune under Hà Nội is another agency: its events are not Hà Nội's.
    assert _names(log, selectors.audit_events(EVERYTHING, agency_code=" ubnd-01 ")) == {
        "late_evening",
        "published",
    }


def test_an_unknown_agency_code_finds_nothing(log: dict[str, Any]) -> None:
    assert not selectors.audit_events(EVERYTHING, agency_code="KHONG-CO").exists()


def test_an_agencys_number_is_not_its_code(log: dict[str, Any]) -> None:
    assert selectors.agency_id_by_code("ubnd-79") == log["hcm"].pk
    assert selectors.agency_id_by_code(str(log["hcm"].pk)) is None


def test_by_local_days_both_included(log: dict[str, Any]) -> None:
    tenth = dt.date(2026, 11, 10)
    eleventh = dt.date(2026, 11, 11)
    assert _names(log, selectors.audit_events(EVERYTHING, day_from=tenth, day_to=tenth)) == {"late_evening"}
    assert _names(log, selectors.audit_events(EVERYTHING, day_from=eleventh, day_to=eleventh)) == {"sign_in"}
    assert _names(log, selectors.audit_events(EVERYTHING, day_from=dt.date(2026, 11, 12))) == {
        "published",
        "theirs",
        "commune",
    }
    assert _names(log, selectors.audit_events(EVERYTHING, day_to=eleventh)) == {"late_evening", "sign_in"}


def test_by_kind_of_object(log: dict[str, Any]) -> None:
    assert _names(log, selectors.audit_events(EVERYTHING, object_type="catalogue.procedure")) == {"published"}
    assert _names(log, selectors.audit_events(EVERYTHING, object_type="organisations.agency")) == {
        "late_evening",
        "theirs",
        "commune",
    }


def test_criteria_together_must_all_hold(log: dict[str, Any]) -> None:
    found = selectors.audit_events(
        EVERYTHING,
        action="agency.updated",
        actor="bob",
        agency_code="UBND-79",
        day_from=dt.date(2026, 11, 12),
        day_to=dt.date(2026, 11, 12),
        object_type="organisations.agency",
    )
    assert _names(log, found) == {"theirs"}
    assert not selectors.audit_events(
        EVERYTHING, action="agency.updated", actor="alice", day_from=dt.date(2026, 11, 11)
    ).exists()


def test_an_officer_reads_their_agencies_events_only_whatever_the_criteria(log: dict[str, Any]) -> None:
    scope = selectors.agency_scope(log["alice"])
    # Their agency and the commune under it; not the other province, not events of no agency (sign-ins).
    assert _names(log, selectors.audit_events(scope)) == {"late_evening", "published", "commune"}
    assert _names(log, selectors.audit_events(scope, action="agency.updated")) == {"late_evening", "commune"}
    assert not selectors.audit_events(scope, agency_code="UBND-79").exists()
    assert not selectors.audit_events(scope, actor="bob").exists()
    assert not selectors.audit_events(scope, action="auth.signed_in").exists()


def test_nobody_outside_the_back_office_reads_anything(log: dict[str, Any]) -> None:
    assert not selectors.audit_events(AgencyScope.nothing(), agency_code="UBND-01").exists()


def test_narrowing_keeps_the_events_it_is_given(log: dict[str, Any]) -> None:
    given = AuditEvent.objects.filter(pk=log["events"]["theirs"].pk)
    hanoi_updates = selectors.narrow_audit_events(given, action="agency.updated", agency_id=log["hanoi"].pk)
    assert not hanoi_updates.exists()
