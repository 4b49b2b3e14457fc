"""The transactional outbox: every write that must reach another process or system (an agency's one-stop
system, a payment provider …) is recorded as an `OutboxMessage` in the same transaction as the change, and
delivered after the commit, at least once.

    with transaction.atomic():
        dossier.save()
        outbox.enqueue(topic="dossiers.deliver", key=dossier.code, payload={"dossier_code": dossier.code})

    @outbox.handler("dossiers.deliver")
    def deliver_dossier(message: OutboxMessage) -> None: ...   # raises RetryLater or PermanentFailure

When the transaction commits, the message is handed to a Celery worker (`OUTBOX_DISPATCH="celery"`); the
periodic sweep (`deliver_due`, every `OUTBOX_SWEEP_SECONDS`) delivers whatever was not: a broker that was down,
a worker killed mid-delivery, retries that are due. A worker claims a message with one conditional UPDATE that
sets a lease (`locked_until`), so two workers never run the same message at once, and a message whose worker
died is claimed again when its lease ends. Handlers may therefore run more than once for one message: they
must be idempotent, and receivers de-duplicate on the message key.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from dichvucong.core import audit
from dichvucong.core.errors import DomainError
from dichvucong.core.models import OutboxMessage

log = logging.getLogger(__name__)

Handler = Callable[[OutboxMessage], None]
_handlers: dict[str, Handler] = {}
ERROR_MAX_CHARS = 2000


class RetryLater(Exception):
    """The receiver cannot take the message now (down, overloaded, not configured yet): try again later."""


class PermanentFailure(Exception):
    """The receiver refused the message for good: retrying would not help. The message is given up at once
    and shown to operators, who may retry it once the cause is fixed."""


class OutsideTransaction(RuntimeError):
    """`enqueue` was called outside a transaction: the message could be recorded without the change it
    announces, or the change without it."""


def handler(topic: str) -> Callable[[Handler], Handler]:
    """Register the function that delivers messages of `topic` (one per topic)."""

    def register(func: Handler) -> Handler:
        existing = _handlers.get(topic)
        if existing is not None and _qualified_name(existing) != _qualified_name(func):
            raise ImproperlyConfigured(
                f"outbox topic {topic!r} already has a handler: {_qualified_name(existing)}"
            )
        _handlers[topic] = func
        return func

    return register


def _qualified_name(func: Handler) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def registered_topics() -> list[str]:
    return sorted(_handlers)


def enqueue(
    *, topic: str, key: str, payload: dict[str, Any], delay: timedelta | None = None
) -> OutboxMessage:
    """Record a message in the caller's transaction and hand it to a worker once that commits (nothing is
    sent if it rolls back). Idempotent: a message with the same `topic` and `key` is returned as it is (its
    payload is not replaced). With `delay`, the message is due only then and the sweep sends it."""
    if not transaction.get_connection().in_atomic_block:
        raise OutsideTransaction("outbox.enqueue must run inside the transaction of the change it announces")
    now = timezone.now()
    message, created = OutboxMessage.objects.get_or_create(
        topic=topic,
        key=key,
        defaults={"payload": payload, "created_at": now, "available_at": now + (delay or timedelta(0))},
    )
    if created and not delay:
        transaction.on_commit(partial(dispatch, message.pk), robust=True)
    return message


def enqueue_many(messages: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
    """`enqueue` for many (topic, key, payload) messages in two statements, for callers that announce hundreds of
    changes at once (the status sync notifies owners of a whole batch). Idempotent the same way: a message whose
    topic and key exist already is left as it is (and handed to a worker again, which is harmless)."""
    if not messages:
        return
    if not transaction.get_connection().in_atomic_block:
        raise OutsideTransaction(
            "outbox.enqueue_many must run inside the transaction of the change it announces"
        )
    now = timezone.now()
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(topic=topic, key=key, payload=payload, created_at=now, available_at=now)
            for topic, key, payload in messages
        ],
        ignore_conflicts=True,
    )
    if settings.OUTBOX_DISPATCH == "none":
        return
    wanted = {(topic, key) for topic, key, _payload in messages}
    ids = [
        pk
        for pk, topic, key in OutboxMessage.objects.filter(
            topic__in={t for t, _ in wanted}, key__in={k for _, k in wanted}
        ).values_list("pk", "topic", "key")
        if (topic, key) in wanted
    ]
    for pk in ids:
        transaction.on_commit(partial(dispatch, pk), robust=True)


def dispatch(message_id: int) -> None:
    """Hand a committed message to a worker, as `OUTBOX_DISPATCH` says. A failure to publish is logged, not
    raised: the message is in the database and the sweep will send it."""
    mode = settings.OUTBOX_DISPATCH
    if mode == "none":
        return
    if mode != "celery":
        raise ImproperlyConfigured(f"OUTBOX_DISPATCH must be 'celery' or 'none', not {mode!r}")
    from dichvucong.core.tasks import deliver_outbox_message

    try:
        deliver_outbox_message.delay(message_id)
    except Exception:
        log.warning(
            "outbox: could not publish message %s; the sweep will deliver it", message_id, exc_info=True
        )


# --- Delivery -------------------------------------------------------------------------------------------------


def _due(now: datetime) -> QuerySet[OutboxMessage]:
    """Messages a worker may claim at `now`: pending, due, and not leased (or leased by a worker that died)."""
    return OutboxMessage.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=now),
        delivered_at__isnull=True,
        failed_at__isnull=True,
        available_at__lte=now,
    )


def claim(message_id: int, *, now: datetime) -> int | None:
    """Take the lease of a due message with one atomic conditional UPDATE; return the attempt number it
    starts (which identifies this claim), or None if it is not due or another worker holds it."""
    lease = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    claimed = _due(now).filter(pk=message_id).update(locked_until=now + lease, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return int(OutboxMessage.objects.values_list("attempts", flat=True).get(pk=message_id))


def backoff(attempt: int, *, rng: random.Random | None = None) -> timedelta:
    """The wait after failed attempt `attempt` (1, 2, …): exponential from OUTBOX_BACKOFF_BASE_SECONDS,
    capped at OUTBOX_BACKOFF_MAX_SECONDS, its second half random so that messages failed together (an
    agency outage) do not all come back at the same second."""
    ceiling = min(
        settings.OUTBOX_BACKOFF_MAX_SECONDS, settings.OUTBOX_BACKOFF_BASE_SECONDS * 2 ** max(attempt - 1, 0)
    )
    return timedelta(seconds=ceiling / 2 + (rng or random).uniform(0, ceiling / 2))


def deliver(message_id: int, *, now: datetime | None = None) -> bool:
    """Claim the message, run its topic's handler, and record the outcome: delivered; a retry after a back-off
    (`RetryLater`, or any unexpected error); or given up (`PermanentFailure`, or `OUTBOX_MAX_ATTEMPTS`
    reached). Returns True if it was delivered by this call; False if not, or if it was not ours to deliver
    (not due, already delivered, held by another worker)."""
    clock = (lambda: now) if now is not None else timezone.now
    attempt = claim(message_id, now=clock())
    if attempt is None:
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    if attempt > settings.OUTBOX_MAX_ATTEMPTS:
        # The previous worker died during the last allowed attempt (a message that kills workers, perhaps).
        _finish(message, attempt, failed_at=clock(), last_error=message.last_error or "worker lost")
        return False
    func = _handlers.get(message.topic)
    try:
        if func is None:
            raise RetryLater(f"no handler for topic {message.topic!r} in this process")
        func(message)
    except PermanentFailure as exc:
        log.warning("outbox: %s refused for good: %s", message, exc)
        _finish(message, attempt, failed_at=clock(), last_error=_error_text(exc))
        return False
    except Exception as exc:
        if not isinstance(exc, RetryLater):
            log.exception("outbox: handler of %s failed", message)
        error = _error_text(exc)
        if attempt >= settings.OUTBOX_MAX_ATTEMPTS:
            log.warning("outbox: %s given up after %d attempts: %s", message, attempt, error)
            _finish(message, attempt, failed_at=clock(), last_error=error)
        else:
            retry_at = clock() + backoff(attempt)
            log.warning(
                "outbox: %s not delivered (attempt %d), retried at %s: %s", message, attempt, retry_at, error
            )
            _finish(message, attempt, available_at=retry_at, last_error=error)
        return False
    _finish(message, attempt, delivered_at=clock(), last_error="")
    return True


def _error_text(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if not isinstance(exc, RetryLater | PermanentFailure):
        text = f"{type(exc).__name__}: {text}"
    return text[:ERROR_MAX_CHARS]


def _finish(message: OutboxMessage, attempt: int, **changes: Any) -> None:
    """Record an outcome and release the lease, if this claim still holds it (the attempt number changes when
    another worker claims the message after our lease ran out)."""
    updated = OutboxMessage.objects.filter(
        pk=message.pk, attempts=attempt, delivered_at__isnull=True, failed_at__isnull=True
    ).update(locked_until=None, **changes)
    if not updated:
        log.warning("outbox: lease on %s lost before the outcome was recorded", message)


def due_ids(limit: int, *, now: datetime | None = None) -> list[int]:
    """Ids of the messages due now, oldest first."""
    moment = now or timezone.now()
    return list(_due(moment).order_by("available_at", "id").values_list("pk", flat=True)[:limit])


def deliver_due(limit: int = 100, *, now: datetime | None = None) -> int:
    """Deliver, in this process, the messages due now (at most `limit`); return how many were delivered."""
    return sum(deliver(message_id, now=now) for message_id in due_ids(limit, now=now))


# --- Operators ------------------------------------------------------------------------------------------------


def retry(message_id: int, *, actor: Any = None, request: Any = None) -> OutboxMessage:
    """Send a message again now, with a fresh budget of attempts: a message given up (after its cause was
    fixed, e.g. the agency's address corrected), or one waiting for its next attempt. Audited."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message_id)
        if message.delivered_at is not None:
            raise DomainError("Thông điệp này đã được gửi thành công, không cần gửi lại.")
        now = timezone.now()
        if message.locked_until is not None and message.locked_until > now:
            raise DomainError("Thông điệp này đang được gửi, vui lòng thử lại sau ít phút.")
        detail = {
            "topic": message.topic,
            "key": message.key,
            "attempts": message.attempts,
            "was_failed": message.failed_at is not None,
            "last_error": message.last_error[:500],
        }
        message.failed_at = None
        message.attempts = 0
        message.available_at = now
        message.locked_until = None
        message.save(update_fields=["failed_at", "attempts", "available_at", "locked_until"])
        audit.record("outbox.retry", actor=actor, request=request, target=message, detail=detail)
        transaction.on_commit(partial(dispatch, message.pk), robust=True)
    return message
