"""Addresses of bills that can be given out (to a payer, in an agency's INIT answer) without letting anyone walk
through other people's bills: the bill's id, signed."""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

from dichvucong.payments.models import Bill

_SALT = "dichvucong.payments.bill"


def bill_token(bill: Bill) -> str:
    return signing.dumps(bill.pk, salt=_SALT, compress=True)


def bill_from_token(token: str) -> Bill | None:
    """The bill a token names, or None for a token that is not ours."""
    try:
        pk = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    return Bill.objects.select_related("biller", "agency").filter(pk=pk).first()


def bill_path(bill: Bill) -> str:
    """The bill's payment page on the portal (web:payment_bill)."""
    return reverse("web:payment_bill", kwargs={"token": bill_token(bill)})
