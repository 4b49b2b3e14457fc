"""The records sandbox-bank keeps (payments, refunds, IPNs), how the IPNs of a payment go out, and the clock."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, fields
from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def as_text(moment: datetime | None) -> str | None:
    """Moments are kept as text in UTC with microseconds, so that text order is time order (a local-day bound
    in +07:00 compared as text with a time in +00:00 fell on the wrong side between 17:00 and 24:00 UTC)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds") if moment else None


def as_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Payment:
    id: int
    token: str
    protocol: str
    merchant: str
    order_ref: str
    amount: int
    order_info: str
    return_url: str
    ipn_url: str
    request_id: str
    create_date: str
    locale: str
    created_at: datetime
    expires_at: datetime | None
    status: str
    result_code: str
    transaction_no: str
    bank_code: str
    payer: str
    otp_attempts: int
    finished_at: datetime | None
    create_answer: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Payment:
        values = {f.name: row[f.name] for f in fields(cls)}
        for name in ("created_at", "expires_at", "finished_at"):
            values[name] = as_time(values[name])
        return cls(**values)


@dataclass(frozen=True)
class Refund:
    id: int
    payment_id: int
    request_id: str
    refund_ref: str
    amount: int
    transaction_no: str
    created_at: datetime
    answer: str


@dataclass(frozen=True)
class Ipn:
    id: int
    payment_id: int
    copy: int
    method: str
    url: str
    payload: str
    created_at: datetime
    state: str
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None


def ipn_from_row(row: sqlite3.Row) -> Ipn:
    values = {f.name: row[f.name] for f in fields(Ipn)}
    for name in ("created_at", "next_attempt_at", "sent_at"):
        values[name] = as_time(values[name])
    return Ipn(**values)


@dataclass(frozen=True)
class Delivery:
    """How the IPNs of one payment go out, from the test controls at the moment it is paid."""

    copies: int = 1
    delay: float = 0.0
    hold: bool = False
    drop: bool = False
