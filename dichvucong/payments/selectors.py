"""Reads of the payment platform: a payer's order and payment history, a bill's status for the agency that
issued it, a receipt by its verification code, and the billers the portal exchanges with. Every read a
person makes is scoped to what is theirs: another payer's order answers NotFound, as if it did not exist.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from dichvucong.core.errors import DomainError, NotFound
from dichvucong.payments import states
from dichvucong.payments.models import PAID_STATUSES, Bill, Biller, PaymentOrder, Receipt

HISTORY_PAGE = 20
HISTORY_PAGE_MAX = 100


# --- a payer's orders ------------------------------------------------------------------------------------------


def order_for_user(reference: str, user: Any) -> PaymentOrder:
    """The order `reference` if it belongs to `user` (signed in), with its bill, provider and receipt; else
    NotFound, so that order references cannot be used to read other people's payments."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotFound("Không tìm thấy lệnh thanh toán.")
    order = (
        PaymentOrder.objects.select_related("bill__biller", "bill__agency", "provider", "receipt")
        .filter(reference=reference, user_id=user.pk)
        .first()
    )
    if order is None:
        raise NotFound("Không tìm thấy lệnh thanh toán.")
    return order


@dataclass(frozen=True)
class HistoryPage:
    """One page of a payer's orders, newest first; `next_cursor` fetches the next page (None: the last one)."""

    items: list[PaymentOrder]
    next_cursor: str | None


def _encode_cursor(order: PaymentOrder) -> str:
    raw = f"{order.created_at.isoformat()}|{order.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, _, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
        moment = dt.datetime.fromisoformat(stamp)
        if moment.tzinfo is None:
            raise ValueError("naive cursor time")
        return moment, int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise DomainError("Con trỏ trang không hợp lệ; hãy mở lại lịch sử thanh toán từ đầu.") from exc


def payment_history(user: Any, *, cursor: str | None = None, limit: int = HISTORY_PAGE) -> HistoryPage:
    """The orders `user` made, newest first, paged by keyset on (created_at, id): a page costs the same however
    deep it is, and an order made meanwhile does not shift the pages after it. One query per page (the bill,
    provider and receipt come with each order)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return HistoryPage(items=[], next_cursor=None)
    limit = max(1, min(limit, HISTORY_PAGE_MAX))
    rows = PaymentOrder.objects.select_related("bill__agency", "provider", "receipt").filter(user_id=user.pk)
    if cursor:
        moment, pk = _decode_cursor(cursor)
        rows = rows.filter(Q(created_at__lt=moment) | Q(created_at=moment, pk__lt=pk))
    found = list(rows.order_by("-created_at", "-pk")[: limit + 1])
    items = found[:limit]
    return HistoryPage(items=items, next_cursor=_encode_cursor(items[-1]) if len(found) > limit else None)


# --- a bill, for the agency that issued it ----------------------------------------------------------------------


@dataclass(frozen=True)
class BillState:
    """What the issuing agency may know of one of its bills: the order that paid it and its receipt, else the
    most recent attempt and whether one is still open."""

    bill: Bill
    paying_order: PaymentOrder | None
    latest_order: PaymentOrder | None
    has_open_order: bool

    @property
    def receipt(self) -> Receipt | None:
        if self.paying_order is None:
            return None
        try:
            return self.paying_order.receipt
        except Receipt.DoesNotExist:
            return None


def bill_status(*, biller: Biller, reference: str) -> BillState:
    """The status of `biller`'s bill `reference` (NotFound for a reference it never issued: one agency never sees
    another's bills). Two queries: the bill, then its orders newest first."""
    bill = Bill.objects.select_related("biller", "agency").filter(biller=biller, reference=reference).first()
    if bill is None:
        raise NotFound(f"Không có khoản phải nộp mã {reference[:100]} của hệ thống thu này.")
    orders = list(
        PaymentOrder.objects.select_related("provider", "receipt")
        .filter(bill=bill)
        .order_by("-created_at", "-pk")
    )
    paying = next((order for order in orders if order.status in PAID_STATUSES), None)
    return BillState(
        bill=bill,
        paying_order=paying,
        latest_order=orders[0] if orders else None,
        has_open_order=any(order.status in states.OPEN for order in orders),
    )


# --- receipts ------------------------------------------------------------------------------------------------


def receipt_by_code(code: str) -> Receipt | None:
    """The receipt with verification code `code` (already normalised by the caller), with its order."""
    if not code:
        return None
    return (
        Receipt.objects.select_related("order__provider", "order__bill")
        .filter(verification_code=code)
        .first()
    )


# --- billers the portal exchanges with (read by the integration monitor) --------------------------------------


def watched_billers(*, biller_id: int | None = None) -> QuerySet[Biller]:
    """The active billers the portal exchanges with (`Biller.exchanges_with_portal`: a webhook address, or an
    adapter and a look-up address), with their agency, by name; only `biller_id` if given."""
    talks = ~Q(webhook_url="") | (~Q(adapter="") & ~Q(endpoint_url=""))
    billers = Biller.objects.filter(talks, is_active=True).select_related("agency")
    if biller_id is not None:
        billers = billers.filter(pk=biller_id)
    return billers.order_by("name")


def biller_by_id(biller_id: int) -> Biller | None:
    """A biller, active or not, or None."""
    return Biller.objects.filter(pk=biller_id).first()


def biller_ids_for_orders(references: Iterable[str]) -> dict[str, int]:
    """The biller of each payment order (by order reference), through its bill; unknown references are left
    out. One query."""
    return dict(
        PaymentOrder.objects.filter(reference__in=set(references)).values_list("reference", "bill__biller_id")
    )
