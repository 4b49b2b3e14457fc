"""Every exchange with an integration is recorded where it happens: dossier deliveries through the outbox (to
sandbox-onestop, a real process), paid-bill webhooks, the agency API's status sync and result uploads, and the
national sync interface."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dichvucong.core import outbox, signing
from dichvucong.core.models import OutboxMessage
from dichvucong.dossiers import services
from dichvucong.monitoring import selectors
from dichvucong.monitoring.models import IntegrationCall
from tests.api.test_agency_sync import event, make_integration, post_events
from tests.api.test_legacy_sync import PASSWORD, URL
from tests.monitoring.factories import onestop
from tests.sandboxes.onestop import (
    KEY_ID,
    SECRET,
    OnestopServer,
    fake_portal,
    running_onestop,
    submit_dossier,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OnestopServer]:
    with running_onestop(tmp_path_factory.mktemp("onestop")) as running:
        yield running


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OUTBOX_MAX_ATTEMPTS = 5


def deliver(code: str, now: datetime) -> bool:
    return outbox.deliver(OutboxMessage.objects.get(topic=services.DELIVER_TOPIC, key=code).pk, now=now)


def test_deliveries_to_a_system_that_is_down_then_back_are_recorded_and_make_it_red_then_green(
    server: OnestopServer,
) -> None:
    system = onestop(endpoint=server.url, key_id=KEY_ID, secret=SECRET)
    dossiers = [submit_dossier("UBND-01") for _ in range(3)]
    server.control("outage", down=True, status=503)
    try:
        assert not any(deliver(d.code, datetime.now(UTC)) for d in dossiers)
    finally:
        server.control("outage", down=False)
    failed = list(IntegrationCall.objects.order_by("id"))
    assert [(c.ok, c.status_code, c.operation, c.direction) for c in failed] == [
        (False, 503, "dossier", "out")
    ] * 3
    health = selectors.health_of("onestop", system.pk)
    assert health is not None and health.level == "red" and health.undelivered == 3
    assert deliver(dossiers[0].code, datetime.now(UTC) + timedelta(days=1))
    latest = IntegrationCall.objects.order_by("-id").first()
    assert latest is not None and latest.ok and latest.status_code is None and latest.duration_ms >= 0
    health = selectors.health_of("onestop", system.pk, now=datetime.now(UTC) + timedelta(seconds=1))
    assert health is not None and health.level == "green" and health.undelivered == 2


def test_the_status_sync_of_the_agency_api_is_recorded_as_inbound_calls(client: Any) -> None:
    integration = make_integration()
    assert post_events(client, integration, [event(1, "H01-1", 2)]).status_code == 200
    broken = client.generic(
        "POST",
        "/api/v1/agency/status-events",
        b"{}",
        content_type="application/json",
        headers={
            "x-dvc-key-id": integration.key_id,
            **signing.sign(integration.secret, "m2", b"{}"),
        },
    )
    assert broken.status_code == 422
    ok, failed = IntegrationCall.objects.order_by("id")
    assert (ok.kind, ok.integration_id, ok.direction, ok.operation, ok.ok, ok.status_code) == (
        "onestop",
        integration.pk,
        "in",
        "status-events",
        True,
        200,
    )
    assert (failed.ok, failed.status_code) == (False, 422)


def test_a_call_that_fails_authentication_is_not_recorded(client: Any) -> None:
    integration = make_integration()
    integration.key_id = "khong-ton-tai"
    assert post_events(client, integration, [event(1, "H01-1", 2)]).status_code == 401
    assert not IntegrationCall.objects.exists()


def test_the_national_sync_interface_is_recorded_as_inbound_calls(client: Any) -> None:
    integration = make_integration(legacy_username="hanoi-motcua", legacy_password=PASSWORD)
    session = client.post(
        URL + "auth", {"username": "hanoi-motcua", "password": PASSWORD}, content_type="application/json"
    ).json()["session"]
    answer = client.post(
        URL,
        {"session": session, "madonvi": "UBND-01", "service": "TraCuuHoSo", "data": []},
        content_type="application/json",
    ).json()
    assert answer["error_code"] in {"00", "01"}
    call = IntegrationCall.objects.get()
    assert (call.integration_id, call.direction, call.operation) == (integration.pk, "in", "TraCuuHoSo")
    assert call.ok is (answer["error_code"] == "00")


def test_paid_bill_webhooks_are_recorded_with_the_answer_status() -> None:
    from dichvucong.payments import services as payments
    from tests.payments.factories import make_bill, make_biller, make_order, paid_report

    with fake_portal() as receiver:
        receiver.status = 500
        biller = make_biller(webhook_url=f"{receiver.url}/webhooks")
        order = make_order(make_bill(biller), provider=None)
        payments.apply_report(provider=order.provider, report=paid_report(order), now=order.created_at)
        message = OutboxMessage.objects.get(topic=payments.NOTIFY_TOPIC, key=order.reference)
        assert not outbox.deliver(message.pk)
        receiver.status = 200
        assert outbox.deliver(message.pk, now=datetime.now(UTC) + timedelta(days=1))
    failed, ok = IntegrationCall.objects.order_by("id")
    assert (failed.kind, failed.integration_id, failed.ok, failed.status_code) == (
        "biller",
        biller.pk,
        False,
        500,
    )
    assert (ok.ok, ok.status_code, ok.operation) == (True, 200, "payment")
    assert json.loads(receiver.received[-1].body)["type"] == "bill.paid"
