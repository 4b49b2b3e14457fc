"""Acceptance 2: property-based tests (Hypothesis) of the payment order's state machine and the ledger.

Each example is one bill with three orders at two providers, and a random sequence of what the world may do to
them: notifications of payments, failures and pending states (repeated, reordered, late, with a payment time
out of the window), forged ones (signed with another secret), tampered ones (a field changed after signing),
status queries, the payer cancelling, the deadline passing, and refunds. Notifications go through the VNPAY
plugin's real signature check, from a signer written here from the protocol's formula.

After every example: every posting balances, no bill is paid by two orders, no order's payment is posted twice,
each order's accounts agree with its state, and every genuine payment the provider made is in the ledger (paid,
or kept for refund): no money is lost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import pytest
from django.db import transaction
from django.db.models import Sum
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dichvucong.payments import services, states
from dichvucong.payments.models import (
    PAID_STATUSES,
    BillStatus,
    CallbackSource,
    LedgerAccount,
    LedgerEntry,
    OrderStatus,
    PaymentOrder,
)
from dichvucong.payments.providers import plugin_for
from dichvucong.payments.providers.base import (
    CallbackOutcome,
    CallbackRejected,
    ProviderReport,
    RefundResult,
    ReportedStatus,
)
from tests.payments.factories import MONDAY_9AM, make_bill, make_biller, make_provider

pytestmark = pytest.mark.django_db
HANOI = dt.timezone(dt.timedelta(hours=7))
AMOUNT = 2_000_000


def vnpay_query(provider: Any, params: dict[str, str], secret: str | None = None) -> str:
    """A VNPAY notification's query string, signed as the protocol says: the vnp_* fields sorted by name,
    URL-encoded (quote_plus), HMAC-SHA512 with the merchant's hash secret, hex."""
    signed = urllib.parse.urlencode(sorted(params.items()), quote_via=urllib.parse.quote_plus)
    digest = hmac.new((secret or provider.secret).encode(), signed.encode(), hashlib.sha512).hexdigest()
    return f"{signed}&vnp_SecureHash={digest}"


def ipn_params(
    provider: Any, order: PaymentOrder, *, status: str, txn: str, at: dt.datetime
) -> dict[str, str]:
    code = {"paid": "00", "failed": "24", "pending": "01"}[status]
    return {
        "vnp_TmnCode": provider.merchant_code,
        "vnp_Amount": str(order.amount * 100),
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": f"VNP{txn}",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": "Thanh toan phat",
        "vnp_PayDate": at.astimezone(HANOI).strftime("%Y%m%d%H%M%S"),
        "vnp_ResponseCode": code,
        "vnp_TransactionNo": txn,
        "vnp_TransactionStatus": code,
        "vnp_TxnRef": order.reference,
    }


# --- what may happen --------------------------------------------------------------------------------------------

ORDER = st.integers(min_value=0, max_value=2)
# Minutes after the order was made: in time, near the deadline (15 min + 5 min grace), late, before the order.
WHEN = st.sampled_from([1, 14, 19, 21, 60, -30])
TXN = st.sampled_from(["T1", "T2", "T3"])
TAMPER = st.sampled_from(["none", "none", "none", "amount", "forged", "order", "currency"])

notification = st.tuples(
    st.just("notify"), ORDER, st.sampled_from(["paid", "paid", "failed", "pending"]), TXN, WHEN, TAMPER
)
query = st.tuples(st.just("query"), ORDER, st.sampled_from(["paid", "failed", "pending"]), TXN, WHEN)
cancel = st.tuples(st.just("cancel"), ORDER)
deadline = st.tuples(st.just("expire"), ORDER, st.sampled_from([10, 30, 120]))
refund = st.tuples(st.just("refund"), ORDER, st.sampled_from([1, 2]))  # 1: half, 2: all
event = st.one_of(notification, notification, notification, query, cancel, deadline, refund)


@dataclass
class World:
    """What the providers really did, to check that the ledger has every payment they made."""

    genuine_payments: set[tuple[str, str]] = field(default_factory=set)  # (order reference, transaction)
    outcomes: list[CallbackOutcome] = field(default_factory=list)


def _play(events: list[tuple[Any, ...]]) -> None:
    biller = make_biller()
    bill = make_bill(biller, amount=AMOUNT)
    vnpay = make_provider("sandbox-vnpay", "vnpay")
    other = make_provider("sandbox-vnpay-2", "vnpay", merchant_code="DVCQG002")
    orders = [
        services.create_order(bill=bill, provider=vnpay, now=MONDAY_9AM, client_ip="10.0.0.1"),
        services.create_order(bill=bill, provider=other, now=MONDAY_9AM + dt.timedelta(minutes=1)),
        services.create_order(
            bill=bill, provider=vnpay, now=MONDAY_9AM + dt.timedelta(minutes=2), return_url="https://x.vn/"
        ),
    ]
    assert len({o.pk for o in orders}) == 3
    world = World()
    factory = RequestFactory()
    for item in events:
        kind, index = item[0], item[1]
        order = PaymentOrder.objects.select_related("provider").get(pk=orders[index].pk)
        provider = order.provider
        if kind == "notify":
            _, _, status, txn, minutes, tamper = item
            at = order.created_at + dt.timedelta(minutes=minutes)
            now = max(at, order.created_at) + dt.timedelta(seconds=30)
            params = ipn_params(provider, order, status=status, txn=txn, at=at)
            secret = None
            if tamper == "forged":
                secret = "not-the-merchant-secret"
            query_string = vnpay_query(provider, params, secret)
            if tamper == "amount":
                query_string = query_string.replace(f"vnp_Amount={AMOUNT * 100}", "vnp_Amount=100")
            elif tamper == "order":
                other_ref = orders[(index + 1) % 3].reference
                query_string = query_string.replace(order.reference, other_ref)
            elif tamper == "currency":
                query_string += "&vnp_CurrCode=USD"
            request = factory.get("/thanh-toan/tb/ipn/x/?" + query_string)
            try:
                report = plugin_for(provider).parse_notification(request)
            except CallbackRejected as rejection:
                assert tamper != "none", f"a genuine notification was rejected: {rejection.reason}"
                services.record_rejected(provider, CallbackSource.NOTIFICATION, rejection, now=now)
                continue
            assert tamper in ("none", "currency"), f"a {tamper} notification passed the signature check"
            outcome = services.apply_report(provider=provider, report=report, now=now)
            world.outcomes.append(outcome)
            if status == "paid" and tamper == "none" and minutes >= -5:
                world.genuine_payments.add((order.reference, txn))
        elif kind == "query":
            _, _, status, txn, minutes = item
            at = order.created_at + dt.timedelta(minutes=minutes)
            now = max(at, order.created_at) + dt.timedelta(seconds=30)
            report = ProviderReport(
                order_reference=order.reference,
                status=ReportedStatus(status),
                amount=order.amount,
                transaction_id=txn,
                paid_at=at if status == "paid" else None,
            )
            with mock.patch.object(type(plugin_for(provider)), "query", return_value=report):
                services.settle(order, now=now)
            if status == "paid" and minutes >= -5:
                world.genuine_payments.add((order.reference, txn))
        elif kind == "cancel":
            user = order.user
            if order.status in ("created", "pending") and user is not None:
                services.cancel_order(order, user=user)
            elif order.status in ("created", "pending"):
                with transaction.atomic():
                    locked = PaymentOrder.objects.select_for_update().get(pk=order.pk)
                    if locked.status in states.OPEN:
                        locked.save(update_fields=states.move(locked, OrderStatus.CANCELLED, at=MONDAY_9AM))
        elif kind == "expire":
            services.expire_if_due(order, now=order.expires_at + dt.timedelta(minutes=item[2]))
        elif kind == "refund":
            share = item[2]
            with mock.patch.object(
                type(plugin_for(provider)),
                "refund",
                return_value=RefundResult(succeeded=True, transaction_id="R"),
            ):
                if order.refund_due:
                    services.refund(
                        order=order,
                        amount=order.refund_due,
                        reason="Hoàn tiền nộp muộn",
                        actor=None,
                        of_refund_due=True,
                    )
                elif order.status in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED):
                    left = order.amount - order.refunded_amount
                    amount = left if share == 2 else max(left // 2, 1)
                    services.refund(order=order, amount=amount, reason="Quyết định hủy", actor=None)
    _check(bill, orders, world)


def _check(bill: Any, orders: list[PaymentOrder], world: World) -> None:
    # Every posting balances, and so the whole ledger.
    for posting, total in LedgerEntry.objects.values_list("posting").annotate(total=Sum("amount")):
        assert total == 0, f"posting {posting} does not balance"
    # No bill is paid twice; the bill is paid exactly when one order is.
    paid = [o for o in PaymentOrder.objects.filter(bill=bill) if o.status in PAID_STATUSES]
    assert len(paid) <= 1
    bill.refresh_from_db()
    assert (bill.status == BillStatus.PAID) == (len(paid) == 1)
    balances: dict[tuple[int, str], int] = defaultdict(int)
    for order_id, account, amount in LedgerEntry.objects.values_list("order_id", "account", "amount"):
        balances[(order_id, account)] += amount
    for order in PaymentOrder.objects.filter(pk__in=[o.pk for o in orders]).select_related("provider"):
        # No order's payment is posted twice.
        assert LedgerEntry.objects.filter(order=order, posting__startswith="pay:").count() in (0, 2)
        agency = balances[(order.pk, LedgerAccount.agency(bill.biller.code))]
        due = balances[(order.pk, LedgerAccount.REFUNDS_DUE)]
        held = balances[(order.pk, LedgerAccount.provider(order.provider.code))]
        if order.status in PAID_STATUSES:
            assert agency == -(order.amount - order.refunded_amount)
            assert order.paid_at is not None and order.provider_transaction
        else:
            assert agency == 0 and order.refunded_amount == 0
        assert due == -order.refund_due
        assert held == -agency - due  # what the provider holds is owed to the agency or to the payer
    # Every payment a provider really made is posted: paid, or kept for refund.
    for reference, txn in world.genuine_payments:
        order = PaymentOrder.objects.get(reference=reference)
        posted = (
            order.provider_transaction == txn
            or LedgerEntry.objects.filter(posting=f"late:{reference}:{txn}").exists()
        )
        assert posted, f"payment {txn} of {reference} was lost"


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(events=st.lists(event, min_size=1, max_size=14))
def test_any_sequence_of_callbacks_keeps_the_ledger_balanced_and_pays_each_bill_once(
    events: list[tuple[Any, ...]],
) -> None:
    with transaction.atomic():
        _play(events)
        transaction.set_rollback(True)


def test_a_payment_reported_many_times_in_any_order_is_posted_once() -> None:
    """The classic: success, success again, a failure after it, a query: one payment, one receipt."""
    _play(
        [
            ("notify", 0, "paid", "T1", 1, "none"),
            ("notify", 0, "paid", "T1", 1, "none"),
            ("notify", 0, "failed", "T1", 1, "none"),
            ("query", 0, "paid", "T1", 1),
        ]
    )
    assert LedgerEntry.objects.filter(posting__startswith="pay:").count() == 2
