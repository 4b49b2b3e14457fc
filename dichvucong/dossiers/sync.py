"""The national status sync: every agency's one-stop system reports the status of every dossier it handles, made
on the portal or received at its counter. One service, `ingest`, serves both interfaces (the bulk JSON API and the
national `DongBoHoSoMC`/`CapNhatTienDoHoSoMC` interface).

Rules that make replays safe:
- an event is identified by (sending agency, event id); the same event again is a duplicate and changes nothing;
- a dossier's status is that of its latest event by (time, event id), and its dates are the earliest event of
  their kind, so that events applied in any order, in any batches, give the same dossier;
- a dossier's descriptive fields come from the record of the latest event that carried one, by the same order;
- a batch is one transaction: a process killed mid-batch leaves nothing of it, and the sender sends it again.

At national scale this runs set-wise: a batch of a thousand events is a handful of statements, not a thousand.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from dichvucong.dossiers import deadlines
from dichvucong.dossiers.models import Apology, Dossier, DossierEvent, Origin, Status
from dichvucong.dossiers.national import DossierRecord, RecordError, record_time
from dichvucong.organisations.models import Agency

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class EventIn:
    """One status change or processing step, as an agency sends it."""

    event_id: str
    dossier_code: str
    status: int
    occurred_at: dt.datetime
    actor_name: str = ""
    actor_title: str = ""
    unit: str = ""
    content: str = ""
    step_started_at: dt.datetime | None = None
    step_due_at: dt.datetime | None = None
    dossier: DossierRecord | None = None


@dataclass(frozen=True)
class EventResult:
    index: int
    event_id: str
    dossier_code: str
    outcome: str  # "applied" | "duplicate" | "rejected"
    message: str = ""


@dataclass(frozen=True)
class SyncSource:
    """Who sends: the agency whose system it is (event ids are unique per sending agency), the agencies whose
    dossiers it may write (that agency and those under it), and through which interface."""

    agency_id: int
    allowed_agency_ids: frozenset[int]
    kind: str = DossierEvent.Source.API


def event_from_record(record: DossierRecord) -> EventIn:
    """The status a `DongBoHoSoMC` record states, as an event whose id and time are derived from the record, so
    that the same record sent again is the same event."""
    if record.status is None:
        raise RecordError("TrangThaiHoSo: bắt buộc")
    moment = record_time(record)
    if moment is None:
        raise RecordError("NgayTiepNhan: bắt buộc khi không có NgayKetThucXuLy, NgayTra")
    return EventIn(
        event_id=f"DongBoHoSoMC-{record.code}-{record.status:02d}",
        dossier_code=record.code,
        status=record.status,
        occurred_at=moment,
        dossier=record,
    )


def _problem(event: EventIn, now: dt.datetime) -> str:
    if not event.event_id or len(event.event_id) > 80:
        return "Mã sự kiện (id) bắt buộc, tối đa 80 ký tự."
    if not event.dossier_code or len(event.dossier_code) > 60:
        return "Mã hồ sơ bắt buộc, tối đa 60 ký tự."
    if event.status not in Status.values:
        return f"Trạng thái {event.status} không thuộc danh mục TrangThaiHoSo (1–10)."
    if event.occurred_at.tzinfo is None:
        return "Thời điểm phải có múi giờ."
    tolerance = dt.timedelta(seconds=settings.DOSSIER_EVENT_FUTURE_TOLERANCE_SECONDS)
    if event.occurred_at > now + tolerance:
        return "Thời điểm xảy ra ở tương lai."
    return ""


def _agency_ids(codes: set[str]) -> dict[str, int]:
    """Agencies named by code or by identification code (`DonViXuLy`, `madonvi`)."""
    if not codes:
        return {}
    found: dict[str, int] = {}
    for pk, code, ident in Agency.objects.filter(
        Q(code__in=codes) | Q(identification_code__in=codes)
    ).values_list("id", "code", "identification_code"):
        found[code] = pk
        if ident:
            found[ident] = pk
    return found


def _placeholder(kind: str) -> str:
    return f"%s::{kind}" if connection.vendor == "postgresql" else "%s"


def _adapt(value: dt.datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value) if value is not None else None


def _insert_events(
    source: SyncSource, rows: list[tuple[EventIn, int]], now: dt.datetime
) -> set[str]:
    """Insert new events; return the ids of those that were not there already."""
    if not rows:
        return set()
    table = DossierEvent._meta.db_table
    columns = (
        "agency_id, event_id, dossier_id, status, occurred_at, actor_name, actor_title, unit, content, "
        "step_started_at, step_due_at, source, recorded_at"
    )
    ts, txt, big, small = (_placeholder("timestamptz"), _placeholder("text"), _placeholder("bigint"),
                           _placeholder("smallint"))
    row_sql = f"({big}, {txt}, {big}, {small}, {ts}, {txt}, {txt}, {txt}, {txt}, {ts}, {ts}, {txt}, {ts})"
    inserted: set[str] = set()
    recorded = _adapt(now)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            params: list[Any] = []
            for event, dossier_id in chunk:
                params += [
                    source.agency_id,
                    event.event_id,
                    dossier_id,
                    event.status,
                    _adapt(event.occurred_at),
                    event.actor_name[:200],
                    event.actor_title[:200],
                    event.unit[:300],
                    event.content,
                    _adapt(event.step_started_at),
                    _adapt(event.step_due_at),
                    source.kind,
                    recorded,
                ]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_sql] * len(chunk))} "
                "ON CONFLICT (agency_id, event_id) DO NOTHING RETURNING event_id",
                params,
            )
            inserted.update(row[0] for row in cursor.fetchall())
    return inserted


@dataclass
class _Summary:
    """What a batch's new events say about one dossier."""

    latest: tuple[dt.datetime, str, int]
    received: dt.datetime | None = None
    finished: dt.datetime | None = None
    returned: dt.datetime | None = None
    pauses: bool = False

    def add(self, event: EventIn) -> None:
        key = (event.occurred_at, event.event_id, event.status)
        if key[:2] > self.latest[:2]:
            self.latest = key
        when = event.occurred_at
        if event.status == Status.ACCEPTED:
            self.received = min(self.received or when, when)
        elif event.status == Status.RESULT_READY:
            self.finished = min(self.finished or when, when)
        elif event.status == Status.RESULT_RETURNED:
            self.returned = min(self.returned or when, when)
        elif event.status == Status.SUPPLEMENT_REQUESTED:
            self.pauses = True


def _apply_summaries(summaries: dict[int, _Summary]) -> None:
    """One UPDATE for the whole batch: the latest event wins the status, the earliest of each kind the dates."""
    if not summaries:
        return
    table = Dossier._meta.db_table
    ts, txt, big, small = (_placeholder("timestamptz"), _placeholder("text"), _placeholder("bigint"),
                           _placeholder("smallint"))
    row_sql = f"({big}, {ts}, {txt}, {small}, {ts}, {ts}, {ts})"
    items = list(summaries.items())
    newer = "(v.at > d.status_at OR (v.at = d.status_at AND v.ev > d.status_event))"

    def earliest(column: str, value: str) -> str:
        return (
            f"CASE WHEN v.{value} IS NULL THEN d.{column} WHEN d.{column} IS NULL OR v.{value} < d.{column} "
            f"THEN v.{value} ELSE d.{column} END"
        )

    with connection.cursor() as cursor:
        for start in range(0, len(items), 1000):
            chunk = items[start : start + 1000]
            params: list[Any] = []
            for dossier_id, summary in chunk:
                at, event_id, status = summary.latest
                params += [
                    dossier_id,
                    _adapt(at),
                    event_id,
                    status,
                    _adapt(summary.received),
                    _adapt(summary.finished),
                    _adapt(summary.returned),
                ]
            # `d` is the table itself (UPDATE … FROM needs the target's name on SQLite), aliased on PostgreSQL.
            target = f"{table} AS d" if connection.vendor == "postgresql" else table
            ref = "d" if connection.vendor == "postgresql" else table
            sql = (
                f"WITH v(id, at, ev, st, rec, fin, ret) AS (VALUES {', '.join([row_sql] * len(chunk))}) "
                f"UPDATE {target} SET "
                f"status = CASE WHEN {newer} THEN v.st ELSE d.status END, "
                f"status_event = CASE WHEN {newer} THEN v.ev ELSE d.status_event END, "
                f"status_at = CASE WHEN {newer} THEN v.at ELSE d.status_at END, "
                f"received_at = {earliest('received_at', 'rec')}, "
                f"finished_at = {earliest('finished_at', 'fin')}, "
                f"returned_at = {earliest('returned_at', 'ret')}, "
                f"updated_at = {_placeholder('timestamptz')} "
                f"FROM v WHERE d.id = v.id"
            )
            if ref != "d":
                sql = sql.replace("d.", f"{ref}.")
            cursor.execute(sql, [*params, _adapt(timezone.now())])


def _apply_records(source: SyncSource, records: dict[int, tuple[EventIn, DossierRecord]]) -> None:
    """Descriptive fields from the latest record of each dossier (by event time, then id)."""
    if not records:
        return
    for dossier in Dossier.objects.select_for_update().filter(id__in=records.keys()).order_by("id"):
        event, record = records[dossier.id]
        mark = (event.occurred_at.isoformat(), event.event_id)
        seen = dossier.details.get("_record")
        if seen is not None and tuple(seen) >= mark:
            continue
        for name, value in record.changes().items():
            setattr(dossier, name, value)
        if record.agency_code:
            agency_id = _agency_ids({record.agency_code}).get(record.agency_code)
            if agency_id in source.allowed_agency_ids:
                dossier.agency_id = agency_id
        details = dict(dossier.details)
        details.update(record.extra)
        details["_record"] = list(mark)
        if record.due_at is not None:
            details["due_from_agency"] = True
            dossier.due_at = record.due_at
            dossier.original_due_at = dossier.original_due_at or record.due_at
        dossier.details = details
        dossier.details_at = event.occurred_at
        dossier.save()


def recompute_due(dossier_ids: Sequence[int]) -> None:
    """The appointment of dossiers whose supplements paused the clock, from all their events: the original
    date moved by the working days spent waiting, or a later date promised in an apology (form 04)."""
    from dichvucong.organisations.selectors import working_calendar

    timelines: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for dossier_id, occurred_at, status in (
        DossierEvent.objects.filter(dossier_id__in=dossier_ids)
        .order_by("dossier_id", "occurred_at", "event_id")
        .values_list("dossier_id", "occurred_at", "status")
    ):
        timelines[dossier_id].append((occurred_at, status))
    apologies: dict[int, dt.datetime] = {}
    for dossier_id, new_due in Apology.objects.filter(dossier_id__in=dossier_ids).values_list(
        "dossier_id", "new_due_at"
    ):
        apologies[dossier_id] = max(apologies.get(dossier_id, new_due), new_due)
    for dossier in Dossier.objects.select_related("agency").filter(id__in=dossier_ids):
        if dossier.original_due_at is None or dossier.details.get("due_from_agency"):
            continue
        calendar = working_calendar(dossier.agency)
        waited = deadlines.paused_working_days(calendar, deadlines.supplement_pauses(timelines[dossier.id]))
        due = deadlines.extend(calendar, dossier.original_due_at, waited)
        if dossier.id in apologies:
            due = max(due, apologies[dossier.id])
        if due != dossier.due_at:
            Dossier.objects.filter(pk=dossier.pk).update(due_at=due)


def ingest(*, source: SyncSource, events: Sequence[EventIn], now: dt.datetime | None = None) -> list[EventResult]:
    """Apply a batch of status events from one agency system; one result per event, in order."""
    now = now or timezone.now()
    results: list[EventResult | None] = [None] * len(events)
    valid: list[tuple[int, EventIn]] = []
    seen_ids: set[str] = set()
    for index, event in enumerate(events):
        problem = _problem(event, now)
        if problem:
            results[index] = EventResult(index, event.event_id, event.dossier_code, "rejected", problem)
        elif event.event_id in seen_ids:
            results[index] = EventResult(index, event.event_id, event.dossier_code, "duplicate")
        else:
            seen_ids.add(event.event_id)
            valid.append((index, event))

    with transaction.atomic():
        dossiers = _dossiers_for(source, valid, results, now)
        accepted = [(index, event) for index, event in valid if results[index] is None]
        inserted = _insert_events(source, [(event, dossiers[event.dossier_code]) for _, event in accepted], now)
        summaries: dict[int, _Summary] = {}
        records: dict[int, tuple[EventIn, DossierRecord]] = {}
        for index, event in accepted:
            if event.event_id not in inserted:
                results[index] = EventResult(index, event.event_id, event.dossier_code, "duplicate")
                continue
            results[index] = EventResult(index, event.event_id, event.dossier_code, "applied")
            dossier_id = dossiers[event.dossier_code]
            summary = summaries.setdefault(dossier_id, _Summary(latest=(EPOCH, "", 0)))
            summary.add(event)
            if event.dossier is not None:
                best = records.get(dossier_id)
                if best is None or (event.occurred_at, event.event_id) > (best[0].occurred_at, best[0].event_id):
                    records[dossier_id] = (event, event.dossier)
        _apply_records(source, records)
        _apply_summaries(summaries)
        paused = {dossier_id for dossier_id, summary in summaries.items() if summary.pauses}
        paused |= set(
            DossierEvent.objects.filter(dossier_id__in=summaries.keys() - paused, status=Status.SUPPLEMENT_REQUESTED)
            .values_list("dossier_id", flat=True)
            .distinct()
        )
        if paused:
            recompute_due(sorted(paused))
        _notify_owners(summaries, inserted)
    return [result for result in results if result is not None]


def _dossiers_for(
    source: SyncSource,
    valid: list[tuple[int, EventIn]],
    results: list[EventResult | None],
    now: dt.datetime,
) -> dict[str, int]:
    """Dossier ids for the batch's codes, creating those an agency reports first (counter dossiers, or a status
    that arrives before the dossier itself); events on dossiers outside the sender's agencies are rejected."""
    codes = {event.dossier_code for _, event in valid}
    found = {code: (pk, agency_id) for code, pk, agency_id in
             Dossier.objects.filter(code__in=codes).values_list("code", "id", "agency_id")}
    named = _agency_ids({e.dossier.agency_code for _, e in valid if e.dossier and e.dossier.agency_code})
    new: dict[str, Dossier] = {}
    for _, event in valid:
        code = event.dossier_code
        if code in found or code in new:
            continue
        agency_id = source.agency_id
        record = event.dossier
        if record is not None and record.agency_code:
            agency_id = named.get(record.agency_code, 0)
        if agency_id in source.allowed_agency_ids:
            new[code] = Dossier(
                code=code,
                agency_id=agency_id,
                origin=Origin.AGENCY,
                channel=(record.channel if record and record.channel else 1),
                status=event.status,
                status_at=EPOCH,
                status_event="",
            )
    if new:
        Dossier.objects.bulk_create(new.values(), ignore_conflicts=True)
        found.update(
            {code: (pk, agency_id) for code, pk, agency_id in
             Dossier.objects.filter(code__in=new.keys()).values_list("code", "id", "agency_id")}
        )
    ids: dict[str, int] = {}
    for index, event in valid:
        match = found.get(event.dossier_code)
        if match is None:
            agency_code = event.dossier.agency_code if event.dossier else ""
            message = (
                f"Không có cơ quan có mã {agency_code}." if agency_code and agency_code not in named
                else "Hồ sơ không thuộc các cơ quan của hệ thống gửi."
            )
            results[index] = EventResult(index, event.event_id, event.dossier_code, "rejected", message)
        elif match[1] not in source.allowed_agency_ids:
            results[index] = EventResult(
                index, event.event_id, event.dossier_code, "rejected", "Hồ sơ không thuộc các cơ quan của hệ thống gửi."
            )
        else:
            ids[event.dossier_code] = match[0]
    return ids


def _notify_owners(summaries: dict[int, _Summary], inserted: set[str]) -> None:
    """Tell owners of portal dossiers whose status a new event set."""
    changed = [
        (pk, code, owner_id, status, event_id)
        for pk, code, owner_id, status, event_id in Dossier.objects.filter(
            id__in=summaries.keys(), owner_id__isnull=False
        ).values_list("id", "code", "owner_id", "status", "status_event")
        if event_id in inserted
    ]
    if not changed:
        return
    from dichvucong.dossiers import services

    for pk, code, owner_id, status, event_id in changed:
        services.notify_status(dossier_id=pk, code=code, owner_id=owner_id, status=status, event_id=event_id)
