"""Reads of the payment platform: a payer's own orders only, the history paged by keyset, a bill's status for
its biller, a receipt by its code."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dichvucong.core.errors import DomainError, NotFound
from dichvucong.payments import selectors, services
from dichvucong.payments.models import Bill, BillStatus, PaymentOrder
from dichvucong.payments.providers.base import ReportedStatus
from tests.conftest import make_citizen
from tests.payments.factories import (
    MONDAY_9AM,
    make_bill,
    make_biller,
    make_order,
    make_provider,
    paid_report,
)

pytestmark = pytest.mark.django_db

LATER = MONDAY_9AM + dt.timedelta(minutes=3)


def orders_of(user: Any, count: int, *, same_time: bool = False) -> list[PaymentOrder]:
    """`count` orders of `user`, each for its own bill, a minute apart (or all at once)."""
    biller = make_biller()
    provider = make_provider()
    made = []
    for n in range(count):
        now = MONDAY_9AM if same_time else MONDAY_9AM + dt.timedelta(minutes=n)
        bill = make_bill(biller, reference=f"{n}/QĐ-XPHC")
        made.append(make_order(bill, provider, now=now, user=user))
    return made


# --- a payer's order -------------------------------------------------------------------------------------------


def test_a_payer_reads_their_own_order_with_its_receipt() -> None:
    user = make_citizen()
    order = make_order(user=user)
    services.apply_report(provider=order.provider, report=paid_report(order), now=LATER)
    found = selectors.order_for_user(order.reference, user)
    assert found.pk == order.pk
    assert found.receipt.number


def test_another_users_order_is_not_found() -> None:
    owner = make_citizen()
    other = make_citizen(username="0987654321", phone="0987654321")
    order = make_order(user=owner)
    with pytest.raises(NotFound):
        selectors.order_for_user(order.reference, other)


def test_an_anonymous_visitor_finds_no_order() -> None:
    order = make_order()  # made without a user
    with pytest.raises(NotFound):
        selectors.order_for_user(order.reference, AnonymousUser())
    with pytest.raises(NotFound):
        selectors.order_for_user(order.reference, None)


# --- history ---------------------------------------------------------------------------------------------------


def test_history_pages_newest_first_without_gaps_or_repeats() -> None:
    user = make_citizen()
    made = orders_of(user, 7)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = selectors.payment_history(user, cursor=cursor, limit=3)
        seen += [order.reference for order in page.items]
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == 3
    assert seen == [order.reference for order in reversed(made)]


def test_history_pages_orders_made_at_the_same_moment_by_id() -> None:
    user = make_citizen()
    made = orders_of(user, 5, same_time=True)
    first = selectors.payment_history(user, limit=2)
    rest = selectors.payment_history(user, cursor=first.next_cursor, limit=10)
    refs = [o.reference for o in first.items + rest.items]
    assert sorted(refs) == sorted(o.reference for o in made)
    assert len(set(refs)) == 5
    assert rest.next_cursor is None


def test_history_shows_only_the_users_orders() -> None:
    user = make_citizen()
    other = make_citizen(username="0987654321", phone="0987654321")
    mine = make_order(user=user)
    make_order(make_bill(mine.bill.biller, reference="9/QĐ-XPHC"), mine.provider, user=other)
    assert [o.reference for o in selectors.payment_history(user).items] == [mine.reference]


def test_a_history_page_costs_one_query() -> None:
    user = make_citizen()
    orders_of(user, 4)
    with CaptureQueriesContext(connection) as queries:
        page = selectors.payment_history(user, limit=10)
        for order in page.items:
            _ = (order.bill.agency.name, order.provider.name)
    assert len(queries) == 1


def test_a_cursor_that_is_not_ours_is_refused() -> None:
    with pytest.raises(DomainError):
        selectors.payment_history(make_citizen(), cursor="không-phải-con-trỏ")


def test_an_anonymous_visitor_has_no_history() -> None:
    make_order()
    assert selectors.payment_history(AnonymousUser()).items == []


# --- a bill's status ---------------------------------------------------------------------------------------------


def test_a_paid_bills_status_names_the_paying_order_and_its_receipt() -> None:
    order = make_order()
    services.apply_report(provider=order.provider, report=paid_report(order), now=LATER)
    state = selectors.bill_status(biller=order.bill.biller, reference=order.bill.reference)
    assert state.bill.status == BillStatus.PAID
    assert state.paying_order is not None and state.paying_order.pk == order.pk
    assert state.receipt is not None and state.receipt.order_id == order.pk
    assert not state.has_open_order


def test_an_open_bill_with_a_failed_attempt_and_an_open_one() -> None:
    bill = make_bill()
    failed = make_order(bill, make_provider("a"))
    services.apply_report(
        provider=failed.provider,
        report=paid_report(failed, status=ReportedStatus.FAILED, paid_at=None),
        now=LATER,
    )
    again = make_order(bill, make_provider("b"), now=LATER)
    state = selectors.bill_status(biller=bill.biller, reference=bill.reference)
    assert state.paying_order is None and state.receipt is None
    assert state.latest_order is not None and state.latest_order.pk == again.pk
    assert state.has_open_order


def test_a_billers_status_never_shows_another_billers_bill() -> None:
    bill = make_bill()
    other = make_biller("thue-ha-noi")
    with pytest.raises(NotFound):
        selectors.bill_status(biller=other, reference=bill.reference)
    assert Bill.objects.count() == 1


# --- receipts ----------------------------------------------------------------------------------------------------


def test_a_receipt_is_found_by_its_code_only() -> None:
    order = make_order()
    services.apply_report(provider=order.provider, report=paid_report(order), now=LATER)
    code = PaymentOrder.objects.get(pk=order.pk).receipt.verification_code
    assert selectors.receipt_by_code(code) is not None
    assert selectors.receipt_by_code(code.lower()) is None  # normalising is the caller's
    assert selectors.receipt_by_code("") is None


def test_the_watched_billers_are_those_that_exchange_with_the_portal_in_python_and_in_sql() -> None:
    from tests.payments.factories import make_biller

    made = {
        "webhook": make_biller("b-webhook", webhook_url="http://127.0.0.1:9/webhook"),
        "look-up": make_biller("b-lookup", adapter="signed_json", endpoint_url="http://127.0.0.1:9"),
        "adapter only": make_biller("b-adapter", adapter="signed_json"),
        "address only": make_biller("b-address", endpoint_url="http://127.0.0.1:9"),
        "neither": make_biller("b-neither"),
        "inactive": make_biller("b-off", webhook_url="http://127.0.0.1:9/webhook", is_active=False),
    }
    watched = set(selectors.watched_billers().values_list("code", flat=True))
    assert watched == {"b-webhook", "b-lookup"}
    assert {b.code for b in made.values() if b.exchanges_with_portal} == watched
    assert list(selectors.watched_billers(biller_id=made["look-up"].pk)) == [made["look-up"]]
