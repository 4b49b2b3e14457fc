"""The roll-up, run every `STATS_ROLLUP_SECONDS` by the beat."""

from __future__ import annotations

from celery import shared_task

from dichvucong.stats import services


@shared_task(name="dichvucong.stats.tasks.roll_up", ignore_result=True)
def roll_up() -> int:
    """Fold what changed since the last run; stops after 25 s so that runs do not pile up."""
    return services.roll_up(max_seconds=25).objects
