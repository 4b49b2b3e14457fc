"""The payment order's state machine: one table of the transitions allowed, one function that applies them.

    created ──► pending ──► paid ──► partially_refunded ──► refunded
       │           │  ▲                      └──────────────────▲
       │           │  └── failed, expired (a verified payment made before the deadline still counts)
       └───────────┴──► failed | expired | cancelled

A failure never undoes a payment; a payment the order cannot keep (after the deadline, after a cancellation,
or for a bill already paid) leaves the order where it is and is recorded as money to refund (`refund_due`).
"""

from __future__ import annotations

from datetime import datetime

from dichvucong.core.errors import DomainError
from dichvucong.payments.models import OrderStatus, PaymentOrder

S = OrderStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.CREATED: frozenset({S.PENDING, S.PAID, S.FAILED, S.EXPIRED, S.CANCELLED}),
    S.PENDING: frozenset({S.PAID, S.FAILED, S.EXPIRED, S.CANCELLED}),
    # The provider may report a success after a failure (the payer tried again on its page) or after our
    # deadline passed while the payment itself was made in time: the money is real, the order is paid.
    S.FAILED: frozenset({S.PAID}),
    S.EXPIRED: frozenset({S.PAID}),
    S.CANCELLED: frozenset(),
    S.PAID: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.PARTIALLY_REFUNDED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.REFUNDED: frozenset(),
}

OPEN = frozenset({S.CREATED, S.PENDING})
CLOSED_UNPAID = frozenset({S.FAILED, S.EXPIRED, S.CANCELLED})


class TransitionNotAllowed(DomainError):
    code = "transition-not-allowed"
    status = 409


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def move(order: PaymentOrder, target: str, *, at: datetime) -> list[str]:
    """Put `order` in `target` (in memory) if the table allows it; return the fields changed, for the caller's
    save. The caller holds the order's row lock."""
    if not can_move(order.status, target):
        raise TransitionNotAllowed(
            f"Lệnh thanh toán {order.reference} không thể chuyển từ “{order.get_status_display()}” "
            f"sang “{OrderStatus(target).label}”."
        )
    order.status = target
    changed = ["status", "updated_at"]
    if target in CLOSED_UNPAID:
        order.closed_at = at
        changed.append("closed_at")
    elif target == S.PAID and order.closed_at is not None:
        order.closed_at = None
        changed.append("closed_at")
    return changed
