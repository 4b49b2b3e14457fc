"""The agency's webhook for a paid bill, from the outbox to a real sandbox-billers process: the event's content,
the signature the sandbox checks, one payment recorded however many times it comes, and retries while the
agency is down."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from dichvucong.core import outbox
from dichvucong.core.models import OutboxMessage
from dichvucong.payments import notify, services
from dichvucong.payments.models import PaymentOrder, Receipt
from tests.payments.factories import MONDAY_9AM, make_bill, make_order, paid_report
from tests.sandboxes.billers import BillersServer, portal_biller, running_billers

pytestmark = pytest.mark.django_db
LATER = MONDAY_9AM + dt.timedelta(minutes=3)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BillersServer]:
    with running_billers(tmp_path_factory.mktemp("billers")) as running:
        yield running


@pytest.fixture
def sandbox(server: BillersServer) -> BillersServer:
    server.reset()
    return server


def paid_order(biller: Any) -> PaymentOrder:
    """An order for the sandbox's fine 123/QĐ-XPHC, paid through the platform (which enqueues the webhook)."""
    order = make_order(make_bill(biller), provider=None)
    services.apply_report(provider=order.provider, report=paid_report(order), now=LATER)
    order.refresh_from_db()
    return order


def message_of(order: PaymentOrder) -> OutboxMessage:
    return OutboxMessage.objects.get(topic=services.NOTIFY_TOPIC, key=order.reference)


@override_settings(PORTAL_BASE_URL="https://dichvucong.example.vn/")
def test_the_event_names_the_bill_the_payment_and_the_receipt(sandbox: BillersServer) -> None:
    order = paid_order(portal_biller(sandbox))
    receipt = Receipt.objects.get(order=order)
    assert notify.paid_event(order, receipt) == {
        "type": "bill.paid",
        "data": {
            "bill_reference": "123/QĐ-XPHC",
            "biller_code": "csgt-ha-noi",
            "group": "fine",
            "dossier_code": "",
            "amount": 2_000_000,
            "currency": "VND",
            "order_reference": order.reference,
            "provider_code": order.provider.code,
            "provider_transaction": "14012345",
            "paid_at": "2026-11-02T09:02:00+07:00",
            "receipt_number": receipt.number,
            "receipt_verification_code": receipt.verification_code,
            "receipt_url": f"https://dichvucong.example.vn/bien-lai/?ma={receipt.verification_code}",
        },
    }


def test_the_webhook_reaches_the_agency_signed_and_marks_its_bill_paid(sandbox: BillersServer) -> None:
    order = paid_order(portal_biller(sandbox))
    assert outbox.deliver_due() == 1
    [webhook] = sandbox.webhooks("csgt")
    assert webhook["verified"] is True
    assert webhook["webhook_id"] == f"payment-{order.reference}"
    assert webhook["key_id"] == "csgt-ha-noi-key"
    assert webhook["body"] == notify.paid_event(order, Receipt.objects.get(order=order))
    assert sandbox.bills("csgt")["123/QĐ-XPHC"]["status"] == "paid"
    assert message_of(order).delivered_at is not None


def test_a_webhook_delivered_again_is_recorded_once_by_the_agency(sandbox: BillersServer) -> None:
    order = paid_order(portal_biller(sandbox))
    notify.notify_agency(message_of(order))
    notify.notify_agency(message_of(order))
    [webhook] = sandbox.webhooks("csgt")
    assert webhook["deliveries"] == 2


def test_an_agency_that_is_down_gets_the_webhook_when_it_is_back(sandbox: BillersServer) -> None:
    order = paid_order(portal_biller(sandbox))
    sandbox.down("csgt")
    assert outbox.deliver_due() == 0
    message = message_of(order)
    assert message.delivered_at is None and message.failed_at is None
    assert "503" in message.last_error
    sandbox.down("csgt", down=False)
    assert outbox.deliver_due(now=timezone.now() + dt.timedelta(hours=2)) == 1
    assert [w["verified"] for w in sandbox.webhooks("csgt")] == [True]


def test_a_refusal_by_the_agency_is_retried_too(sandbox: BillersServer) -> None:
    order = paid_order(portal_biller(sandbox))
    sandbox.down("csgt", status=400)
    with pytest.raises(outbox.RetryLater, match="400"):
        notify.notify_agency(message_of(order))


def test_a_biller_without_a_webhook_address_is_given_up_with_a_reason_for_operators(
    sandbox: BillersServer,
) -> None:
    order = paid_order(portal_biller(sandbox, webhook_url=""))
    assert outbox.deliver_due() == 0
    message = message_of(order)
    assert message.failed_at is not None
    assert "has no webhook address" in message.last_error
    assert sandbox.webhooks() == []


def test_an_agency_nobody_listens_at_is_retried(sandbox: BillersServer) -> None:
    order = paid_order(portal_biller(sandbox, webhook_url="http://127.0.0.1:9/csgt/webhooks"))
    with pytest.raises(outbox.RetryLater):
        notify.notify_agency(message_of(order))
