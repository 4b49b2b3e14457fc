"""Outbox handler `payments.notify_agency`: tells the agency's system that one of its bills is paid (enqueued by
`services` in the transaction that pays the order).

The message is POSTed as JSON to the biller's `webhook_url`, signed in the Standard Webhooks scheme with the
biller's secret plus ``x-dvc-key-id``; its id is ``payment-<order reference>`` on every attempt, so that the
agency records a payment once however many times it comes. The body is our event (`notify_format="event"`):

    {"type": "bill.paid", "data": {"bill_reference": "123/QĐ-XPHC", "biller_code": "csgt-ha-noi",
     "group": "fine", "dossier_code": "", "amount": 2000000, "currency": "VND", "order_reference": "TT…",
     "provider_code": "sandbox-vnpay", "provider_transaction": "14012345",
     "paid_at": "2026-11-02T09:02:00+07:00", "receipt_number": "BL2026-…", "receipt_verification_code": "…",
     "receipt_url": "https://…/bien-lai/?ma=…"}}

or the national platform's confirmation message (`notify_format="paygov"`, built by `payments.paygov`) for
one-stop systems that speak it. A 2xx answer acknowledges it; anything else, a timeout or a connection error is
retried by the outbox with back-off (even a 4xx: the agency may fix its side), until it gives up and shows the
message to operators.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.urls import reverse

from dichvucong.core import calls, outbox, signing
from dichvucong.core.calls import observe
from dichvucong.core.models import OutboxMessage
from dichvucong.payments.models import PAID_STATUSES, NotifyFormat, PaymentOrder, Receipt
from dichvucong.payments.services import NOTIFY_TOPIC

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ERROR_TEXT_CHARS = 500


def webhook_id(order: PaymentOrder) -> str:
    """The message id of an order's webhook: the same on every retry, for the agency to de-duplicate."""
    return f"payment-{order.reference}"


def receipt_url(receipt: Receipt) -> str:
    """The public page where anyone checks the receipt by its verification code."""
    path = reverse("web:receipt_verify")
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}?ma={quote(receipt.verification_code)}"


def paid_event(order: PaymentOrder, receipt: Receipt) -> dict[str, Any]:
    """The `bill.paid` event of a paid order (times in Hà Nội time, with their offset)."""
    bill = order.bill
    paid_at = order.paid_at or receipt.issued_at
    return {
        "type": "bill.paid",
        "data": {
            "bill_reference": bill.reference,
            "biller_code": bill.biller.code,
            "group": bill.group,
            "dossier_code": bill.dossier_code,
            "amount": order.amount,
            "currency": order.currency,
            "order_reference": order.reference,
            "provider_code": order.provider.code,
            "provider_transaction": order.provider_transaction,
            "paid_at": paid_at.astimezone(LOCAL_TZ).isoformat(),
            "receipt_number": receipt.number,
            "receipt_verification_code": receipt.verification_code,
            "receipt_url": receipt_url(receipt),
        },
    }


def message_body(order: PaymentOrder, receipt: Receipt) -> dict[str, Any]:
    """The body in the format the biller asked for."""
    if order.bill.biller.notify_format == NotifyFormat.PAYGOV:
        from dichvucong.payments import paygov

        body: dict[str, Any] = paygov.confirmation(order)
        return body
    return paid_event(order, receipt)


@outbox.handler(NOTIFY_TOPIC)
def notify_agency(message: OutboxMessage) -> None:
    """Deliver the paid-bill webhook of the order named by the message (see the module's docstring)."""
    reference = str(message.payload.get("order") or message.key)
    order = (
        PaymentOrder.objects.select_related("bill__biller", "bill__agency", "provider")
        .filter(reference=reference)
        .first()
    )
    if order is None:
        raise outbox.PermanentFailure(f"payment order {reference} does not exist")
    if order.status not in PAID_STATUSES:
        raise outbox.PermanentFailure(f"payment order {reference} is {order.status}, not paid")
    receipt = Receipt.objects.filter(order=order).first()
    if receipt is None:
        raise outbox.PermanentFailure(f"payment order {reference} has no receipt")
    biller = order.bill.biller
    if not biller.webhook_url:
        raise outbox.PermanentFailure(
            f"the biller {biller.code} ({biller.name}) has no webhook address: set one in the back office "
            "(Thanh toán › Hệ thống thu của cơ quan), then send this message again"
        )
    payload, headers = signing.signed_json(
        biller.secret, biller.key_id, webhook_id(order), message_body(order, receipt)
    )
    url = biller.webhook_url
    with observe(kind=calls.BILLER, integration_id=biller.pk, operation="payment") as observed:
        try:
            response = requests.post(
                url,
                data=payload,
                headers=headers,
                timeout=(settings.PAYMENT_CONNECT_TIMEOUT_SECONDS, settings.PAYMENT_READ_TIMEOUT_SECONDS),
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise outbox.RetryLater(f"{url}: no answer in time ({type(exc).__name__})") from exc
        except requests.RequestException as exc:
            raise outbox.RetryLater(f"{url}: {type(exc).__name__}: {exc}") from exc
        observed.status_code = response.status_code
        if not 200 <= response.status_code < 300:
            text = " ".join(response.text.split())[:ERROR_TEXT_CHARS] or response.reason or ""
            raise outbox.RetryLater(f"{url} answered {response.status_code}: {text}")
