"""Adapters to the agencies' bill systems, as plugins behind one interface (the Saleor pattern, like
`dossiers.connectors`): the bill look-up (`payments.bills`) knows `BillAdapter.lookup` and nothing of the wire
format. Which adapter a biller uses is `Biller.adapter`, a name looked up in `settings.PAYMENT_BILL_ADAPTERS`.

`SignedJsonAdapter` is the portal's own protocol: ``GET {endpoint_url}/bills/{code}`` (the code URL-quoted, so a
fine decision number such as ``123/QĐ-XPHC`` travels as one path segment), signed in the Standard Webhooks scheme
over an empty body with a fresh message id per request, plus ``x-dvc-key-id``. The biller answers 200 with the
bill as JSON (below), 404 when it has no bill for the code. Every answer is checked before the portal trusts it:
a biller that sends a bill whose lines do not add up is treated as out of order, not believed.

    {"reference": "123/QĐ-XPHC", "title": "…", "payer_name": "…", "amount": 2000000, "currency": "VND",
     "due_date": "2026-11-12", "status": "open",
     "lines": [{"code": "", "name": "Tiền phạt", "amount": 2000000}], "details": {…}}
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from dichvucong.core import signing

if TYPE_CHECKING:
    from dichvucong.payments.models import Biller

BILL_STATUSES = frozenset({"open", "paid", "cancelled"})
MAX_ANSWER_BYTES = 256 * 1024
ERROR_TEXT_CHARS = 300


class BillNotFoundAtBiller(Exception):
    """The biller answered that it has no bill for this code."""


class BillerUnreachable(Exception):
    """The biller could not be asked (down, slow, refused our signature) or answered something unusable."""


class UnknownAdapter(ImproperlyConfigured):
    """A biller names an adapter that `PAYMENT_BILL_ADAPTERS` does not list."""


@dataclass(frozen=True)
class BillRecord:
    """A bill as the biller describes it, checked: `amount` is a positive number of đồng and the sum of
    `lines`; `status` is open, paid or cancelled."""

    reference: str
    title: str
    payer_name: str
    amount: int
    due_date: dt.date | None = None
    lines: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    status: str = "open"


class BillAdapter(Protocol):
    """Looks one bill up at a biller. Raises `BillNotFoundAtBiller` when the biller has none for `code`, and
    `BillerUnreachable` when it cannot say (the caller tells the payer to try again later)."""

    def lookup(self, biller: Biller, code: str) -> BillRecord: ...


class InvalidBill(ValueError):
    """A bill record that breaks the protocol's rules."""


def _positive_int(value: Any, what: str) -> int:
    # JSON true is an int to Python; 2000000.0 is not a number of đồng.
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidBill(f"{what} must be a positive integer number of đồng, not {value!r}")
    return value


def _text(data: dict[str, Any], name: str, *, required: bool = False, limit: int = 500) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidBill(f"{name} must be a string")
    value = value.strip()
    if required and not value:
        raise InvalidBill(f"{name} is missing")
    if len(value) > limit:
        raise InvalidBill(f"{name} is longer than {limit} characters")
    return value


def parse_bill(data: Any) -> BillRecord:
    """Check a biller's JSON answer and turn it into a BillRecord; raises InvalidBill."""
    if not isinstance(data, dict):
        raise InvalidBill("the answer is not a JSON object")
    reference = _text(data, "reference", required=True, limit=100)
    title = _text(data, "title", required=True)
    payer_name = _text(data, "payer_name", limit=300)
    amount = _positive_int(data.get("amount"), "amount")
    currency = data.get("currency", "VND")
    if currency != "VND":
        raise InvalidBill(f"currency must be VND, not {currency!r}")
    status = data.get("status", "open")
    if status not in BILL_STATUSES:
        raise InvalidBill(f"status must be one of {sorted(BILL_STATUSES)}, not {status!r}")
    raw_due = data.get("due_date")
    due_date = None
    if raw_due not in (None, ""):
        if not isinstance(raw_due, str):
            raise InvalidBill("due_date must be a date YYYY-MM-DD")
        try:
            due_date = dt.date.fromisoformat(raw_due)
        except ValueError as exc:
            raise InvalidBill(f"due_date must be a date YYYY-MM-DD, not {raw_due!r}") from exc
    raw_lines = data.get("lines")
    if raw_lines is None:
        raw_lines = []
    if not isinstance(raw_lines, list):
        raise InvalidBill("lines must be a list")
    lines: list[dict[str, Any]] = []
    for index, line in enumerate(raw_lines, start=1):
        if not isinstance(line, dict):
            raise InvalidBill(f"line {index} is not an object")
        lines.append(
            {
                "code": _text(line, "code", limit=40),
                "name": _text(line, "name", required=True),
                "amount": _positive_int(line.get("amount"), f"the amount of line {index}"),
            }
        )
    if not lines:
        # A bill of one item may come without lines: the receipt prints its title as the only line.
        lines = [{"code": "", "name": title, "amount": amount}]
    total = sum(line["amount"] for line in lines)
    if total != amount:
        raise InvalidBill(f"the lines add up to {total}, not to the amount {amount}")
    details = data.get("details")
    if details is None:
        details = {}
    if not isinstance(details, dict):
        raise InvalidBill("details must be an object")
    return BillRecord(
        reference=reference,
        title=title,
        payer_name=payer_name,
        amount=amount,
        due_date=due_date,
        lines=lines,
        details=details,
        status=status,
    )


class SignedJsonAdapter:
    """JSON over HTTP(S), each request signed in the Standard Webhooks scheme (see the module's docstring).

    200: the bill (checked); 404: no such bill. Anything else, a connection error, a timeout or an answer that
    breaks the rules: `BillerUnreachable`, with the reason for the logs."""

    def __init__(self, session: requests.Session | None = None) -> None:
        self.session = session or requests.Session()

    def lookup(self, biller: Biller, code: str) -> BillRecord:
        if not biller.endpoint_url:
            raise BillerUnreachable(f"the biller {biller.code!r} has no look-up address")
        url = f"{biller.endpoint_url.rstrip('/')}/bills/{quote(code, safe='')}"
        # A fresh id per request: the biller may refuse an id it has seen (a replayed request).
        headers = {
            **signing.sign(biller.secret, f"lookup-{uuid.uuid4()}", b""),
            "x-dvc-key-id": biller.key_id,
            "accept": "application/json",
        }
        try:
            response = self.session.get(
                url,
                headers=headers,
                timeout=(settings.PAYMENT_CONNECT_TIMEOUT_SECONDS, settings.PAYMENT_READ_TIMEOUT_SECONDS),
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise BillerUnreachable(f"{biller.code}: no answer in time ({type(exc).__name__})") from exc
        except requests.RequestException as exc:
            raise BillerUnreachable(f"{biller.code}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 404:
            raise BillNotFoundAtBiller(code)
        if response.status_code != 200:
            text = " ".join(response.text.split())[:ERROR_TEXT_CHARS]
            raise BillerUnreachable(f"{biller.code} answered {response.status_code}: {text}")
        if len(response.content) > MAX_ANSWER_BYTES:
            raise BillerUnreachable(f"{biller.code}: the answer is larger than {MAX_ANSWER_BYTES} bytes")
        try:
            return parse_bill(json.loads(response.content.decode("utf-8")))
        except (UnicodeDecodeError, ValueError) as exc:
            # InvalidBill is a ValueError too: a biller sending a wrong bill is out of order for us.
            raise BillerUnreachable(f"{biller.code} sent an unusable bill: {exc}") from exc


@cache
def _adapter_class(path: str) -> type[BillAdapter]:
    cls: type[BillAdapter] = import_string(path)
    return cls


def get_adapter(name: str) -> BillAdapter:
    """An adapter instance for the name a biller gives (`Biller.adapter`)."""
    path = settings.PAYMENT_BILL_ADAPTERS.get(name)
    if path is None:
        known = ", ".join(sorted(settings.PAYMENT_BILL_ADAPTERS))
        raise UnknownAdapter(f"unknown bill adapter {name!r} (PAYMENT_BILL_ADAPTERS has: {known})")
    return _adapter_class(path)()
