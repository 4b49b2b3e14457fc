"""Periodic work of the payment platform (Celery beat, `settle-payment-orders`)."""

from __future__ import annotations

from celery import shared_task

from dichvucong.payments import services


@shared_task(ignore_result=True)
def settle_open_orders() -> int:
    """Ask providers about open orders whose notification has not come, and expire those past their deadline.
    Safe to run twice at once: each order is settled under its row lock."""
    return services.settle_open_orders()
