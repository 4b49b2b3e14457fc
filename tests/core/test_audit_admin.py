"""The audit log in the back office: search by actor, action, object and agency; filters by a range of days (local
time), agency, action and kind of object; an officer sees only their agencies' events."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dichvucong.core import audit
from dichvucong.organisations.models import Agency
from tests.conftest import make_officer, make_operator, make_procedure, verified_staff_client

pytestmark = pytest.mark.django_db

LIST = "/quan-tri/core/auditevent/"
HANOI = dt.timezone(dt.timedelta(hours=7))


def _at(moment: dt.datetime, action: str, **kwargs: Any) -> Any:
    """An event written at `moment` (the clock moved, the log is append-only)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return audit.record(action, **kwargs)


@pytest.fixture
def events(db: None) -> dict[str, Any]:
    hanoi = Agency.objects.get(code="UBND-01")
    hcm = Agency.objects.get(code="UBND-79")
    alice = make_officer("UBND-01", username="alice-hn", roles=("agency_admin",))
    bob = make_officer("UBND-79", username="bob-hcm", roles=("agency_admin",))
    procedure = make_procedure(code="2.900031", name="Thủ tục cấp phép HN-TRACE", managing_agency="UBND-01")
    return {
        "hanoi": hanoi,
        "hcm": hcm,
        "alice": alice,
        "bob": bob,
        "procedure": procedure,
        # 23:30 on 10 November in Hà Nội is still 10 November there, though 16:30 UTC.
        "late_evening": _at(
            dt.datetime(2026, 11, 10, 23, 30, tzinfo=HANOI), "agency.updated", actor=alice, target=hanoi
        ),
        "published": _at(
            dt.datetime(2026, 11, 12, 9, 0, tzinfo=HANOI),
            "catalogue.published",
            actor=alice,
            target=procedure,
        ),
        "theirs": _at(
            dt.datetime(2026, 11, 12, 10, 0, tzinfo=HANOI),
            "agency.updated",
            actor=bob,
            target=hcm,
            detail={"note": "HCM-TRACE"},
        ),
        "sign_in": _at(dt.datetime(2026, 11, 11, 8, 0, tzinfo=HANOI), "auth.signed_in"),
    }


EVENTS = ("late_evening", "published", "theirs", "sign_in")


def _ids(response: Any) -> set[int]:
    return {event.pk for event in response.context["cl"].result_list}


def _found(response: Any, events: dict[str, Any]) -> set[str]:
    """Which of the fixture's events the page lists (signing the test client in writes events too)."""
    listed = _ids(response)
    return {name for name in EVENTS if events[name].pk in listed}


@pytest.fixture
def operator_client(client: Client) -> Client:
    return verified_staff_client(client, make_operator())


def test_operators_see_every_event(operator_client: Client, events: dict[str, Any]) -> None:
    response = operator_client.get(LIST)
    assert response.status_code == 200
    assert _found(response, events) == {"late_evening", "published", "theirs", "sign_in"}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("bob-hcm", {"theirs"}),  # actor
        ("catalogue.published", {"published"}),  # action
        ("HN-TRACE", {"published"}),  # object label
        ("UBND-79", {"theirs"}),  # agency code
    ],
)
def test_search_finds_by_actor_action_object_and_agency(
    operator_client: Client, events: dict[str, Any], term: str, expected: set[str]
) -> None:
    response = operator_client.get(LIST, {"q": term})
    assert _found(response, events) == expected


def test_search_finds_by_object_id_exactly(operator_client: Client, events: dict[str, Any]) -> None:
    response = operator_client.get(LIST, {"q": str(events["procedure"].pk)})
    assert events["published"].pk in _ids(response)


def test_the_date_range_is_in_local_days_both_included(
    operator_client: Client, events: dict[str, Any]
) -> None:
    only_tenth = operator_client.get(LIST, {"tu_ngay": "2026-11-10", "den_ngay": "2026-11-10"})
    assert _found(only_tenth, events) == {"late_evening"}
    from_eleventh = operator_client.get(LIST, {"tu_ngay": "11/11/2026"})
    assert _found(from_eleventh, events) == {"sign_in", "published", "theirs"}
    until_eleventh = operator_client.get(LIST, {"den_ngay": "2026-11-11"})
    assert _found(until_eleventh, events) == {"late_evening", "sign_in"}


def test_a_bad_date_is_explained_in_vietnamese_and_not_applied(
    operator_client: Client, events: dict[str, Any]
) -> None:
    response = operator_client.get(LIST, {"tu_ngay": "31/02/2026"}, follow=True)
    assert "không hợp lệ" in response.content.decode()
    assert _found(response, events) == set(EVENTS)


def test_filters_by_agency_action_and_object_type(operator_client: Client, events: dict[str, Any]) -> None:
    by_agency = operator_client.get(LIST, {"co_quan": "ubnd-01"})
    assert _found(by_agency, events) == {"late_evening", "published"}
    by_action = operator_client.get(LIST, {"action": "agency.updated"})
    assert _found(by_action, events) == {"late_evening", "theirs"}
    by_type = operator_client.get(LIST, {"loai": "catalogue.procedure"})
    assert _found(by_type, events) == {"published"}
    combined = operator_client.get(
        LIST, {"action": "agency.updated", "tu_ngay": "2026-11-12", "co_quan": "UBND-79"}
    )
    assert _found(combined, events) == {"theirs"}


def test_an_unknown_agency_code_finds_nothing_and_says_so(
    operator_client: Client, events: dict[str, Any]
) -> None:
    response = operator_client.get(LIST, {"co_quan": "KHONG-CO"})
    assert _ids(response) == set()
    assert "Không có cơ quan mã" in response.content.decode()


def test_the_filter_form_keeps_the_other_parameters(operator_client: Client, events: dict[str, Any]) -> None:
    body = operator_client.get(LIST, {"q": "bob-hcm", "action": "agency.updated"}).content.decode()
    assert '<input type="hidden" name="q" value="bob-hcm">' in body
    assert '<input type="hidden" name="action" value="agency.updated">' in body


def test_the_list_shows_the_agency_code_without_a_query_per_row(
    operator_client: Client, events: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    for n in range(10):
        audit.record("agency.viewed", target=events["hanoi"], detail={"n": n})
    with django_assert_max_num_queries(14):
        response = operator_client.get(LIST)
    assert "UBND-01" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {},
        {
            "action": "agency.updated",
            "co_quan": "UBND-01",
            "tu_ngay": "2026-11-10",
            "loai": "core.auditevent",
        },
    ],
)
def test_the_list_reads_no_choices_from_the_log(
    operator_client: Client, events: dict[str, Any], params: dict[str, str]
) -> None:
    """No DISTINCT over the log (millions of events) for a filter's choices or a date hierarchy."""
    with CaptureQueriesContext(connection) as queries:
        response = operator_client.get(LIST, params)
    assert response.status_code == 200
    over_the_log = [q["sql"] for q in queries.captured_queries if "core_auditevent" in q["sql"]]
    assert over_the_log
    assert not [sql for sql in over_the_log if "DISTINCT" in sql.upper()]


def test_the_action_is_typed_not_chosen_from_the_log(operator_client: Client, events: dict[str, Any]) -> None:
    body = operator_client.get(LIST, {"action": "agency.updated"}).content.decode()
    assert '<input id="filter-action" type="text" name="action" value="agency.updated">' in body
    assert "?action=catalogue.published" not in body


def test_an_officer_sees_only_their_agencies_events_whatever_they_search(
    client: Client, events: dict[str, Any]
) -> None:
    officer_client = verified_staff_client(client, events["alice"])
    assert _found(officer_client.get(LIST), events) == {"late_evening", "published"}
    for params in ({"q": "bob-hcm"}, {"q": "UBND-79"}, {"co_quan": "UBND-79"}, {"action": "agency.updated"}):
        response = officer_client.get(LIST, params)
        assert events["theirs"].pk not in _ids(response)
        assert "HCM-TRACE" not in response.content.decode()
    theirs = officer_client.get(reverse("admin:core_auditevent_change", args=[events["theirs"].pk]))
    assert theirs.status_code in (302, 404)


def test_heads_of_agency_may_read_the_audit_log(client: Client, events: dict[str, Any]) -> None:
    head = make_officer("UBND-01", username="lanhdao-hn", roles=("head",))
    response = verified_staff_client(client, head).get(LIST)
    assert response.status_code == 200
    assert _found(response, events) == {"late_evening", "published"}


def test_nobody_changes_the_log(operator_client: Client, events: dict[str, Any]) -> None:
    url = reverse("admin:core_auditevent_change", args=[events["published"].pk])
    operator_client.post(url, {"action": "changed"})
    operator_client.post(
        reverse("admin:core_auditevent_delete", args=[events["published"].pk]), {"post": "yes"}
    )
    assert type(events["published"]).objects.get(pk=events["published"].pk).action == "catalogue.published"
    assert timezone.is_aware(events["published"].at)
