"""The status sync: idempotent by event id, the same state in any order, an agency writes only its own."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from dichvucong.dossiers import sync
from dichvucong.dossiers.models import Dossier, DossierEvent
from dichvucong.dossiers.national import DossierRecord
from dichvucong.organisations.models import Agency

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)  # Monday 08:00 in Hà Nội


def _source(root: str = "UBND-01") -> sync.SyncSource:
    from dichvucong.accounts.selectors import agency_tree_ids

    agency = Agency.objects.get(code=root)
    return sync.SyncSource(agency_id=agency.pk, allowed_agency_ids=frozenset(agency_tree_ids(agency.pk)))


def _event(n: int, code: str, status: int, minutes: int, **extra) -> sync.EventIn:
    return sync.EventIn(
        event_id=f"ev-{n}", dossier_code=code, status=status, occurred_at=T0 + dt.timedelta(minutes=minutes), **extra
    )


def _state() -> list[tuple]:
    return sorted(
        Dossier.objects.values_list(
            "code", "agency_id", "status", "status_at", "status_event", "received_at", "finished_at", "returned_at",
            "applicant_name", "procedure_code", "due_at",
        )
    ) + sorted(DossierEvent.objects.values_list("agency_id", "event_id", "dossier__code", "status", "occurred_at"))


def _batch() -> list[sync.EventIn]:
    record = DossierRecord(code="H01-261102-0001", procedure_code="1.001193", applicant_name="Trần Văn Bình", channel=1)
    later = DossierRecord(code="H01-261102-0001", procedure_code="1.001193", applicant_name="Trần Văn Bình (sửa)")
    return [
        _event(1, "H01-261102-0001", 1, 0, dossier=record),
        _event(2, "H01-261102-0001", 2, 10),
        _event(3, "H01-261102-0001", 4, 20, unit="Phòng Tư pháp"),
        _event(4, "H01-261102-0001", 9, 60, dossier=later),
        _event(5, "H01-261102-0001", 10, 90),
        _event(6, "H01-261102-0002", 2, 5),
        _event(7, "H01-261102-0002", 5, 30),
        _event(8, "H01-261102-0002", 4, 24 * 60 * 3),
    ]


def test_events_are_applied_once_and_a_repeat_is_a_duplicate() -> None:
    first = sync.ingest(source=_source(), events=_batch())
    assert [r.outcome for r in first] == ["applied"] * 8
    again = sync.ingest(source=_source(), events=_batch())
    assert [r.outcome for r in again] == ["duplicate"] * 8
    dossier = Dossier.objects.get(code="H01-261102-0001")
    assert (dossier.status, dossier.received_at, dossier.finished_at) == (10, T0 + dt.timedelta(minutes=10), T0 + dt.timedelta(minutes=60))
    assert dossier.applicant_name == "Trần Văn Bình (sửa)"
    assert dossier.origin == "agency"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_order_and_any_batching_gives_the_same_state(seed: int) -> None:
    sync.ingest(source=_source(), events=_batch())
    expected = _state()
    Dossier.objects.all().delete()
    shuffled = _batch()
    random.Random(seed).shuffle(shuffled)
    for start in range(0, len(shuffled), 3):
        sync.ingest(source=_source(), events=shuffled[start : start + 3])
    sync.ingest(source=_source(), events=list(reversed(shuffled)))
    assert _state() == expected


def test_an_agency_cannot_write_another_provinces_dossier() -> None:
    sync.ingest(source=_source("UBND-01"), events=[_event(1, "H01-1", 2, 0)])
    results = sync.ingest(source=_source("UBND-79"), events=[_event(2, "H01-1", 9, 5), _event(3, "HCM-1", 2, 0)])
    assert [r.outcome for r in results] == ["rejected", "applied"]
    assert Dossier.objects.get(code="H01-1").status == 2


def test_bad_events_are_rejected_with_a_reason_and_the_rest_applied() -> None:
    future = sync.EventIn(event_id="f", dossier_code="X-1", status=2, occurred_at=dt.datetime(2999, 1, 1, tzinfo=dt.UTC))
    results = sync.ingest(
        source=_source(), events=[_event(1, "X-1", 11, 0), future, _event(3, "X-1", 2, 0)], now=T0 + dt.timedelta(days=1)
    )
    assert [r.outcome for r in results] == ["rejected", "rejected", "applied"]
    assert "1–10" in results[0].message and "tương lai" in results[1].message
