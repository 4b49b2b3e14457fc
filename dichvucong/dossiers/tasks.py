"""Background work of dossiers. The deliveries to one-stop systems are outbox messages run by
`dichvucong.core.tasks`; this module, which Celery imports on start (autodiscovery), registers their handler."""

from __future__ import annotations

from celery import shared_task

from dichvucong.dossiers import delivery  # noqa: F401  (registers the "dossiers.deliver" outbox handler)


@shared_task(name="dichvucong.dossiers.tasks.detect_overdue")
def detect_overdue() -> int:
    """Notice the open dossiers that passed their appointment (idempotent: each is marked and told once)."""
    from dichvucong.dossiers import overdue

    return overdue.detect_overdue()
