"""The portal's addresses that providers call back (the IPN) and send the payer back to (the return), given to
a plugin's checkout, and the trace of a payer's return (which never moves an order)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from dichvucong.payments.models import CallbackSource, Provider, ProviderCallback
from dichvucong.payments.providers.base import CallbackOutcome, ProviderReport


def _absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def notify_url(provider: Provider) -> str:
    """Where `provider` sends its server-to-server notifications (api.payment_callbacks.payment_ipn)."""
    return _absolute(reverse("payment_ipn", kwargs={"provider_code": provider.code}))


def return_url(provider: Provider) -> str:
    """Where `provider` sends the payer's browser back (api.payment_callbacks.payment_return)."""
    return _absolute(reverse("payment_return", kwargs={"provider_code": provider.code}))


def record_return(provider: Provider, report: ProviderReport, *, now: datetime | None = None) -> None:
    """Keep a trace of a verified browser return, for the operator reading a disputed payment. The return is
    shown to the payer only: the order moves on a notification or a status query, never on this."""
    ProviderCallback.objects.create(
        provider=provider,
        source=CallbackSource.RETURN,
        order_reference=report.order_reference[:100],
        received_at=now or timezone.now(),
        verified=True,
        outcome=CallbackOutcome.IGNORED.value,
        detail={
            "status": report.status.value,
            "amount": report.amount,
            "transaction_id": report.transaction_id,
            "message": report.message[:500],
        },
    )
