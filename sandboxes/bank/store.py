"""What sandbox-bank keeps, in a SQLite file so that a restart loses nothing: the payments (both protocols), the
refunds, the request ids already seen, the IPN queue with every attempt and its answer, and the test controls.

A payment's result and the IPNs that report it are written in one SQLite transaction (the sandbox's outbox).
The server answers each request in its own thread, so every access goes through one lock."""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sandboxes.sqlite_store import SqliteStore

from .records import Delivery, Ipn, Payment, Refund, as_text, as_time, ipn_from_row, now

SCHEMA = """
CREATE TABLE IF NOT EXISTS payments (
    id INTEGER PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,          -- names the payment page (not guessable)
    protocol TEXT NOT NULL,              -- vnpay | momo
    merchant TEXT NOT NULL,              -- vnp_TmnCode | partnerCode
    order_ref TEXT NOT NULL,             -- vnp_TxnRef | orderId
    amount INTEGER NOT NULL,             -- đồng
    order_info TEXT NOT NULL,
    return_url TEXT NOT NULL,
    ipn_url TEXT NOT NULL,
    request_id TEXT NOT NULL DEFAULT '', -- MoMo's create requestId
    create_date TEXT NOT NULL DEFAULT '',-- VNPAY's vnp_CreateDate, as sent
    locale TEXT NOT NULL DEFAULT 'vn',
    created_at TEXT NOT NULL,
    expires_at TEXT,
    status TEXT NOT NULL DEFAULT 'pending',  -- pending | success | failed
    result_code TEXT NOT NULL DEFAULT '',
    transaction_no TEXT NOT NULL DEFAULT '',
    bank_code TEXT NOT NULL DEFAULT '',
    payer TEXT NOT NULL DEFAULT '',          -- the card (masked) or the wallet's phone number
    otp_attempts INTEGER NOT NULL DEFAULT 0,
    finished_at TEXT,
    create_answer TEXT NOT NULL DEFAULT '',  -- MoMo: the answer to create, given again to the same requestId
    UNIQUE (protocol, merchant, order_ref)
);
CREATE TABLE IF NOT EXISTS refunds (
    id INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL REFERENCES payments (id),
    request_id TEXT NOT NULL,
    refund_ref TEXT NOT NULL,                -- MoMo: the refund's orderId; VNPAY: the request id
    amount INTEGER NOT NULL,
    transaction_no TEXT NOT NULL,
    created_at TEXT NOT NULL,
    answer TEXT NOT NULL                     -- given again to the same requestId
);
CREATE TABLE IF NOT EXISTS request_ids (
    merchant TEXT NOT NULL,
    request_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (merchant, request_id)
);
CREATE TABLE IF NOT EXISTS ipns (
    id INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL REFERENCES payments (id),
    copy INTEGER NOT NULL DEFAULT 1,
    method TEXT NOT NULL,                    -- GET (VNPAY: the signed query) | POST (MoMo: JSON)
    url TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL,                     -- pending | held | sent | failed | dropped
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS ipns_due ON ipns (state, next_attempt_at, id);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    ipn_id INTEGER NOT NULL REFERENCES ipns (id),
    at TEXT NOT NULL,
    status INTEGER,                          -- the HTTP status, NULL when the portal could not be reached
    answer TEXT NOT NULL,
    acknowledged INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS controls (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Transaction numbers look like each provider's: VNPAY's vnp_TransactionNo, MoMo's transId.
FIRST_NUMBER = {"vnpay": 14_000_000, "momo": 4_000_000_000}


class Store(SqliteStore):
    """The sandbox's SQLite file and every read and write of it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, SCHEMA)

    def _next_number(self, db: sqlite3.Connection, protocol: str) -> str:
        db.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + 1",
            (protocol, FIRST_NUMBER[protocol]),
        )
        return str(db.execute("SELECT value FROM counters WHERE name = ?", (protocol,)).fetchone()[0])

    # --- payments -------------------------------------------------------------------------------------------

    def payment(self, protocol: str, merchant: str, order_ref: str) -> Payment | None:
        rows = self._rows(
            "SELECT * FROM payments WHERE protocol = ? AND merchant = ? AND order_ref = ?",
            protocol,
            merchant,
            order_ref,
        )
        return Payment.from_row(rows[0]) if rows else None

    def payment_by_token(self, token: str) -> Payment | None:
        rows = self._rows("SELECT * FROM payments WHERE token = ?", token)
        return Payment.from_row(rows[0]) if rows else None

    def payment_by_number(self, protocol: str, merchant: str, number: str) -> Payment | None:
        rows = self._rows(
            "SELECT * FROM payments WHERE protocol = ? AND merchant = ? AND transaction_no = ?",
            protocol,
            merchant,
            number,
        )
        return Payment.from_row(rows[0]) if rows else None

    def payments(self, limit: int = 200) -> list[Payment]:
        return [
            Payment.from_row(r) for r in self._rows("SELECT * FROM payments ORDER BY id DESC LIMIT ?", limit)
        ]

    def add_payment(self, **values: Any) -> Payment:
        """A new payment waiting for the payer (the caller checked it is not there already)."""
        values = {**values, "token": secrets.token_urlsafe(18), "created_at": now(), "status": "pending"}
        values = {k: as_text(v) if isinstance(v, datetime) else v for k, v in values.items()}
        names = ", ".join(values)
        with self._transaction() as db:
            db.execute(
                f"INSERT INTO payments ({names}) VALUES ({', '.join('?' for _ in values)})",
                tuple(values.values()),
            )
        found = self.payment_by_token(values["token"])
        assert found is not None
        return found

    def set_create_answer(self, payment_id: int, answer: dict[str, Any]) -> None:
        with self._transaction() as db:
            db.execute("UPDATE payments SET create_answer = ? WHERE id = ?", (json.dumps(answer), payment_id))

    def choose(self, payment_id: int, *, payer: str, bank_code: str) -> None:
        """The payer's card or wallet, before the OTP step."""
        with self._transaction() as db:
            db.execute(
                "UPDATE payments SET payer = ?, bank_code = ? WHERE id = ? AND status = 'pending'",
                (payer, bank_code, payment_id),
            )

    def wrong_otp(self, payment_id: int) -> int:
        with self._transaction() as db:
            db.execute("UPDATE payments SET otp_attempts = otp_attempts + 1 WHERE id = ?", (payment_id,))
            return int(
                db.execute("SELECT otp_attempts FROM payments WHERE id = ?", (payment_id,)).fetchone()[0]
            )

    def finish(
        self,
        payment_id: int,
        *,
        success: bool,
        result_code: str,
        make_ipn: Callable[[Payment], tuple[str, str, str]],
        delivery: Delivery,
    ) -> Payment | None:
        """Record the payment's result and queue its IPN(s) (`make_ipn(payment)` → method, url, payload) in one
        transaction. None if the payment was finished already (a form posted twice)."""
        at = now()
        with self._transaction() as db:
            row = db.execute("SELECT protocol, status FROM payments WHERE id = ?", (payment_id,)).fetchone()
            if row is None or row["status"] != "pending":
                return None
            number = self._next_number(db, row["protocol"])
            db.execute(
                "UPDATE payments SET status = ?, result_code = ?, transaction_no = ?, finished_at = ? WHERE id = ?",
                ("success" if success else "failed", result_code, number, as_text(at), payment_id),
            )
            payment = Payment.from_row(
                db.execute("SELECT * FROM payments WHERE id = ?", (payment_id,)).fetchone()
            )
            method, url, payload = make_ipn(payment)
            state = "dropped" if delivery.drop else ("held" if delivery.hold else "pending")
            due = as_text(at + timedelta(seconds=delivery.delay))
            for copy in range(1, max(delivery.copies, 1) + 1):
                db.execute(
                    "INSERT INTO ipns (payment_id, copy, method, url, payload, created_at, state, next_attempt_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (payment_id, copy, method, url, payload, as_text(at), state, due),
                )
        return payment

    # --- refunds and request ids --------------------------------------------------------------------------

    def first_use(self, merchant: str, request_id: str) -> bool:
        """True the first time a merchant sends this request id (VNPAY refuses a repeat: 94)."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO request_ids (merchant, request_id, at) VALUES (?, ?, ?)",
                (merchant, request_id, as_text(now())),
            )
            return cursor.rowcount == 1

    def refunds(self, payment_id: int | None = None) -> list[Refund]:
        rows = (
            self._rows("SELECT * FROM refunds WHERE payment_id = ? ORDER BY id", payment_id)
            if payment_id is not None
            else self._rows("SELECT * FROM refunds ORDER BY id")
        )
        return [Refund(**{**dict(r), "created_at": datetime.fromisoformat(r["created_at"])}) for r in rows]

    def refund_by_request(self, payment_protocol: str, merchant: str, request_id: str) -> Refund | None:
        rows = self._rows(
            "SELECT r.* FROM refunds r JOIN payments p ON p.id = r.payment_id"
            " WHERE p.protocol = ? AND p.merchant = ? AND r.request_id = ?",
            payment_protocol,
            merchant,
            request_id,
        )
        return (
            Refund(**{**dict(rows[0]), "created_at": datetime.fromisoformat(rows[0]["created_at"])})
            if rows
            else None
        )

    def add_refund(
        self,
        payment: Payment,
        *,
        request_id: str,
        refund_ref: str,
        amount: int,
        answer: Callable[[str], dict[str, Any]],
    ) -> tuple[Refund, dict[str, Any]] | None:
        """A refund of `payment` (`answer(number)` is what the merchant is told, kept for a repeat); None if
        more than what is left of the payment."""
        with self._transaction() as db:
            refunded = db.execute(
                "SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE payment_id = ?", (payment.id,)
            ).fetchone()[0]
            if amount > payment.amount - refunded:
                return None
            number = self._next_number(db, payment.protocol)
            body = answer(number)
            cursor = db.execute(
                "INSERT INTO refunds (payment_id, request_id, refund_ref, amount, transaction_no, created_at, answer)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (payment.id, request_id, refund_ref, amount, number, as_text(now()), json.dumps(body)),
            )
            row = db.execute("SELECT * FROM refunds WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return Refund(**{**dict(row), "created_at": datetime.fromisoformat(row["created_at"])}), body

    # --- the IPN queue ------------------------------------------------------------------------------------

    def due_ipns(self, at: datetime) -> list[Ipn]:
        rows = self._rows(
            "SELECT * FROM ipns WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id",
            as_text(at),
        )
        return [ipn_from_row(r) for r in rows]

    def next_due(self) -> datetime | None:
        rows = self._rows("SELECT MIN(next_attempt_at) AS t FROM ipns WHERE state = 'pending'")
        return as_time(rows[0]["t"]) if rows else None

    def attempted(
        self, ipn_id: int, *, status: int | None, answer: str, acknowledged: bool, retry_at: datetime | None
    ) -> None:
        """One attempt's outcome: sent (acknowledged), to try again at `retry_at`, or given up (None)."""
        at = now()
        with self._transaction() as db:
            db.execute(
                "INSERT INTO attempts (ipn_id, at, status, answer, acknowledged) VALUES (?, ?, ?, ?, ?)",
                (ipn_id, as_text(at), status, answer[:2000], int(acknowledged)),
            )
            if acknowledged:
                db.execute(
                    "UPDATE ipns SET state = 'sent', attempts = attempts + 1, sent_at = ? WHERE id = ?",
                    (as_text(at), ipn_id),
                )
            elif retry_at is None:
                db.execute(
                    "UPDATE ipns SET state = 'failed', attempts = attempts + 1 WHERE id = ?", (ipn_id,)
                )
            else:
                db.execute(
                    "UPDATE ipns SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
                    (as_text(retry_at), ipn_id),
                )

    def release_held(self) -> int:
        """Let the held IPNs go, the last one first: each is due a millisecond after the one held after it."""
        at = now()
        with self._transaction() as db:
            held = [r["id"] for r in db.execute("SELECT id FROM ipns WHERE state = 'held' ORDER BY id DESC")]
            for position, ipn_id in enumerate(held):
                due = as_text(at + timedelta(milliseconds=position))
                db.execute(
                    "UPDATE ipns SET state = 'pending', next_attempt_at = ? WHERE id = ?", (due, ipn_id)
                )
        return len(held)

    def ipn_log(self) -> list[tuple[Ipn, Payment, list[sqlite3.Row]]]:
        """Every IPN with its payment and its attempts, oldest first."""
        ipns = [ipn_from_row(r) for r in self._rows("SELECT * FROM ipns ORDER BY id")]
        payments = {p.id: p for p in (Payment.from_row(r) for r in self._rows("SELECT * FROM payments"))}
        attempts: dict[int, list[sqlite3.Row]] = {}
        for row in self._rows("SELECT * FROM attempts ORDER BY id"):
            attempts.setdefault(row["ipn_id"], []).append(row)
        return [(ipn, payments[ipn.payment_id], attempts.get(ipn.id, [])) for ipn in ipns]

    # --- controls, statement, reset ----------------------------------------------------------------------

    def controls(self) -> dict[str, Any]:
        return {r["name"]: json.loads(r["value"]) for r in self._rows("SELECT name, value FROM controls")}

    def set_controls(self, values: dict[str, Any]) -> None:
        with self._transaction() as db:
            for name, value in values.items():
                db.execute(
                    "INSERT INTO controls (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    (name, json.dumps(value)),
                )

    def take_failure(self) -> bool:
        """Consume one of the "make the next payments fail" control; True if this payment must fail."""
        with self._transaction() as db:
            row = db.execute("SELECT value FROM controls WHERE name = 'fail_next'").fetchone()
            left = json.loads(row["value"]) if row else 0
            if not left:
                return False
            db.execute("UPDATE controls SET value = ? WHERE name = 'fail_next'", (json.dumps(left - 1),))
            return True

    def finished_between(self, merchant: str, start: datetime, end: datetime) -> list[Payment]:
        rows = self._rows(
            "SELECT * FROM payments WHERE merchant = ? AND status != 'pending' AND finished_at >= ? AND finished_at < ?"
            " ORDER BY finished_at, id",
            merchant,
            as_text(start),
            as_text(end),
        )
        return [Payment.from_row(r) for r in rows]

    def refunds_between(self, merchant: str, start: datetime, end: datetime) -> list[tuple[Refund, Payment]]:
        rows = self._rows(
            "SELECT r.id FROM refunds r JOIN payments p ON p.id = r.payment_id"
            " WHERE p.merchant = ? AND r.created_at >= ? AND r.created_at < ? ORDER BY r.created_at, r.id",
            merchant,
            as_text(start),
            as_text(end),
        )
        wanted = {r["id"] for r in rows}
        payments = {p.id: p for p in (Payment.from_row(r) for r in self._rows("SELECT * FROM payments"))}
        return [(r, payments[r.payment_id]) for r in self.refunds() if r.id in wanted]

    def reset(self, *, data: bool) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM controls")
            db.execute("UPDATE ipns SET state = 'pending' WHERE state = 'held'")
            if data:
                for table in ("attempts", "ipns", "refunds", "request_ids", "payments", "counters"):
                    db.execute(f"DELETE FROM {table}")

    def close(self) -> None:
        with self._lock:
            self._db.close()
