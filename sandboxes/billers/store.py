"""What sandbox-billers keeps, in a SQLite file so that a restart loses nothing: the test bills of each system
(loaded from ``bills.json`` the first time, their status changed by the portal's webhooks), every webhook
received (signature verified or not; a verified one once per webhook-id, its repeats counted), and the
look-ups the portal made.

The server answers each request in its own thread, so every access goes through one lock."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dichvucong.core.text import fold
from sandboxes.sqlite_store import SqliteStore

BILLS_FILE = Path(__file__).with_name("bills.json")
SCHEMA = """
CREATE TABLE IF NOT EXISTS bills (
    system TEXT NOT NULL,
    reference TEXT NOT NULL,
    lookup_key TEXT NOT NULL,           -- the code people type, folded (no spaces, diacritics or case)
    reference_key TEXT NOT NULL,        -- the reference, folded the same way
    position INTEGER NOT NULL,
    data TEXT NOT NULL,                 -- the bill as bills.json has it
    status TEXT NOT NULL,               -- open | paid | cancelled
    paid_at TEXT,
    paid_by TEXT,                       -- the webhook-id that paid it
    PRIMARY KEY (system, reference)
);
CREATE INDEX IF NOT EXISTS bills_lookup ON bills (system, lookup_key);
CREATE INDEX IF NOT EXISTS bills_reference ON bills (system, reference_key);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY,
    system TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    verified INTEGER NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    received_at TEXT NOT NULL,
    last_received_at TEXT NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 1,
    kind TEXT NOT NULL DEFAULT '',      -- bill.paid | paygov | unknown
    bill_reference TEXT NOT NULL DEFAULT '',
    amount INTEGER,
    outcome TEXT NOT NULL DEFAULT '',   -- what the system did with it
    body TEXT NOT NULL
);
-- A verified webhook is recorded once per id: its repeats only count.
CREATE UNIQUE INDEX IF NOT EXISTS webhooks_once ON webhooks (system, webhook_id) WHERE verified = 1;
CREATE TABLE IF NOT EXISTS lookups (
    id INTEGER PRIMARY KEY,
    system TEXT NOT NULL,
    code TEXT NOT NULL,
    at TEXT NOT NULL,
    verified INTEGER NOT NULL,
    found TEXT NOT NULL DEFAULT ''      -- the reference answered, '' when none
);
"""
LOOKUPS_KEPT = 200


class BillsFileError(ValueError):
    """``bills.json`` holds a bill that breaks the protocol's rules."""


def code_key(code: str) -> str:
    """How the systems match codes: spaces, diacritics and case do not count (``123/qd-xphc`` finds
    ``123/QĐ-XPHC``), the way people type codes from paper."""
    return fold("".join(code.split()))


@dataclass(frozen=True)
class Bill:
    system: str
    reference: str
    data: dict[str, Any]
    status: str
    paid_at: datetime | None
    paid_by: str

    @property
    def amount(self) -> int:
        return int(self.data["amount"])

    def answer(self) -> dict[str, Any]:
        """The bill as the look-up answers it (the protocol of `dichvucong.payments.billers`)."""
        return {
            "reference": self.reference,
            "title": self.data["title"],
            "payer_name": self.data.get("payer_name", ""),
            "amount": self.amount,
            "currency": "VND",
            "due_date": self.data.get("due_date"),
            "status": self.status,
            "lines": self.data.get("lines", []),
            "details": self.data.get("details", {}),
            "paid_at": self.paid_at.isoformat() if self.paid_at else None,
        }


@dataclass(frozen=True)
class Webhook:
    id: int
    system: str
    webhook_id: str
    key_id: str
    verified: bool
    error: str
    received_at: datetime
    last_received_at: datetime
    deliveries: int
    kind: str
    bill_reference: str
    amount: int | None
    outcome: str
    body: str

    def as_json(self) -> dict[str, Any]:
        try:
            body: Any = json.loads(self.body)
        except ValueError:
            body = self.body
        return {
            "id": self.id,
            "system": self.system,
            "webhook_id": self.webhook_id,
            "key_id": self.key_id,
            "verified": self.verified,
            "error": self.error,
            "received_at": self.received_at.isoformat(),
            "last_received_at": self.last_received_at.isoformat(),
            "deliveries": self.deliveries,
            "kind": self.kind,
            "bill_reference": self.bill_reference,
            "amount": self.amount,
            "outcome": self.outcome,
            "body": body,
        }


@dataclass(frozen=True)
class Lookup:
    system: str
    code: str
    at: datetime
    verified: bool
    found: str


def load_test_bills(path: Path = BILLS_FILE) -> dict[str, list[dict[str, Any]]]:
    """Read and check the test bills: each has a reference and a title, a positive amount in đồng equal to the
    sum of its lines, and a known status."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    bills: dict[str, list[dict[str, Any]]] = {}
    for system, items in raw.items():
        if system.startswith("_"):
            continue
        for item in items:
            where = f"{system}/{item.get('reference')}"
            amount = item.get("amount")
            if not item.get("reference") or not item.get("title"):
                raise BillsFileError(f"{where}: reference and title are required")
            if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
                raise BillsFileError(f"{where}: amount must be a positive integer")
            if sum(int(line["amount"]) for line in item.get("lines", [])) != amount:
                raise BillsFileError(f"{where}: the lines do not add up to the amount")
            if item.get("status", "open") not in {"open", "paid", "cancelled"}:
                raise BillsFileError(f"{where}: unknown status")
        bills[system] = list(items)
    return bills


def _text(moment: datetime | None) -> str | None:
    # UTC with microseconds: text order is time order in SQL comparisons.
    return moment.astimezone(UTC).isoformat(timespec="microseconds") if moment else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class Store(SqliteStore):
    """The sandbox's SQLite file and every read and write of it."""

    def __init__(self, path: Path, test_bills: dict[str, list[dict[str, Any]]] | None = None) -> None:
        super().__init__(path, SCHEMA)
        self.test_bills = test_bills if test_bills is not None else load_test_bills()
        with self._transaction() as db:
            self._seed(db)

    def _seed(self, db: sqlite3.Connection) -> None:
        """Add the test bills not there yet (a bill already stored keeps its status)."""
        for system, items in self.test_bills.items():
            for position, item in enumerate(items):
                reference = str(item["reference"])
                db.execute(
                    "INSERT OR IGNORE INTO bills (system, reference, lookup_key, reference_key, position, data,"
                    " status) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        system,
                        reference,
                        code_key(str(item.get("code") or reference)),
                        code_key(reference),
                        position,
                        json.dumps(item, ensure_ascii=False),
                        item.get("status", "open"),
                    ),
                )

    def reset(self) -> None:
        """Back to the test bills as shipped, with no webhook or look-up recorded."""
        with self._transaction() as db:
            db.execute("DELETE FROM bills")
            db.execute("DELETE FROM webhooks")
            db.execute("DELETE FROM lookups")
            self._seed(db)

    # --- bills ------------------------------------------------------------------------------------------------

    @staticmethod
    def _bill(row: sqlite3.Row) -> Bill:
        return Bill(
            system=row["system"],
            reference=row["reference"],
            data=json.loads(row["data"]),
            status=row["status"],
            paid_at=_time(row["paid_at"]),
            paid_by=row["paid_by"] or "",
        )

    def bills(self, system: str | None = None) -> list[Bill]:
        if system is None:
            rows = self._rows("SELECT * FROM bills ORDER BY system, position")
        else:
            rows = self._rows("SELECT * FROM bills WHERE system = ? ORDER BY position", system)
        return [self._bill(row) for row in rows]

    def find(self, system: str, code: str) -> Bill | None:
        """The bill a code names: by its reference, else by the code people type (a customer or insurance
        code names several bills: the oldest one still open, else the latest)."""
        key = code_key(code)
        rows = self._rows(
            "SELECT * FROM bills WHERE system = ? AND (reference_key = ? OR lookup_key = ?) ORDER BY position",
            system,
            key,
            key,
        )
        if not rows:
            return None
        exact = [row for row in rows if row["reference_key"] == key]
        if exact:
            return self._bill(exact[0])
        still_open = [row for row in rows if row["status"] == "open"]
        if still_open:
            return self._bill(min(still_open, key=lambda row: json.loads(row["data"]).get("due_date") or ""))
        return self._bill(rows[0])

    def record_lookup(self, *, system: str, code: str, at: datetime, verified: bool, found: str) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO lookups (system, code, at, verified, found) VALUES (?, ?, ?, ?, ?)",
                (system, code[:200], _text(at), int(verified), found),
            )
            db.execute(
                "DELETE FROM lookups WHERE id NOT IN (SELECT id FROM lookups ORDER BY id DESC LIMIT ?)",
                (LOOKUPS_KEPT,),
            )

    def lookups(self, system: str, limit: int = 20) -> list[Lookup]:
        rows = self._rows("SELECT * FROM lookups WHERE system = ? ORDER BY id DESC LIMIT ?", system, limit)
        return [
            Lookup(
                row["system"],
                row["code"],
                _time(row["at"]) or datetime.min,
                bool(row["verified"]),
                row["found"],
            )
            for row in rows
        ]

    # --- webhooks ---------------------------------------------------------------------------------------------

    def record_refused(
        self, *, system: str, webhook_id: str, key_id: str, error: str, body: bytes, at: datetime
    ) -> None:
        """A webhook whose signature did not verify: kept (every attempt) for the page, changes nothing."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO webhooks (system, webhook_id, key_id, verified, error, received_at, last_received_at,"
                " body) VALUES (?, ?, ?, 0, ?, ?, ?, ?)",
                (system, webhook_id[:200], key_id[:200], error[:500], _text(at), _text(at), _body_text(body)),
            )

    def record_paid(
        self,
        *,
        system: str,
        webhook_id: str,
        key_id: str,
        kind: str,
        bill_reference: str,
        amount: int | None,
        body: bytes,
        at: datetime,
    ) -> tuple[bool, str]:
        """A verified webhook: recorded once per webhook-id; the bill it names is marked paid if the amount is
        the bill's. Returns (first time, outcome); a repeat changes nothing but its count."""
        with self._transaction() as db:
            seen = db.execute(
                "SELECT id, outcome FROM webhooks WHERE system = ? AND webhook_id = ? AND verified = 1",
                (system, webhook_id),
            ).fetchone()
            if seen is not None:
                db.execute(
                    "UPDATE webhooks SET deliveries = deliveries + 1, last_received_at = ? WHERE id = ?",
                    (_text(at), seen["id"]),
                )
                return False, str(seen["outcome"])
            outcome = self._mark_paid(db, system, bill_reference, amount, webhook_id, at)
            db.execute(
                "INSERT INTO webhooks (system, webhook_id, key_id, verified, received_at, last_received_at, kind,"
                " bill_reference, amount, outcome, body) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
                (
                    system,
                    webhook_id[:200],
                    key_id[:200],
                    _text(at),
                    _text(at),
                    kind,
                    bill_reference[:200],
                    amount,
                    outcome,
                    _body_text(body),
                ),
            )
            return True, outcome

    @staticmethod
    def _mark_paid(
        db: sqlite3.Connection, system: str, reference: str, amount: int | None, webhook_id: str, at: datetime
    ) -> str:
        if not reference:
            return "no bill reference"
        row = db.execute(
            "SELECT * FROM bills WHERE system = ? AND reference_key = ?", (system, code_key(reference))
        ).fetchone()
        if row is None:
            # A bill the portal made (the fees of a dossier submitted there): the payment is noted all the same.
            return "recorded (bill made on the portal)"
        if amount != json.loads(row["data"])["amount"]:
            return f"amount {amount} differs from the bill's: not marked paid"
        if row["status"] == "paid":
            return "bill already paid"
        db.execute(
            "UPDATE bills SET status = 'paid', paid_at = ?, paid_by = ? WHERE system = ? AND reference = ?",
            (_text(at), webhook_id, system, row["reference"]),
        )
        return "bill marked paid"

    def webhooks(self, system: str | None = None) -> list[Webhook]:
        if system is None:
            rows = self._rows("SELECT * FROM webhooks ORDER BY id")
        else:
            rows = self._rows("SELECT * FROM webhooks WHERE system = ? ORDER BY id", system)
        return [
            Webhook(
                id=row["id"],
                system=row["system"],
                webhook_id=row["webhook_id"],
                key_id=row["key_id"],
                verified=bool(row["verified"]),
                error=row["error"],
                received_at=_time(row["received_at"]) or datetime.min,
                last_received_at=_time(row["last_received_at"]) or datetime.min,
                deliveries=row["deliveries"],
                kind=row["kind"],
                bill_reference=row["bill_reference"],
                amount=row["amount"],
                outcome=row["outcome"],
                body=row["body"],
            )
            for row in rows
        ]


def _body_text(body: bytes) -> str:
    return body[: 64 * 1024].decode("utf-8", "replace")
