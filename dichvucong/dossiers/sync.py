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
On PostgreSQL the rows travel as binary arrays (`unnest`, see `rowsql.py`), a few parameters per statement rather
than thirteen thousand; on SQLite as `VALUES` lists. Rows are written in id order, so that concurrent batches touching the same dossiers
lock them in the same order.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from dichvucong.dossiers import deadlines, rowsql
from dichvucong.dossiers.models import Apology, ApplicantKind, Dossier, DossierEvent, Origin, Status
from dichvucong.dossiers.national import DossierRecord, RecordError, record_time
from dichvucong.dossiers.signals import dossiers_changed
from dichvucong.organisations.models import Agency

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
STATUSES = frozenset(Status.values)


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


def _problem(event: EventIn, latest: dt.datetime) -> str:
    if not event.event_id or len(event.event_id) > 80:
        return "Mã sự kiện (id) bắt buộc, tối đa 80 ký tự."
    if not event.dossier_code or len(event.dossier_code) > 60:
        return "Mã hồ sơ bắt buộc, tối đa 60 ký tự."
    if event.status not in STATUSES:
        return f"Trạng thái {event.status} không thuộc danh mục TrangThaiHoSo (1–10)."
    if event.occurred_at.tzinfo is None:
        return "Thời điểm phải có múi giờ."
    if event.occurred_at > latest:
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


# --- the steps of a batch ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Known:
    """A dossier of the batch as it was before it: what the later steps need to know about it."""

    id: int
    agency_id: int
    owner_id: int | None
    due_is_ours: bool  # an appointment computed here (not stated by the agency), which supplements move
    # Supplement pauses may have moved it, or one is running: only then can events without a new supplement
    # request move it (they can only shorten pauses, and there are no waited days to shorten otherwise).
    may_have_paused: bool = True


def _dossiers_for(
    source: SyncSource, valid: list[tuple[int, EventIn]], results: list[EventResult | None]
) -> dict[str, _Known]:
    """Dossiers of the batch's codes, creating those an agency reports first (counter dossiers, or a status
    that arrives before the dossier itself); events on dossiers outside the sender's agencies are rejected."""
    found = _read_dossiers({event.dossier_code for _, event in valid})
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
        _create_dossiers([new[code] for code in sorted(new)])
        found.update(_read_dossiers(set(new)))
    known: dict[str, _Known] = {}
    for index, event in valid:
        match = found.get(event.dossier_code)
        if match is None:
            agency_code = event.dossier.agency_code if event.dossier else ""
            message = (
                f"Không có cơ quan có mã {agency_code}."
                if agency_code and agency_code not in named
                else "Hồ sơ không thuộc các cơ quan của hệ thống gửi."
            )
            results[index] = EventResult(index, event.event_id, event.dossier_code, "rejected", message)
        elif match.agency_id not in source.allowed_agency_ids:
            results[index] = EventResult(
                index,
                event.event_id,
                event.dossier_code,
                "rejected",
                "Hồ sơ không thuộc các cơ quan của hệ thống gửi.",
            )
        else:
            known[event.dossier_code] = match
    return known


def _create_dossiers(dossiers: list[Dossier]) -> None:
    """Insert dossiers an agency reports first; a code created meanwhile by a concurrent batch is left as it is.
    On PostgreSQL as one array INSERT (the other columns take the model's defaults: empty texts, a citizen
    applicant, empty details), on SQLite through the ORM."""
    if connection.vendor != "postgresql":
        Dossier.objects.bulk_create(dossiers, ignore_conflicts=True)
        return
    now = timezone.now()
    columns = (("code", "text"), ("agency_id", "int"), ("channel", "small"), ("status", "small"))
    source, params = rowsql.rows_source(
        columns, [(d.code, d.agency_id, d.channel, d.status) for d in dossiers]
    )
    rowsql.execute(
        f"INSERT INTO {Dossier._meta.db_table} (code, agency_id, channel, status, origin, status_at, status_event, "
        "procedure_code, procedure_name, field_name, applicant_kind, applicant_name, applicant_id_number, "
        "applicant_email, applicant_phone, summary, details, created_at, updated_at) "
        f"SELECT v.code, v.agency_id, v.channel, v.status, %s, %s, '', '', '', '', %s, '', '', '', '', '', '{{}}', "
        f"%s, %s FROM {source} ON CONFLICT (code) DO NOTHING",
        [str(Origin.AGENCY), EPOCH, int(ApplicantKind.CITIZEN), now, now, *params],
    )


def _read_dossiers(codes: set[str]) -> dict[str, _Known]:
    if not codes:
        return {}
    ordered = sorted(codes)
    if connection.vendor == "postgresql":
        rows = rowsql.execute(
            "SELECT code, id, agency_id, owner_id, original_due_at IS NOT NULL "
            "AND coalesce(details->>'due_from_agency', '') <> 'true', "
            f"status = {Status.SUPPLEMENT_REQUESTED} OR due_at IS DISTINCT FROM original_due_at "
            f"FROM {Dossier._meta.db_table} WHERE code = ANY(%s::text[])",
            [ordered],
        )
    else:
        rows = []
        columns = ("code", "id", "agency_id", "owner_id", "original_due_at", "details__due_from_agency")
        for start in range(0, len(ordered), rowsql.CHUNK):
            rows += [
                (
                    code,
                    pk,
                    agency_id,
                    owner_id,
                    original_due is not None and not from_agency,
                    status == Status.SUPPLEMENT_REQUESTED or due != original_due,
                )
                for code, pk, agency_id, owner_id, original_due, from_agency, status, due in Dossier.objects.filter(
                    code__in=ordered[start : start + rowsql.CHUNK]
                ).values_list(*columns, "status", "due_at")
            ]
    return {
        code: _Known(pk, agency_id, owner_id, bool(ours), bool(paused))
        for code, pk, agency_id, owner_id, ours, paused in rows
    }


EVENT_COLUMNS = (
    ("event_id", "text"),
    ("dossier_id", "id"),
    ("status", "small"),
    ("occurred_at", "time"),
    ("actor_name", "text"),
    ("actor_title", "text"),
    ("unit", "text"),
    ("content", "text"),
    ("step_started_at", "time"),
    ("step_due_at", "time"),
)


def _insert_events(source: SyncSource, rows: list[tuple[EventIn, int]], now: dt.datetime) -> set[str]:
    """Insert new events; return the ids of those that were not there already."""
    table = DossierEvent._meta.db_table
    names = ", ".join(name for name, _kind in EVENT_COLUMNS)
    values = sorted(
        (
            event.event_id,
            dossier_id,
            event.status,
            event.occurred_at,
            event.actor_name[:200],
            event.actor_title[:200],
            event.unit[:300],
            event.content,
            event.step_started_at,
            event.step_due_at,
        )
        for event, dossier_id in rows
    )
    inserted: set[str] = set()
    for start in range(0, len(values), rowsql.CHUNK):
        source_sql, params = rowsql.rows_source(EVENT_COLUMNS, values[start : start + rowsql.CHUNK])
        returned = rowsql.execute(
            f"INSERT INTO {table} (agency_id, source, recorded_at, {names}) "
            f"SELECT %s, %s, %s, {', '.join('v.' + name for name, _kind in EVENT_COLUMNS)} FROM {source_sql} "
            # WHERE true: SQLite would read ON CONFLICT as the join constraint of the FROM otherwise.
            "WHERE true ON CONFLICT (agency_id, event_id) DO NOTHING RETURNING event_id",
            [source.agency_id, str(source.kind), rowsql.adapt(now), *params],
        )
        inserted.update(row[0] for row in returned)
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


def _apply_summaries(
    summaries: dict[int, _Summary], records: dict[int, tuple[Any, ...]], now: dt.datetime
) -> None:
    """One UPDATE for the whole batch: the latest event wins the status, the earliest of each kind the dates.
    Rows the batch changes nothing in (only older events) are left alone. The dossiers whose record the batch
    changed (`records`: their new descriptive columns, from `_record_rows`) get both in one UPDATE of their own, so
    that each row is written once."""
    if not summaries:
        return
    newer = "(v.at > d.status_at OR (v.at = d.status_at AND v.ev > d.status_event))"

    def earlier(column: str, value: str) -> str:
        return f"(v.{value} IS NOT NULL AND (d.{column} IS NULL OR v.{value} < d.{column}))"

    def earliest(column: str, value: str) -> str:
        return f"CASE WHEN {earlier(column, value)} THEN v.{value} ELSE d.{column} END"

    columns = [
        ("id", "id"),
        ("at", "time"),
        ("ev", "text"),
        ("st", "small"),
        ("rec", "time"),
        ("fin", "time"),
        ("ret", "time"),
        ("now", "time"),
    ]
    sets = (
        f"status = CASE WHEN {newer} THEN v.st ELSE d.status END, "
        f"status_event = CASE WHEN {newer} THEN v.ev ELSE d.status_event END, "
        f"status_at = CASE WHEN {newer} THEN v.at ELSE d.status_at END, "
        f"received_at = {earliest('received_at', 'rec')}, "
        f"finished_at = {earliest('finished_at', 'fin')}, "
        f"returned_at = {earliest('returned_at', 'ret')}, "
        "updated_at = v.now"
    )
    changes = (
        f"AND ({newer} OR {earlier('received_at', 'rec')} OR {earlier('finished_at', 'fin')} "
        f"OR {earlier('returned_at', 'ret')})"
    )
    plain, described = [], []
    for pk, s in summaries.items():
        row = (pk, s.latest[0], s.latest[1], s.latest[2], s.received, s.finished, s.returned, now)
        if pk in records:
            described.append((*row, *records[pk]))
        else:
            plain.append(row)
    table = Dossier._meta.db_table
    if plain:
        rowsql.update(table, columns, sets, plain, changes)
    if described:
        record_columns = [(f"r_{name}", RECORD_KINDS.get(name, "text")) for name in RECORD_FIELDS]
        record_sets = ", ".join(
            f"{name} = {rowsql.json_value('r_' + name) if name == 'details' else 'v.r_' + name}"
            for name in RECORD_FIELDS
        )
        rowsql.update(table, [*columns, *record_columns], f"{sets}, {record_sets}", described)


RECORD_FIELDS = (
    "agency_id",
    "procedure_code",
    "procedure_name",
    "field_name",
    "applicant_kind",
    "applicant_name",
    "applicant_id_number",
    "applicant_email",
    "applicant_phone",
    "summary",
    "channel",
    "details",
    "details_at",
    "due_at",
    "original_due_at",
)
RECORD_KINDS = dict(
    agency_id="int",
    applicant_kind="small",
    channel="small",
    details="json",
    details_at="time",
    due_at="time",
    original_due_at="time",
)


def _record_rows(
    source: SyncSource, records: dict[int, tuple[EventIn, DossierRecord]]
) -> tuple[dict[int, tuple[Any, ...]], set[int]]:
    """Descriptive columns (`RECORD_FIELDS`) from the latest record of each dossier (by event time, then id): the
    rows are read and locked, and merged here; `_apply_summaries` writes them. Returns the new columns of the
    dossiers a record changes, and the dossiers whose appointment the agency stated."""
    if not records:
        return {}, set()
    named = _agency_ids({record.agency_code for _, record in records.values() if record.agency_code})
    rows: dict[int, tuple[Any, ...]] = {}
    stated: set[int] = set()
    current = (
        Dossier.objects.select_for_update()
        .filter(id__in=sorted(records))
        .order_by("id")
        .values_list("id", *RECORD_FIELDS)
    )
    for pk, *values in current:
        row = dict(zip(RECORD_FIELDS, values, strict=True))
        event, record = records[pk]
        mark = (event.occurred_at.isoformat(), event.event_id)
        details = dict(row["details"] or {})
        seen = details.get("_record")
        if seen is not None and tuple(seen) >= mark:
            continue
        row.update(record.changes())
        agency_id = named.get(record.agency_code) if record.agency_code else None
        if agency_id in source.allowed_agency_ids:
            row["agency_id"] = agency_id
        details.update(record.extra)
        details["_record"] = list(mark)
        if record.due_at is not None:
            details["due_from_agency"] = True
            row["due_at"] = record.due_at
            row["original_due_at"] = row["original_due_at"] or record.due_at
            stated.add(pk)
        row["details"] = json.dumps(details, ensure_ascii=False)
        row["details_at"] = event.occurred_at
        rows[pk] = tuple(row[name] for name in RECORD_FIELDS)
    return rows, stated


Timeline = list[tuple[dt.datetime, str, int]]  # (time, event id, status), in time order


def _timelines(dossier_ids: Sequence[int]) -> dict[int, Timeline]:
    timelines: dict[int, Timeline] = defaultdict(list)
    if connection.vendor == "postgresql":
        rows: Iterable[tuple[Any, ...]] = rowsql.execute(
            f"SELECT dossier_id, occurred_at, event_id, status FROM {DossierEvent._meta.db_table} "
            "WHERE dossier_id = ANY(%s::bigint[]) ORDER BY dossier_id, occurred_at, event_id",
            [list(dossier_ids)],
        )
    else:
        rows = (
            DossierEvent.objects.filter(dossier_id__in=dossier_ids)
            .order_by("dossier_id", "occurred_at", "event_id")
            .values_list("dossier_id", "occurred_at", "event_id", "status")
        )
    for dossier_id, occurred_at, event_id, status in rows:
        timelines[dossier_id].append((occurred_at, event_id, status))
    return timelines


def recompute_due(dossier_ids: Sequence[int], timelines: dict[int, Timeline] | None = None) -> None:
    """The appointment of dossiers whose supplements paused the clock, from all their events: the original
    date moved by the working days spent waiting, or a later date promised in an apology (form 04)."""
    from dichvucong.organisations.selectors import working_calendars

    if not dossier_ids:
        return
    if timelines is None:
        timelines = _timelines(dossier_ids)
    apologies: dict[int, dt.datetime] = {}
    for dossier_id, new_due in Apology.objects.filter(dossier_id__in=dossier_ids).values_list(
        "dossier_id", "new_due_at"
    ):
        apologies[dossier_id] = max(apologies.get(dossier_id, new_due), new_due)
    dossiers = [
        d
        for d in Dossier.objects.select_related("agency").filter(id__in=dossier_ids)
        if d.original_due_at is not None and not d.details.get("due_from_agency")
    ]
    calendars = working_calendars({d.agency_id: d.agency for d in dossiers}.values())
    changed = []
    for dossier in dossiers:
        assert dossier.original_due_at is not None
        calendar = calendars[dossier.agency_id]
        timeline = [(at, status) for at, _event, status in timelines.get(dossier.id, ())]
        waited = deadlines.paused_working_days(calendar, deadlines.supplement_pauses(timeline))
        due = deadlines.extend(calendar, dossier.original_due_at, waited)
        if dossier.id in apologies:
            due = max(due, apologies[dossier.id])
        if due != dossier.due_at:
            changed.append((dossier.id, due))
    if changed:
        rowsql.update(Dossier._meta.db_table, (("id", "id"), ("due", "time")), "due_at = v.due", changed)
        dossiers_changed.send(sender=__name__, ids=[row[0] for row in changed])


def _pauses_change(timeline: Timeline, new: set[str]) -> bool:
    """Whether the batch's events (`new`) change the supplement pauses of a timeline: a new supplement request
    does, and so does a new event right after one (it ends that pause). Any other event falls where the clock
    runs and leaves the pauses, hence the appointment, as they were."""
    previous = 0
    for _at, event_id, status in timeline:
        if event_id in new and Status.SUPPLEMENT_REQUESTED in (status, previous):
            return True
        previous = status
    return False


def _recompute_paused(
    summaries: dict[int, _Summary], known: dict[str, _Known], stated: set[int], inserted: set[str]
) -> None:
    """Appointments to move: dossiers whose appointment the portal computed, whose supplement pauses the batch
    changed."""
    candidates = sorted(
        {
            k.id
            for k in known.values()
            if k.due_is_ours and k.id in summaries and (k.may_have_paused or summaries[k.id].pauses)
        }
        - stated
    )
    if not candidates:
        return
    timelines = _timelines(candidates)
    affected = [pk for pk in candidates if _pauses_change(timelines.get(pk, []), inserted)]
    recompute_due(affected, timelines)


def _notify_owners(summaries: dict[int, _Summary], known: dict[str, _Known], inserted: set[str]) -> None:
    """Tell owners of portal dossiers whose status a new event of this batch set."""
    owned = sorted({k.id for k in known.values() if k.owner_id is not None and k.id in summaries})
    if not owned:
        return
    changed = [
        (pk, code, owner_id, status, event_id)
        for pk, code, owner_id, status, event_id in Dossier.objects.filter(id__in=owned).values_list(
            "id", "code", "owner_id", "status", "status_event"
        )
        if event_id in inserted
    ]
    if changed:
        from dichvucong.dossiers import services

        services.notify_statuses(changed)


def ingest(
    *, source: SyncSource, events: Sequence[EventIn], now: dt.datetime | None = None
) -> list[EventResult]:
    """Apply a batch of status events from one agency system; one result per event, in order."""
    now = now or timezone.now()
    latest = now + dt.timedelta(seconds=settings.DOSSIER_EVENT_FUTURE_TOLERANCE_SECONDS)
    results: list[EventResult | None] = [None] * len(events)
    valid: list[tuple[int, EventIn]] = []
    seen_ids: set[str] = set()
    for index, event in enumerate(events):
        problem = _problem(event, latest)
        if problem:
            results[index] = EventResult(index, event.event_id, event.dossier_code, "rejected", problem)
        elif event.event_id in seen_ids:
            results[index] = EventResult(index, event.event_id, event.dossier_code, "duplicate")
        else:
            seen_ids.add(event.event_id)
            valid.append((index, event))

    with transaction.atomic():
        known = _dossiers_for(source, valid, results)
        accepted = [(index, event) for index, event in valid if results[index] is None]
        inserted = (
            _insert_events(source, [(event, known[event.dossier_code].id) for _, event in accepted], now)
            if accepted
            else set()
        )
        summaries: dict[int, _Summary] = {}
        records: dict[int, tuple[EventIn, DossierRecord]] = {}
        for index, event in accepted:
            if event.event_id not in inserted:
                results[index] = EventResult(index, event.event_id, event.dossier_code, "duplicate")
                continue
            results[index] = EventResult(index, event.event_id, event.dossier_code, "applied")
            dossier_id = known[event.dossier_code].id
            summary = summaries.get(dossier_id)
            if summary is None:
                summary = summaries[dossier_id] = _Summary(latest=(EPOCH, "", 0))
            summary.add(event)
            if event.dossier is not None:
                best = records.get(dossier_id)
                if best is None or (event.occurred_at, event.event_id) > (
                    best[0].occurred_at,
                    best[0].event_id,
                ):
                    records[dossier_id] = (event, event.dossier)
        described, stated = _record_rows(source, records)
        _apply_summaries(summaries, described, now)
        _recompute_paused(summaries, known, stated, inserted)
        _notify_owners(summaries, known, inserted)
        if summaries:
            dossiers_changed.send(sender=__name__, ids=list(summaries))
    return [result for result in results if result is not None]
