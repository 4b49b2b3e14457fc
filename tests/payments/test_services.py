"""The platform's rules for what a provider's report does to an order, shown with reports already verified
(each plugin's signature checks have their own tests)."""

from __future__ import annotations

import datetime as dt

import pytest

from dichvucong.core.models import OutboxMessage
from dichvucong.payments import ledger, services
from dichvucong.payments.models import BillStatus, LedgerAccount, LedgerEntry, OrderStatus, Receipt
from dichvucong.payments.providers.base import CallbackOutcome, ReportedStatus
from tests.payments.factories import MONDAY_9AM, make_bill, make_order, paid_report

pytestmark = pytest.mark.django_db
LATER = MONDAY_9AM + dt.timedelta(minutes=3)


def test_a_verified_payment_pays_the_order_posts_the_ledger_issues_a_receipt_and_tells_the_agency() -> None:
    order = make_order()
    outcome = services.apply_report(provider=order.provider, report=paid_report(order), now=LATER)
    order.refresh_from_db()
    assert outcome == CallbackOutcome.APPLIED
    assert order.status == OrderStatus.PAID
    assert order.bill.status == BillStatus.PAID
    assert ledger.balance(LedgerAccount.provider(order.provider.code)) == order.amount
    assert ledger.balance(LedgerAccount.agency(order.bill.biller.code)) == -order.amount
    assert Receipt.objects.get(order=order).content["amount"] == order.amount
    assert OutboxMessage.objects.filter(topic=services.NOTIFY_TOPIC, key=order.reference).count() == 1


def test_the_same_report_twice_changes_nothing() -> None:
    order = make_order()
    services.apply_report(provider=order.provider, report=paid_report(order), now=LATER)
    again = services.apply_report(provider=order.provider, report=paid_report(order), now=LATER)
    assert again == CallbackOutcome.DUPLICATE
    assert LedgerEntry.objects.count() == 2


def test_a_wrong_amount_is_refused_and_changes_nothing() -> None:
    order = make_order()
    outcome = services.apply_report(
        provider=order.provider, report=paid_report(order, amount=order.amount - 1), now=LATER
    )
    order.refresh_from_db()
    assert outcome == CallbackOutcome.AMOUNT_MISMATCH
    assert order.status == OrderStatus.CREATED
    assert not LedgerEntry.objects.exists()


def test_a_payment_time_before_the_order_is_refused() -> None:
    order = make_order()
    report = paid_report(order, at=MONDAY_9AM - dt.timedelta(hours=2))
    assert (
        services.apply_report(provider=order.provider, report=report, now=LATER)
        == CallbackOutcome.OUT_OF_WINDOW
    )


def test_a_failure_after_a_payment_does_not_undo_it() -> None:
    order = make_order()
    services.apply_report(provider=order.provider, report=paid_report(order), now=LATER)
    failed = paid_report(order, status=ReportedStatus.FAILED, paid_at=None)
    assert services.apply_report(provider=order.provider, report=failed, now=LATER) == CallbackOutcome.IGNORED
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_a_payment_after_the_deadline_is_kept_for_refund_not_lost() -> None:
    order = make_order()
    late_at = order.expires_at + dt.timedelta(hours=1)
    outcome = services.apply_report(
        provider=order.provider, report=paid_report(order, at=late_at), now=late_at
    )
    order.refresh_from_db()
    assert outcome == CallbackOutcome.LATE
    assert order.status == OrderStatus.EXPIRED
    assert order.refund_due == order.amount
    assert order.bill.status == BillStatus.OPEN
    assert ledger.balance(LedgerAccount.REFUNDS_DUE) == -order.amount


def test_a_second_order_paid_for_the_same_bill_is_kept_for_refund() -> None:
    bill = make_bill()
    first = make_order(bill)
    from tests.payments.factories import make_provider

    second = make_order(bill, make_provider("momo-sandbox", "momo"))
    services.apply_report(provider=first.provider, report=paid_report(first), now=LATER)
    outcome = services.apply_report(
        provider=second.provider, report=paid_report(second, transaction_id="99"), now=LATER
    )
    second.refresh_from_db()
    assert outcome == CallbackOutcome.LATE
    assert second.status == OrderStatus.CANCELLED
    assert second.refund_due == second.amount


def test_a_payment_made_in_time_still_pays_an_order_expired_meanwhile() -> None:
    order = make_order()
    services.expire_if_due(order, now=order.expires_at + dt.timedelta(hours=1))
    report = paid_report(order, at=order.expires_at - dt.timedelta(minutes=1))
    outcome = services.apply_report(
        provider=order.provider, report=report, now=order.expires_at + dt.timedelta(hours=1)
    )
    order.refresh_from_db()
    assert outcome == CallbackOutcome.APPLIED
    assert order.status == OrderStatus.PAID


def test_pressing_pay_twice_makes_one_order() -> None:
    bill = make_bill()
    first = make_order(bill)
    assert make_order(bill, first.provider) == first


def test_ledger_lines_cannot_be_changed() -> None:
    order = make_order()
    services.apply_report(provider=order.provider, report=paid_report(order), now=LATER)
    entry = LedgerEntry.objects.first()
    assert entry is not None
    with pytest.raises(RuntimeError):
        entry.save()
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=1)


def test_a_payment_for_a_bill_closed_at_the_agency_meanwhile_is_kept_for_refund() -> None:
    order = make_order()
    order.bill.status = BillStatus.PAID  # paid at the police station's counter after the order was made
    order.bill.save(update_fields=["status"])
    outcome = services.apply_report(provider=order.provider, report=paid_report(order), now=LATER)
    order.refresh_from_db()
    assert outcome == CallbackOutcome.LATE
    assert order.status == OrderStatus.CANCELLED and order.refund_due == order.amount
    assert not Receipt.objects.exists()


def test_money_due_back_is_refunded_by_the_transaction_that_collected_it() -> None:
    from unittest import mock

    from dichvucong.payments.providers import plugin_for
    from dichvucong.payments.providers.base import RefundResult

    order = make_order()
    services.apply_report(provider=order.provider, report=paid_report(order, transaction_id="111"), now=LATER)
    services.apply_report(provider=order.provider, report=paid_report(order, transaction_id="222"), now=LATER)
    order.refresh_from_db()
    assert order.refund_due == order.amount
    with mock.patch.object(
        type(plugin_for(order.provider)), "refund", return_value=RefundResult(True, "R1")
    ) as refund:
        services.refund(order=order, amount=order.amount, reason="Thu trùng", actor=None, of_refund_due=True)
    assert refund.call_args.kwargs["transaction_id"] == "222"
    order.refresh_from_db()
    assert order.refund_due == 0 and order.status == OrderStatus.PAID
    assert ledger.balance(LedgerAccount.REFUNDS_DUE) == 0
