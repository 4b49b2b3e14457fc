"""Writes of the integration monitor: recording each exchange with an agency's system (`record_call`, and
`record_observed_call`, which stores the calls that `core.calls.observe` reports through its signal), evaluating
every integration and opening or closing its alert (`evaluate`), and operators' acknowledgements.

Recording sits on the hot paths (dossier delivery, paid-bill webhooks, the status sync), so it is one INSERT and
it never changes the outcome of the exchange it observes: a failure to record is logged and swallowed. Inside a
caller's transaction the INSERT runs in a savepoint, so that a failed INSERT cannot poison that transaction
(PostgreSQL refuses every later statement of a transaction whose statement failed); the record then commits or
rolls back with the caller's work, and a call whose effects were rolled back leaves no record claiming success.
Outside a transaction (the outbox handlers run in autocommit) the record is committed on its own at once, so a
delivery that a worker completes and then dies after is still counted."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from dichvucong.core import audit
from dichvucong.core.calls import observe

from .models import Direction, IntegrationAlert, IntegrationCall, Kind

log = logging.getLogger(__name__)

ERROR_MAX_CHARS = 1000


def record_call(
    *,
    kind: str,
    integration_id: int,
    direction: str,
    operation: str,
    ok: bool,
    status_code: int | None = None,
    duration_ms: int = 0,
    error: str = "",
    is_test: bool = False,
    at: dt.datetime | None = None,
) -> IntegrationCall | None:
    """Record one exchange with an integration (one INSERT). Never raises: returns None if it could not be
    recorded (see the module's docstring for why and how it stays out of the caller's way)."""
    call = IntegrationCall(
        kind=kind,
        integration_id=integration_id,
        direction=direction,
        operation=operation[:40],
        ok=ok,
        status_code=status_code if status_code is not None and 0 < status_code < 1000 else None,
        duration_ms=max(int(duration_ms), 0),
        error=error[:ERROR_MAX_CHARS],
        is_test=is_test,
        at=at or timezone.now(),
    )
    try:
        with transaction.atomic():
            call.save(force_insert=True)
    except DatabaseError:
        log.warning("monitoring: could not record a call of %s:%s", kind, integration_id, exc_info=True)
        return None
    return call


def record_observed_call(
    sender: Any,
    *,
    kind: str,
    integration_id: int,
    direction: str,
    operation: str,
    ok: bool,
    status_code: int | None,
    duration_ms: int,
    error: str,
    is_test: bool,
    **signal_kwargs: Any,
) -> None:
    """The receiver of `core.calls.call_observed` (connected in `apps.py`): a call timed by `core.calls.observe`
    in the delivery, webhook or sync code becomes one recorded call. Never raises, as `record_call`."""
    record_call(
        kind=kind,
        integration_id=integration_id,
        direction=direction,
        operation=operation,
        ok=ok,
        status_code=status_code,
        duration_ms=duration_ms,
        error=error,
        is_test=is_test,
    )


def inbound(operation: str) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Decorate a view of the agency API: each call an authenticated one-stop system makes is timed with
    `core.calls.observe` (ok when answered below 400). Calls that fail authentication never reach the view and
    name no integration for sure, so they are not recorded."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            integration_id = getattr(getattr(request, "auth", None), "integration_id", None)
            if integration_id is None:
                return view(request, *args, **kwargs)
            with observe(
                kind=Kind.ONESTOP, integration_id=integration_id, direction=Direction.IN, operation=operation
            ) as seen:
                try:
                    response = view(request, *args, **kwargs)
                except Exception as exc:
                    # The status the API's error handlers will answer (a DomainError's or an HttpError's).
                    seen.status_code = int(
                        getattr(exc, "status", None) or getattr(exc, "status_code", None) or 500
                    )
                    raise
                seen.status_code = response.status_code
                if response.status_code >= 400:
                    seen.error = f"answered {response.status_code}"
                return response

        return wrapper

    return decorate


# --- alerts ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """What one evaluation did: integrations looked at, alerts opened and closed."""

    evaluated: int
    opened: list[int]
    closed: list[int]


def evaluate(*, now: dt.datetime | None = None) -> Evaluation:
    """Compute the health of every active integration; open an alert (once) for each red one without an open
    alert, and close the open alert of each green one, telling the operators of both (and, silently, that of an
    integration no longer active). Idempotent: running it
    twice, or two runs at once, opens and notifies nothing more (one open alert per integration is a database
    constraint, and notices are keyed by alert)."""
    from .selectors import all_health

    now = now or timezone.now()
    healths = all_health(now=now)
    open_alerts = {
        (a.kind, a.integration_id): a for a in IntegrationAlert.objects.filter(closed_at__isnull=True)
    }
    opened: list[int] = []
    closed: list[int] = []
    for health in healths:
        key = (health.kind, health.integration_id)
        alert = open_alerts.get(key)
        if health.level == "red" and alert is None:
            created = _open_alert(health, now)
            if created is not None:
                opened.append(created.pk)
        elif health.level == "green" and alert is not None and _close_alert(alert, now):
            closed.append(alert.pk)
    # An integration switched off (or removed) is no longer watched: its alert would otherwise stay open forever.
    watched = {(h.kind, h.integration_id) for h in healths}
    gone = [a.pk for key, a in open_alerts.items() if key not in watched]
    if gone:
        IntegrationAlert.objects.filter(pk__in=gone, closed_at__isnull=True).update(closed_at=now)
        closed += gone
    return Evaluation(evaluated=len(healths), opened=opened, closed=closed)


def _open_alert(health: Any, now: dt.datetime) -> IntegrationAlert | None:
    try:
        with transaction.atomic():
            alert = IntegrationAlert.objects.create(
                kind=health.kind,
                integration_id=health.integration_id,
                integration_name=health.name[:200],
                reasons=list(health.reasons),
                opened_at=now,
            )
            _notify_operators(
                key=f"monitoring:{alert.pk}:open",
                title=_("Sự cố kết nối: %(name)s") % {"name": health.name},
                body=_("Kết nối %(name)s chuyển sang trạng thái sự cố lúc %(at)s. Lý do: %(reasons)s")
                % {
                    "name": health.name,
                    "at": timezone.localtime(now).strftime("%H:%M %d/%m/%Y"),
                    "reasons": "; ".join(health.reasons),
                },
                now=now,
            )
    except IntegrityError:
        return None  # another evaluation opened it a moment ago
    return alert


def _close_alert(alert: IntegrationAlert, now: dt.datetime) -> bool:
    with transaction.atomic():
        if not IntegrationAlert.objects.filter(pk=alert.pk, closed_at__isnull=True).update(closed_at=now):
            return False
        _notify_operators(
            key=f"monitoring:{alert.pk}:closed",
            title=_("Đã khôi phục kết nối: %(name)s") % {"name": alert.integration_name},
            body=_("Kết nối %(name)s hoạt động bình thường trở lại lúc %(at)s.")
            % {"name": alert.integration_name, "at": timezone.localtime(now).strftime("%H:%M %d/%m/%Y")},
            now=now,
        )
    return True


def _notify_operators(*, key: str, title: str, body: str, now: dt.datetime) -> None:
    """An in-app notice to every active operator, with its e-mail and SMS copies through the outbox (the
    dossiers' notices: once per key)."""
    from dichvucong.accounts.selectors import active_operators
    from dichvucong.dossiers.services import notify

    for user in active_operators():
        notify(user=user, dossier=None, key=f"{key}:{user.pk}", title=title, body=body, now=now)


def acknowledge_alert(*, alert_id: int, request: HttpRequest) -> IntegrationAlert:
    """An operator says they are on it (the alert stays open until the integration is green). Audited."""
    from dichvucong.core.errors import DomainError

    with transaction.atomic():
        alert = IntegrationAlert.objects.select_for_update().get(pk=alert_id)
        if alert.closed_at is not None:
            raise DomainError(_("Cảnh báo này đã đóng."))
        if alert.acknowledged_at is None:
            alert.acknowledged_at = timezone.now()
            alert.acknowledged_by_id = getattr(request.user, "pk", None)
            alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
            audit.record(
                "monitoring.alert_acknowledged",
                request=request,
                target=alert,
                detail={"kind": alert.kind, "integration_id": alert.integration_id},
            )
    return alert


def evaluate_now(*, request: HttpRequest) -> Evaluation:
    """An operator runs the evaluation from the board instead of waiting for the beat. Audited."""
    result = evaluate()
    audit.record(
        "monitoring.evaluated",
        request=request,
        detail={"evaluated": result.evaluated, "opened": result.opened, "closed": result.closed},
    )
    return result


def prune_calls(*, now: dt.datetime | None = None, batch: int = 10_000) -> int:
    """Delete the exchanges older than `MONITORING_KEEP_DAYS` (the board reads 7 days at most), in batches by the
    time index so that no statement holds the table long; returns how many went."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.MONITORING_KEEP_DAYS)
    removed = 0
    while True:
        ids = list(
            IntegrationCall.objects.filter(at__lt=cutoff).order_by("at").values_list("id", flat=True)[:batch]
        )
        if not ids:
            return removed
        removed += IntegrationCall.objects.filter(id__in=ids).delete()[0]


__all__ = [
    "Direction",
    "Evaluation",
    "Kind",
    "acknowledge_alert",
    "evaluate",
    "evaluate_now",
    "inbound",
    "prune_calls",
    "record_call",
    "record_observed_call",
]
