"""Background work of feedback: the periodic reminders and escalation (beat entry "feedback-reminders")."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="dichvucong.feedback.tasks.send_reminders")
def send_reminders() -> dict[str, int]:
    """Remind and escalate late feedback (idempotent: each alert is sent once, whatever the number of runs)."""
    from dichvucong.feedback import reminders

    return reminders.send_reminders()
