"""Recording calls (one row, never failing the caller, in the caller's transaction) and the evaluation that
opens an alert once when an integration turns red, tells the operators, and closes it when it is green again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import DatabaseError, transaction
from django.test import RequestFactory
from django.utils import timezone

from dichvucong.core.calls import observe
from dichvucong.core.models import AuditEvent, OutboxMessage
from dichvucong.core.outbox import RetryLater
from dichvucong.dossiers.models import Notification
from dichvucong.monitoring import services
from dichvucong.monitoring.models import IntegrationAlert, IntegrationCall
from tests.conftest import make_officer, make_operator
from tests.monitoring.factories import calls, onestop

pytestmark = pytest.mark.django_db


def test_a_call_is_one_row_with_what_happened() -> None:
    system = onestop()
    call = services.record_call(
        kind="onestop",
        integration_id=system.pk,
        direction="out",
        operation="dossier",
        ok=False,
        status_code=503,
        duration_ms=120,
        error="x" * 5000,
    )
    assert call is not None
    row = IntegrationCall.objects.get()
    assert (row.ok, row.status_code, row.duration_ms, len(row.error)) == (False, 503, 120, 1000)


def test_a_call_recorded_in_a_transaction_that_rolls_back_is_not_kept() -> None:
    system = onestop()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record_call(kind="onestop", integration_id=system.pk, direction="in", operation="x", ok=True)
        raise RuntimeError("the caller's work failed")
    assert not IntegrationCall.objects.exists()


def test_a_call_that_cannot_be_recorded_does_not_fail_the_caller_nor_its_transaction(
    monkeypatch: Any,
) -> None:
    system = onestop()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr(IntegrationCall, "save", broken)
    with transaction.atomic():
        assert (
            services.record_call(
                kind="onestop", integration_id=system.pk, direction="in", operation="x", ok=True
            )
            is None
        )
        system.name = "vẫn ghi được"
        system.save()  # the caller's transaction is still usable
    system.refresh_from_db()
    assert system.name == "vẫn ghi được"


def test_a_row_the_database_refuses_leaves_the_callers_transaction_usable() -> None:
    # PostgreSQL refuses a kind longer than its column (SQLite stores it): without the savepoint, every later
    # statement of the caller's transaction would fail ("current transaction is aborted").
    from tests.conftest import on_postgres

    system = onestop()
    with transaction.atomic():
        recorded = services.record_call(
            kind="x" * 20, integration_id=system.pk, direction="in", operation="x", ok=True
        )
        system.name = "vẫn ghi được"
        system.save()
    system.refresh_from_db()
    assert system.name == "vẫn ghi được"
    assert (recorded is None) is on_postgres()


def test_a_call_observed_in_core_is_recorded_with_the_status_named_in_the_error() -> None:
    system = onestop()
    with observe(kind="onestop", integration_id=system.pk, operation="dossier") as observed:
        observed.status_code = 202
    with (
        pytest.raises(RetryLater),
        observe(kind="onestop", integration_id=system.pk, operation="dossier"),
    ):
        raise RetryLater("http://x/dossiers answered 503: bảo trì")
    ok, failed = IntegrationCall.objects.order_by("id")
    assert (ok.ok, ok.status_code, ok.direction) == (True, 202, "out")
    assert (failed.ok, failed.status_code, failed.error) == (
        False,
        503,
        "http://x/dossiers answered 503: bảo trì",
    )


def test_a_red_integration_opens_one_alert_and_every_operator_is_told_once() -> None:
    operator = make_operator()
    second = make_operator("quantri2")
    second.email = "quantri2@example.vn"
    second.save()
    officer = make_officer("UBND-01", username="canbo")
    system = onestop()
    calls(system, "xxx")
    first = services.evaluate()
    again = services.evaluate()
    assert len(first.opened) == 1 and again.opened == [] and again.closed == []
    alert = IntegrationAlert.objects.get()
    assert alert.is_open and alert.integration_name == system.name
    assert alert.reasons == ["3 lần trao đổi liên tiếp thất bại (gửi đi)"]
    notices = Notification.objects.filter(key__startswith="monitoring:")
    assert sorted(n.user_id for n in notices) == [operator.pk, second.pk]
    assert not notices.filter(user=officer).exists()
    assert notices.first().title == f"Sự cố kết nối: {system.name}"  # type: ignore[union-attr]
    assert OutboxMessage.objects.filter(topic="notify.email", payload__to="quantri2@example.vn").count() == 1


def test_the_alert_stays_open_while_amber_and_closes_when_green_telling_the_operators() -> None:
    operator = make_operator()
    system = onestop()
    now = timezone.now()
    calls(system, "xxx", end=now - dt.timedelta(seconds=30))
    services.evaluate(now=now)
    calls(system, "x", end=now)  # still failing: nothing changes
    assert services.evaluate(now=now).closed == []
    calls(system, "o", end=now + dt.timedelta(seconds=1))
    result = services.evaluate(now=now + dt.timedelta(seconds=2))
    alert = IntegrationAlert.objects.get()
    assert result.closed == [alert.pk] and alert.closed_at is not None
    assert Notification.objects.filter(
        user=operator, key=f"monitoring:{alert.pk}:closed:{operator.pk}"
    ).exists()
    calls(system, "xxx", end=now + dt.timedelta(seconds=40))
    services.evaluate(now=now + dt.timedelta(seconds=41))
    assert IntegrationAlert.objects.filter(closed_at__isnull=True).count() == 1
    assert IntegrationAlert.objects.count() == 2


def test_the_alert_of_an_integration_switched_off_is_closed() -> None:
    system = onestop()
    calls(system, "xxx")
    services.evaluate()
    system.is_active = False
    system.save()
    result = services.evaluate()
    alert = IntegrationAlert.objects.get()
    assert result.closed == [alert.pk] and alert.closed_at is not None


def test_acknowledging_an_alert_is_audited_and_a_closed_one_cannot_be() -> None:
    from dichvucong.core.errors import DomainError

    operator = make_operator()
    system = onestop()
    calls(system, "xxx")
    services.evaluate()
    alert = IntegrationAlert.objects.get()
    request = RequestFactory().post("/")
    request.user = operator
    services.acknowledge_alert(alert_id=alert.pk, request=request)
    alert.refresh_from_db()
    assert alert.acknowledged_by_id == operator.pk and alert.acknowledged_at is not None
    event = AuditEvent.objects.get(action="monitoring.alert_acknowledged")
    assert (event.actor_id, event.object_id) == (operator.pk, str(alert.pk))
    IntegrationAlert.objects.filter(pk=alert.pk).update(closed_at=timezone.now())
    with pytest.raises(DomainError):
        services.acknowledge_alert(alert_id=alert.pk, request=request)


def test_the_beat_task_evaluates(settings: Any) -> None:
    from dichvucong.monitoring.tasks import evaluate_integrations

    assert "integration-health" in settings.CELERY_BEAT_SCHEDULE
    system = onestop()
    calls(system, "xxx")
    assert evaluate_integrations() == {"evaluated": 1, "opened": 1, "closed": 0}


def test_old_exchanges_are_pruned_and_recent_ones_kept(settings: Any) -> None:
    settings.MONITORING_KEEP_DAYS = 30
    system = onestop()
    now = timezone.now()
    calls(system, "ooo", end=now - dt.timedelta(days=31))
    calls(system, "ox", end=now - dt.timedelta(days=29))
    assert services.prune_calls(now=now, batch=2) == 3
    assert IntegrationCall.objects.count() == 2
    assert services.prune_calls(now=now) == 0
