"""Background tasks of core: outbox deliveries. Small and idempotent: running one twice does no harm (the
outbox lease and the delivered mark make the second a no-op)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from dichvucong.core import outbox


@shared_task(name="dichvucong.core.tasks.deliver_outbox_message")
def deliver_outbox_message(message_id: int) -> bool:
    """Deliver one outbox message (published when its transaction commits, or by the sweep)."""
    return outbox.deliver(message_id)


@shared_task(name="dichvucong.core.tasks.sweep_outbox")
def sweep_outbox() -> int:
    """Hand every message due now to the workers: retries whose time has come, and messages whose publication
    or worker was lost. A message sent twice is delivered once (the claim is atomic)."""
    message_ids = outbox.due_ids(settings.OUTBOX_SWEEP_LIMIT)
    for message_id in message_ids:
        # Expires like the sweep: one not started by then is handed over again by a later sweep.
        deliver_outbox_message.apply_async((message_id,), expires=settings.OUTBOX_SWEEP_SECONDS * 4)
    return len(message_ids)
