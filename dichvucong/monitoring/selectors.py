"""Reads of the integration monitor: the health of every integration (`all_health`), one integration's recent
calls, and the integrations themselves.

Every read is bounded by time or by the outbox's partial indexes, never a scan of the whole history: the window's
calls (`MONITORING_WINDOW_MINUTES`, index on `at`), the last successful exchange within
`MONITORING_LOOKBACK_DAYS`, and the undelivered outbox messages (at most `MONITORING_OUTBOX_SCAN_LIMIT` per topic,
read through the outbox's pending and failed indexes). The whole board is a fixed number of queries whatever the
number of integrations.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from dichvucong.core.models import OutboxMessage
from dichvucong.dossiers import selectors as dossier_selectors
from dichvucong.dossiers.services import DELIVER_TOPIC
from dichvucong.payments import selectors as payment_selectors
from dichvucong.payments.services import NOTIFY_TOPIC

from .models import STATUS_OPERATIONS, Direction, IntegrationAlert, IntegrationCall, Kind

GREEN, AMBER, RED = "green", "amber", "red"
_RANK = {GREEN: 0, AMBER: 1, RED: 2}


def level_label(level: str) -> str:
    """The words shown next to the colour (colour is never the only sign)."""
    return {GREEN: pgettext("integration health", "Bình thường"), AMBER: _("Cần chú ý"), RED: _("Sự cố")}[
        level
    ]


@dataclass(frozen=True)
class Integration:
    """An agency's system the portal exchanges with, whatever its model."""

    kind: str
    integration_id: int
    name: str
    agency_name: str
    endpoint: str
    key_id: str
    secret: str
    connector: str = ""
    agency_code: str = ""

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label)


@dataclass
class Health:
    """The health figures of one integration, and its level with the reasons for it."""

    kind: str
    integration_id: int
    name: str
    agency_name: str
    endpoint: str
    level: str = GREEN
    reasons: list[str] = field(default_factory=list)
    last_out_ok: dt.datetime | None = None
    last_in_ok: dt.datetime | None = None
    # The last status or result the system sent (`STATUS_OPERATIONS`): what the quiet rule watches.
    last_status_ok: dt.datetime | None = None
    calls: int = 0
    failures: int = 0
    failures_in_a_row: dict[str, int] = field(default_factory=dict)
    undelivered: int = 0
    given_up: int = 0
    lag: dt.timedelta | None = None
    open_alert_id: int | None = None

    @property
    def error_rate(self) -> float | None:
        return self.failures / self.calls if self.calls else None

    @property
    def level_label(self) -> str:
        return level_label(self.level)

    @property
    def error_rate_text(self) -> str:
        rate = self.error_rate
        return "—" if rate is None else f"{rate * 100:.0f}%"

    @property
    def lag_minutes(self) -> int | None:
        return None if self.lag is None else _minutes(self.lag)

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label)

    def raise_to(self, level: str, reason: str) -> None:
        if _RANK[level] > _RANK[self.level]:
            self.level = level
        self.reasons.append(reason)


# --- the integrations -------------------------------------------------------------------------------------------


def integrations(*, only: tuple[str, int] | None = None) -> list[Integration]:
    """Every active integration: one-stop systems, then the bill systems the portal exchanges with (webhooks,
    look-ups)."""
    found: list[Integration] = []
    if only is None or only[0] == Kind.ONESTOP:
        onestops = dossier_selectors.active_integrations(integration_id=None if only is None else only[1])
        found += [
            Integration(
                kind=Kind.ONESTOP,
                integration_id=i.pk,
                name=i.name,
                agency_name=i.agency.name,
                endpoint=i.endpoint_url,
                key_id=i.key_id,
                secret=i.secret,
                connector=i.connector,
                agency_code=i.agency.identification_code or i.agency.code,
            )
            for i in onestops
        ]
    if only is None or only[0] == Kind.BILLER:
        billers = payment_selectors.watched_billers(biller_id=None if only is None else only[1])
        found += [
            Integration(
                kind=Kind.BILLER,
                integration_id=b.pk,
                name=b.name,
                agency_name=b.agency.name,
                endpoint=b.webhook_url,
                key_id=b.key_id,
                secret=b.secret,
                agency_code=b.agency.identification_code or b.agency.code,
            )
            for b in billers
        ]
    return found


def integration(kind: str, integration_id: int) -> Integration | None:
    """One active integration, or None."""
    if kind not in Kind.values:
        return None
    found = integrations(only=(kind, integration_id))
    return found[0] if found else None


def recent_calls(kind: str, integration_id: int, limit: int | None = None) -> QuerySet[IntegrationCall]:
    """The latest calls of one integration, newest first (index `monitoring_call_recent_idx`)."""
    return IntegrationCall.objects.filter(kind=kind, integration_id=integration_id).order_by("-at", "-id")[
        : limit or settings.MONITORING_RECENT_CALLS
    ]


def open_alerts() -> QuerySet[IntegrationAlert]:
    return IntegrationAlert.objects.filter(closed_at__isnull=True).order_by("-opened_at")


# --- undelivered outbox messages, by integration ------------------------------------------------------------------


@dataclass
class Backlog:
    count: int = 0
    given_up: int = 0
    oldest: dt.datetime | None = None

    def add(self, created_at: dt.datetime, failed: bool) -> None:
        self.count += 1
        self.given_up += failed
        # The lag is the wait of messages still being tried; given-up ones are their own (red) reason.
        if not failed and (self.oldest is None or created_at < self.oldest):
            self.oldest = created_at


def _undelivered(topic: str) -> list[tuple[str, dt.datetime, bool]]:
    """(key, created_at, given up) of the messages of `topic` not delivered: pending ones (the outbox's due
    index) and given-up ones (its failed index), oldest first, at most MONITORING_OUTBOX_SCAN_LIMIT of each."""
    limit = settings.MONITORING_OUTBOX_SCAN_LIMIT
    pending = OutboxMessage.objects.filter(topic=topic, delivered_at__isnull=True, failed_at__isnull=True)
    failed = OutboxMessage.objects.filter(topic=topic, failed_at__isnull=False, delivered_at__isnull=True)
    rows = [
        (k, c, False) for k, c in pending.order_by("available_at").values_list("key", "created_at")[:limit]
    ]
    rows += [(k, c, True) for k, c in failed.order_by("-failed_at").values_list("key", "created_at")[:limit]]
    return rows


def backlogs() -> dict[tuple[str, int], Backlog]:
    """Undelivered dossiers (topic `dossiers.deliver`, key = dossier code) by the one-stop system serving the
    dossier's agency (the delivery's own rule, `dossiers.selectors.integrations_for_agencies`), and undelivered
    paid-bill webhooks (`payments.notify_agency`, key = order reference) by biller."""
    found: dict[tuple[str, int], Backlog] = defaultdict(Backlog)
    dossiers = _undelivered(DELIVER_TOPIC)
    if dossiers:
        serving = dossier_selectors.integration_ids_for_dossiers({k for k, _c, _f in dossiers})
        for key, created_at, failed in dossiers:
            if key in serving:
                found[(Kind.ONESTOP, serving[key])].add(created_at, failed)
    webhooks = _undelivered(NOTIFY_TOPIC)
    if webhooks:
        biller_of = payment_selectors.biller_ids_for_orders({k for k, _c, _f in webhooks})
        for key, created_at, failed in webhooks:
            if key in biller_of:
                found[(Kind.BILLER, biller_of[key])].add(created_at, failed)
    return found


# --- health --------------------------------------------------------------------------------------------------------


def _minutes(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _direction_label(direction: str) -> str:
    return _("gửi đi") if direction == Direction.OUT else _("nhận về")


def _judge(health: Health, now: dt.datetime) -> None:
    """The level and its reasons, from the thresholds in settings (docs/monitoring.md)."""
    for direction, run in sorted(health.failures_in_a_row.items()):
        if run >= settings.MONITORING_FAILURES_RED:
            health.raise_to(
                RED,
                _("%(n)d lần trao đổi liên tiếp thất bại (%(direction)s)")
                % {"n": run, "direction": _direction_label(direction)},
            )
        elif run:
            health.raise_to(
                AMBER,
                _("Lần trao đổi gần nhất thất bại (%(direction)s)")
                % {"direction": _direction_label(direction)},
            )
    rate = health.error_rate
    if rate is not None and health.calls >= settings.MONITORING_MIN_CALLS:
        text = _("Tỷ lệ lỗi %(rate)s%% trong %(minutes)d phút qua (%(failures)d/%(calls)d)") % {
            "rate": f"{rate * 100:.0f}",
            "minutes": settings.MONITORING_WINDOW_MINUTES,
            "failures": health.failures,
            "calls": health.calls,
        }
        if rate >= settings.MONITORING_ERROR_RATE_RED:
            health.raise_to(RED, text)
        elif rate >= settings.MONITORING_ERROR_RATE_AMBER:
            health.raise_to(AMBER, text)
    if health.given_up:
        health.raise_to(
            RED,
            ngettext(
                "%(n)d thông điệp đã bị bỏ sau nhiều lần gửi lỗi",
                "%(n)d thông điệp đã bị bỏ sau nhiều lần gửi lỗi",
                health.given_up,
            )
            % {"n": health.given_up},
        )
    if health.lag is not None:
        minutes = _minutes(health.lag)
        text = _("Thông điệp chờ gửi lâu nhất đã chờ %(minutes)d phút") % {"minutes": minutes}
        if minutes >= settings.MONITORING_LAG_MINUTES_RED:
            health.raise_to(RED, text)
        elif minutes >= settings.MONITORING_LAG_MINUTES_AMBER:
            health.raise_to(AMBER, text)
    quiet_hours = settings.MONITORING_QUIET_HOURS_AMBER
    if (
        quiet_hours
        and health.kind == Kind.ONESTOP
        and health.last_status_ok is not None
        and now - health.last_status_ok >= dt.timedelta(hours=quiet_hours)
    ):
        # A one-stop system that used to send status events has gone quiet: its sync may have stopped even
        # though nothing failed (nothing was sent at all).
        health.raise_to(
            AMBER,
            _("Không nhận được cập nhật trạng thái hồ sơ nào trong %(hours)d giờ qua")
            % {"hours": int((now - health.last_status_ok).total_seconds() // 3600)},
        )
    if not health.endpoint:
        health.raise_to(AMBER, _("Chưa có địa chỉ tiếp nhận"))


def all_health(*, now: dt.datetime | None = None, only: tuple[str, int] | None = None) -> list[Health]:
    """The health of every active integration (or of `only`), red first, then amber, then by name."""
    now = now or timezone.now()
    found = integrations(only=only)
    if not found:
        return []
    healths = {
        (i.kind, i.integration_id): Health(
            kind=i.kind,
            integration_id=i.integration_id,
            name=i.name,
            agency_name=i.agency_name,
            endpoint=i.endpoint,
        )
        for i in found
    }
    window_start = now - dt.timedelta(minutes=settings.MONITORING_WINDOW_MINUTES)
    settled: set[tuple[str, int, str]] = set()
    # A failed test-console send says nothing the real exchanges do not (and must not turn a system red on its
    # own); a successful one shows recovery.
    calls = (
        IntegrationCall.objects.filter(at__gte=window_start, at__lte=now)
        .exclude(is_test=True, ok=False)
        .order_by("-at", "-id")
    )
    for kind, integration_id, direction, ok in calls.values_list("kind", "integration_id", "direction", "ok"):
        health = healths.get((kind, integration_id))
        if health is None:
            continue
        health.calls += 1
        health.failures += not ok
        # Failures in a row: counted from the newest call back to the first success, per direction.
        if (kind, integration_id, direction) not in settled:
            if ok:
                settled.add((kind, integration_id, direction))
            else:
                health.failures_in_a_row[direction] = health.failures_in_a_row.get(direction, 0) + 1
    lookback = now - dt.timedelta(days=settings.MONITORING_LOOKBACK_DAYS)
    last_ok = (
        IntegrationCall.objects.filter(at__gte=lookback, at__lte=now, ok=True)
        .values("kind", "integration_id", "direction", "operation")
        .annotate(last=Max("at"))
    )
    for row in last_ok:
        health = healths.get((row["kind"], row["integration_id"]))
        if health is None:
            continue
        if row["direction"] == Direction.OUT:
            health.last_out_ok = _later(health.last_out_ok, row["last"])
        else:
            health.last_in_ok = _later(health.last_in_ok, row["last"])
            if row["operation"] in STATUS_OPERATIONS:
                health.last_status_ok = _later(health.last_status_ok, row["last"])
    _with_recorded_times(healths)
    for key, backlog in backlogs().items():
        health = healths.get(key)
        if health is not None:
            health.undelivered, health.given_up = backlog.count, backlog.given_up
            health.lag = now - backlog.oldest if backlog.oldest else None
    for alert_id, kind, integration_id in open_alerts().values_list("pk", "kind", "integration_id"):
        health = healths.get((kind, integration_id))
        if health is not None:
            health.open_alert_id = alert_id
    for health in healths.values():
        _judge(health, now)
    return sorted(healths.values(), key=lambda h: (-_RANK[h.level], h.name))


def _with_recorded_times(healths: dict[tuple[str, int], Health]) -> None:
    """One-stop systems also keep their last delivery and last sync on the integration itself (kept before this
    monitor existed, and by the rate-limited `touch_integration` of the agency API, which statuses and results
    touch): the later of both wins."""
    ids = [i for k, i in healths if k == Kind.ONESTOP]
    for pk, (delivered, synced) in dossier_selectors.recorded_exchange_times(ids).items():
        health = healths[(Kind.ONESTOP, pk)]
        health.last_out_ok = _later(health.last_out_ok, delivered)
        health.last_in_ok = _later(health.last_in_ok, synced)
        health.last_status_ok = _later(health.last_status_ok, synced)


def _later(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


def health_of(kind: str, integration_id: int, *, now: dt.datetime | None = None) -> Health | None:
    """The health of one integration, or None if it is not an active integration."""
    found = all_health(now=now, only=(kind, integration_id))
    return found[0] if found else None


def board_summary(healths: list[Health]) -> dict[str, Any]:
    """How many integrations are at each level."""
    counts = {GREEN: 0, AMBER: 0, RED: 0}
    for health in healths:
        counts[health.level] += 1
    return counts
