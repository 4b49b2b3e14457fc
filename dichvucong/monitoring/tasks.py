"""The health evaluation, run every `MONITORING_EVALUATE_SECONDS` by the beat ("integration-health")."""

from __future__ import annotations

from celery import shared_task

from dichvucong.monitoring import services


@shared_task(name="dichvucong.monitoring.tasks.evaluate_integrations", ignore_result=True)
def evaluate_integrations() -> dict[str, int]:
    """Open alerts for integrations that turned red, close those of integrations green again. Idempotent."""
    result = services.evaluate()
    return {"evaluated": result.evaluated, "opened": len(result.opened), "closed": len(result.closed)}


@shared_task(name="dichvucong.monitoring.tasks.prune_calls", ignore_result=True)
def prune_calls() -> int:
    """Old exchanges go ("integration-calls-prune", daily)."""
    return services.prune_calls()
