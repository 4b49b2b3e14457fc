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
        event_id=f"ev-{n}",
        dossier_code=code,
        status=status,
        occurred_at=T0 + dt.timedelta(minutes=minutes),
        **extra,
    )


def _state() -> list[tuple]:
    return sorted(
        Dossier.objects.values_list(
            "code",
            "agency_id",
            "status",
            "status_at",
            "status_event",
            "received_at",
            "finished_at",
            "returned_at",
            "applicant_name",
            "procedure_code",
            "due_at",
        )
    ) + sorted(
        DossierEvent.objects.values_list("agency_id", "event_id", "dossier__code", "status", "occurred_at")
    )


def _batch() -> list[sync.EventIn]:
    record = DossierRecord(
        code="H01-261102-0001", procedure_code="1.001193", applicant_name="Trần Văn Bình", channel=1
    )
    later = DossierRecord(
        code="H01-261102-0001", procedure_code="1.001193", applicant_name="Trần Văn Bình (sửa)"
    )
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
    assert (dossier.status, dossier.received_at, dossier.finished_at) == (
        10,
        T0 + dt.timedelta(minutes=10),
        T0 + dt.timedelta(minutes=60),
    )
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
    results = sync.ingest(
        source=_source("UBND-79"), events=[_event(2, "H01-1", 9, 5), _event(3, "HCM-1", 2, 0)]
    )
    assert [r.outcome for r in results] == ["rejected", "applied"]
    assert Dossier.objects.get(code="H01-1").status == 2


def test_bad_events_are_rejected_with_a_reason_and_the_rest_applied() -> None:
    future = sync.EventIn(
        event_id="f", dossier_code="X-1", status=2, occurred_at=dt.datetime(2999, 1, 1, tzinfo=dt.UTC)
    )
    results = sync.ingest(
        source=_source(),
        events=[_event(1, "X-1", 11, 0), future, _event(3, "X-1", 2, 0)],
        now=T0 + dt.timedelta(days=1),
    )
    assert [r.outcome for r in results] == ["rejected", "rejected", "applied"]
    assert "1–10" in results[0].message and "tương lai" in results[1].message


@pytest.mark.parametrize("seed", range(6))
def test_the_appointment_moves_by_the_supplement_pauses_whatever_the_order(seed: int) -> None:
    """Events that cannot change the pauses leave the appointment alone; the result is always the one a full
    recomputation from every event gives."""
    due = T0 + dt.timedelta(days=14)
    dossier = Dossier.objects.create(
        code="H01-261102-0100",
        agency=Agency.objects.get(code="UBND-01"),
        origin="portal",
        status=1,
        status_at=T0,
        original_due_at=due,
        due_at=due,
    )
    day = 24 * 60
    events = [
        _event(1, dossier.code, 2, 0),
        _event(2, dossier.code, 5, 1 * day),
        _event(3, dossier.code, 4, 3 * day),
        _event(4, dossier.code, 6, 4 * day),
        _event(5, dossier.code, 5, 5 * day),
        _event(6, dossier.code, 5, 6 * day),
        _event(7, dossier.code, 4, 8 * day),
        _event(8, dossier.code, 9, 10 * day),
        _event(9, dossier.code, 10, 11 * day),
    ]
    rng = random.Random(seed)
    rng.shuffle(events)
    start = 0
    while start < len(events):
        size = rng.randint(1, 3)
        sync.ingest(source=_source(), events=events[start : start + size], now=T0 + dt.timedelta(days=30))
        start += size
    incremental = Dossier.objects.get(pk=dossier.pk).due_at
    sync.recompute_due([dossier.pk])
    assert Dossier.objects.get(pk=dossier.pk).due_at == incremental
    assert incremental is not None and incremental > due
