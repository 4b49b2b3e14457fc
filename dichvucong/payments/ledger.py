"""Writing the append-only ledger. A posting is balanced (its lines sum to zero) and idempotent: posting the
same key twice writes nothing the second time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Sum

from dichvucong.payments.models import LedgerEntry, PaymentOrder


class UnbalancedPosting(ValueError):
    pass


def post(*, key: str, kind: str, order: PaymentOrder, lines: Sequence[tuple[str, int]], at: datetime) -> bool:
    """Write the lines (account, amount) of posting `key`; return False if the posting exists already."""
    if sum(amount for _account, amount in lines) != 0:
        raise UnbalancedPosting(f"posting {key} does not balance: {lines}")
    if any(amount == 0 for _account, amount in lines) or len({a for a, _ in lines}) != len(lines):
        raise UnbalancedPosting(f"posting {key} has a zero line or an account twice: {lines}")
    if LedgerEntry.objects.filter(posting=key).exists():
        return False
    try:
        with transaction.atomic():
            LedgerEntry.objects.bulk_create(
                [
                    LedgerEntry(posting=key, kind=kind, order=order, account=account, amount=amount, at=at)
                    for account, amount in lines
                ]
            )
    except IntegrityError:
        # Another transaction wrote the same posting between our check and our insert.
        return False
    return True


def balance(account: str) -> int:
    return int(LedgerEntry.objects.filter(account=account).aggregate(total=Sum("amount"))["total"] or 0)


def order_balance(order: PaymentOrder, account: str) -> int:
    return int(
        LedgerEntry.objects.filter(order=order, account=account).aggregate(total=Sum("amount"))["total"] or 0
    )
