"""Background tasks of accounts: the periodic re-sending of back-channel logouts to relying parties that were
down (it replaces the `deliverlogouts --every 30` process). Idempotent: each logout is sent until delivered."""

from __future__ import annotations

from celery import shared_task

from dichvucong.accounts import sso


@shared_task(name="dichvucong.accounts.tasks.deliver_pending_logouts")
def deliver_pending_logouts() -> int:
    """Re-send the pending back-channel logouts that are due; returns how many were delivered."""
    return sso.deliver_pending_logouts()
