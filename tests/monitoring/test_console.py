"""The test console sends samples over real HTTP: to sandbox-onestop (a real process, which checks the signature
and keeps test messages apart from dossiers) through the integration's own connector, and to a bill system's
webhook (a local server that checks the signature with the biller's secret). Each send is a recorded test call
and an audit event; a failure is a result to show, with what came back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import RequestFactory

from dichvucong.core import signing
from dichvucong.core.models import AuditEvent
from dichvucong.monitoring import console, selectors
from dichvucong.monitoring.models import IntegrationCall
from tests.conftest import make_operator
from tests.monitoring.factories import onestop
from tests.sandboxes.onestop import KEY_ID, SECRET, OnestopServer, fake_portal, running_onestop

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OnestopServer]:
    with running_onestop(tmp_path_factory.mktemp("onestop")) as running:
        yield running


@pytest.fixture
def sandbox(server: OnestopServer) -> OnestopServer:
    server.control("outage", down=False)
    return server


@pytest.fixture
def operator_request() -> Any:
    request = RequestFactory().post("/quan-tri/")
    request.user = make_operator()
    return request


def target_of(integration: Any) -> selectors.Integration:
    found = selectors.integration("onestop", integration.pk)
    assert found is not None
    return found


def test_a_sample_dossier_goes_through_the_connector_signed_and_the_sandbox_does_not_store_it(
    sandbox: OnestopServer, operator_request: Any
) -> None:
    system = onestop(endpoint=sandbox.url, key_id=KEY_ID, secret=SECRET)
    before = sandbox.state()
    exchange = console.send_sample(target=target_of(system), sample="dossier", request=operator_request)
    assert exchange.ok, exchange.error
    assert exchange.status == 200 and exchange.url == f"{sandbox.url}/dossiers"
    answer = json.loads(exchange.response_body)
    assert answer["test"] is True and answer["MaHoSo"].startswith("TEST-UBND-01-")
    assert exchange.request_headers["x-dvc-test"] == "1"
    assert exchange.request_headers["webhook-id"] == exchange.message_id
    assert '"ThuNghiem": true' in exchange.request_body
    after = sandbox.state()
    assert after["dossiers"] == before["dossiers"]  # not stored as a dossier
    assert after["tests"][0]["webhook_id"] == exchange.message_id
    call = IntegrationCall.objects.get()
    assert (call.ok, call.is_test, call.operation, call.status_code) == (True, True, "test:dossier", 200)
    event = AuditEvent.objects.get(action="monitoring.console_sent")
    assert event.detail["sample"] == "dossier" and event.detail["ok"] is True
    assert event.actor_id == operator_request.user.pk and event.object_id == str(system.pk)


def test_a_sample_to_a_system_that_is_down_shows_its_answer_and_counts_as_a_failure(
    sandbox: OnestopServer, operator_request: Any
) -> None:
    system = onestop(endpoint=sandbox.url, key_id=KEY_ID, secret=SECRET)
    sandbox.control("outage", down=True, status=503)
    try:
        exchange = console.send_sample(
            target=target_of(system), sample="status_event", request=operator_request
        )
    finally:
        sandbox.control("outage", down=False)
    assert not exchange.ok and exchange.status == 503
    assert "bảo trì" in exchange.response_body and "503" in exchange.error
    call = IntegrationCall.objects.get()
    assert (call.ok, call.status_code, call.operation) == (False, 503, "test:status_event")


def test_a_sample_status_event_is_signed_and_accepted_as_a_test(
    sandbox: OnestopServer, operator_request: Any
) -> None:
    system = onestop(endpoint=sandbox.url, key_id=KEY_ID, secret=SECRET)
    exchange = console.send_sample(target=target_of(system), sample="status_event", request=operator_request)
    assert exchange.ok, exchange.error
    assert json.loads(exchange.response_body)["received"] == 1
    assert sandbox.state()["tests"][0]["kind"] == "status_event"


def test_a_wrong_secret_is_refused_by_the_receiver_and_shown(
    sandbox: OnestopServer, operator_request: Any
) -> None:
    system = onestop(endpoint=sandbox.url, key_id=KEY_ID)  # a secret the sandbox does not know
    exchange = console.send_sample(target=target_of(system), sample="dossier", request=operator_request)
    assert not exchange.ok and exchange.status == 401
    assert "Chữ ký không hợp lệ" in exchange.response_body


def test_nobody_listening_is_an_error_without_an_answer(operator_request: Any) -> None:
    system = onestop(endpoint="http://127.0.0.1:9")
    exchange = console.send_sample(target=target_of(system), sample="dossier", request=operator_request)
    assert not exchange.ok and exchange.status is None and "ConnectionError" in exchange.error
    assert not IntegrationCall.objects.get().ok


def test_a_sample_payment_notice_reaches_the_billers_webhook_signed_with_its_secret(
    operator_request: Any,
) -> None:
    from tests.payments.factories import make_biller

    with fake_portal() as receiver:
        receiver.status = 200
        receiver.body = {"received": True}
        biller = make_biller(webhook_url=f"{receiver.url}/webhooks")
        target = selectors.integration("biller", biller.pk)
        assert target is not None
        exchange = console.send_sample(target=target, sample="payment", request=operator_request)
        (received,) = receiver.posts("/webhooks")
    assert exchange.ok, exchange.error
    assert signing.verify(biller.secret, received.headers, received.body) == exchange.message_id
    body = received.json()
    assert body["type"] == "bill.paid" and body["test"] is True and received.headers["x-dvc-test"] == "1"
    assert received.headers["x-dvc-key-id"] == biller.key_id
    assert IntegrationCall.objects.get().kind == "biller"


def test_a_kind_of_sample_the_integration_does_not_take_is_refused(operator_request: Any) -> None:
    system = onestop()
    with pytest.raises(console.UnknownSample):
        console.send_sample(target=target_of(system), sample="payment", request=operator_request)
    assert not IntegrationCall.objects.exists()


def test_the_samples_are_marked_as_tests(tmp_path: Path) -> None:
    system = onestop()
    target = target_of(system)
    from django.utils import timezone

    now = timezone.now()
    assert console.sample_dossier(target, now)["ThuNghiem"] is True
    assert console.sample_status_event(target, now)["test"] is True
    assert console.sample_status_event(target, now)["events"][0]["status"] == 7
    assert console.sample_payment(target, now)["test"] is True
