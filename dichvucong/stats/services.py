"""The roll-up: fold the rows that changed (`Pending`) and the new visits into the monthly figures.

Each batch runs in one transaction: it claims pending rows, reads what they contribute now, subtracts what they
contributed before (`Contribution`), and adds the difference to the figures with one upsert per figure. One
roll-up runs at a time (an advisory lock on PostgreSQL; SQLite has one writer), so an object is never folded by
two batches at once; the status sync and the other writers only append to `Pending` and never wait for it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from dichvucong.stats import changes, sources
from dichvucong.stats.models import Contribution, Figure, Level, Pending, Visit
from dichvucong.stats.scopes import NATIONAL, Scopes

BATCH = 5000
ROLLUP_LOCK = 7_310_001  # pg_advisory_xact_lock key of the roll-up
FigureKey = tuple[str, str, str, str]  # (level, scope, YYYY-MM, metric)


@dataclass(frozen=True)
class RollUp:
    objects: int
    visits: int
    figures: int


def record_visit(*, at: dt.datetime | None = None) -> None:
    """A new visit to the site (the middleware calls this for a browser's first page of the day)."""
    Visit.objects.create(at=at or timezone.now())


def roll_up(*, batch: int = BATCH, max_seconds: float | None = None) -> RollUp:
    """Fold everything pending, batch by batch (or until `max_seconds` have passed)."""
    started = time.monotonic()
    objects = visits = figures = 0
    while True:
        done = roll_up_batch(batch=batch)
        objects += done.objects
        visits += done.visits
        figures += done.figures
        if done.objects < batch and done.visits < batch:
            break
        if max_seconds is not None and time.monotonic() - started > max_seconds:
            break
    return RollUp(objects, visits, figures)


@transaction.atomic
def roll_up_batch(*, batch: int = BATCH) -> RollUp:
    """One batch: at most `batch` pending rows and `batch` visits."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_LOCK])
    table = Pending._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} ORDER BY id LIMIT %s) "
            "RETURNING kind, object_id",
            [batch],
        )
        claimed = cursor.fetchall()
        visit_table = Visit._meta.db_table
        cursor.execute(
            f"DELETE FROM {visit_table} WHERE id IN (SELECT id FROM {visit_table} ORDER BY id LIMIT %s) "
            "RETURNING at",
            [batch],
        )
        visit_times = [row[0] for row in cursor.fetchall()]
    by_kind: dict[str, list[int]] = {}
    for kind, object_id in claimed:
        by_kind.setdefault(kind, []).append(int(object_id))
    delta: Counter[FigureKey] = Counter()
    if by_kind:  # the agency tree is read only when there is something to place in it (the beat runs often)
        scopes = Scopes.load()
        for kind, ids in by_kind.items():
            _fold(kind, sorted(set(ids)), scopes, delta)
    for at in visit_times:
        if isinstance(at, str):  # SQLite's RETURNING gives the stored text
            at = dt.datetime.fromisoformat(at)
        if timezone.is_naive(at):
            at = timezone.make_aware(at, dt.UTC)
        delta[(Level.NATIONAL, NATIONAL, sources.month_key(at), "visits")] += 1
    written = _apply(delta)
    return RollUp(len(claimed), len(visit_times), written)


def _fold(kind: str, ids: list[int], scopes: Scopes, delta: Counter[FigureKey]) -> None:
    now = sources.READERS[kind](ids)
    before = {
        c.object_id: c for c in Contribution.objects.filter(kind=kind, object_id__in=ids).select_for_update()
    }
    upserts: list[Contribution] = []
    removed: list[int] = []
    for pk in ids:
        old = before.get(pk)
        agency_id, values = now.get(pk, (None, {}))
        if old is not None:
            if old.agency_id == agency_id and old.values == values:
                continue
            _count(delta, scopes, old.agency_id, old.values, -1)
        _count(delta, scopes, agency_id, values, +1)
        if values:
            upserts.append(Contribution(kind=kind, object_id=pk, agency_id=agency_id, values=values))
        elif old is not None:
            removed.append(pk)
    if upserts:
        Contribution.objects.bulk_create(
            upserts,
            update_conflicts=True,
            unique_fields=["kind", "object_id"],
            update_fields=["agency_id", "values"],
            batch_size=1000,
        )
    if removed:
        Contribution.objects.filter(kind=kind, object_id__in=removed).delete()


def _count(
    delta: Counter[FigureKey], scopes: Scopes, agency_id: int | None, values: dict[str, int], sign: int
) -> None:
    pairs = scopes.of(agency_id)
    for key, amount in values.items():
        month, metric = key.split("|", 1)
        for level, scope in pairs:
            delta[(level, scope, month, metric)] += sign * amount


def _apply(delta: Counter[FigureKey]) -> int:
    """Add the non-zero differences to the figures, in key order (so that concurrent writers, were there any,
    would lock rows in the same order)."""
    rows = [
        (level, scope, dt.date.fromisoformat(month + "-01"), metric, amount)
        for (level, scope, month, metric), amount in sorted(delta.items())
        if amount
    ]
    table = Figure._meta.db_table
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        placeholders = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
        params = [value for row in chunk for value in row]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (level, scope, month, metric, value) VALUES {placeholders} "
                f"ON CONFLICT (scope, month, metric) DO UPDATE SET value = {table}.value + excluded.value",
                params,
            )
    return len(rows)


def rebuild(*, batch: int = BATCH, kinds: Iterable[str] = changes.KINDS) -> RollUp:
    """Recount every figure from the rows (after an agency moved, or to check): clears the figures and the
    contributions, marks every row pending and rolls up. Visits are not kept anywhere else, so they stay."""
    with transaction.atomic():
        kept = {(f.scope, f.month, f.metric): f.value for f in Figure.objects.filter(metric="visits")}
        Figure.objects.all().delete()
        Contribution.objects.all().delete()
        Figure.objects.bulk_create(
            [
                Figure(level=Level.NATIONAL, scope=scope, month=month, metric=metric, value=value)
                for (scope, month, metric), value in kept.items()
            ]
        )
    objects = figures = 0
    for kind in kinds:
        chunk: list[int] = []
        for pk in sources.all_ids(kind).iterator(chunk_size=batch):
            chunk.append(pk)
            if len(chunk) >= batch:
                with transaction.atomic():
                    changes.mark(kind, chunk)
                chunk = []
        if chunk:
            with transaction.atomic():
                changes.mark(kind, chunk)
        done = roll_up(batch=batch)
        objects += done.objects
        figures += done.figures
    done = roll_up(batch=batch)
    return RollUp(objects + done.objects, done.visits, figures + done.figures)
