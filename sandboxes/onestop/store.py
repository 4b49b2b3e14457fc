"""What the one-stop sandbox keeps, in a SQLite file so that a restart loses nothing: the dossiers (received from
the portal or at the counter), every delivery seen, the attachments downloaded, each dossier's history, and the
queue of pushes to the portal (status events and result files), sent in order and retried until the portal
takes them.

A status change and the push that reports it are written in one SQLite transaction (the sandbox's own outbox).
The server answers each request in its own thread, so every access goes through one lock."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sandboxes.sqlite_store import SqliteStore

from . import workflow

SCHEMA = """
CREATE TABLE IF NOT EXISTS dossiers (
    code TEXT PRIMARY KEY,
    origin TEXT NOT NULL,               -- portal | counter
    status INTEGER NOT NULL,
    status_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    due_at TEXT,
    national TEXT NOT NULL,             -- the dossier in the national field names, as received or made here
    auto_next_at TEXT,                  -- when the automatic path takes its next step
    result_name TEXT,
    result_code TEXT,
    result_pdf BLOB
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    at TEXT NOT NULL,
    outcome TEXT NOT NULL               -- stored | duplicate
);
CREATE INDEX IF NOT EXISTS deliveries_code ON deliveries (code);
CREATE INDEX IF NOT EXISTS deliveries_webhook_id ON deliveries (webhook_id);
CREATE TABLE IF NOT EXISTS attachments (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    slot TEXT NOT NULL,
    url TEXT NOT NULL,
    size INTEGER,
    sha256 TEXT,
    content BLOB,
    error TEXT,
    fetched_at TEXT
);
CREATE INDEX IF NOT EXISTS attachments_code ON attachments (code);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL,
    status INTEGER NOT NULL,
    at TEXT NOT NULL,
    content TEXT NOT NULL,
    actor TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_code ON history (code);
CREATE TABLE IF NOT EXISTS pushes (
    id INTEGER PRIMARY KEY,
    request_id TEXT NOT NULL UNIQUE,    -- webhook-id: the same on every retry
    kind TEXT NOT NULL,                 -- event | result
    code TEXT NOT NULL,
    body TEXT NOT NULL,                 -- JSON: the event, or the result's name and code
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',  -- pending | sent | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS pushes_pending ON pushes (state, id);
CREATE TABLE IF NOT EXISTS counters (
    day TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""
# Counter dossiers are numbered from here each day: the portal numbers its own dossiers for the same agency and
# day from 0001, and both codes share the agency's prefix.
COUNTER_START = 5000


def _text(moment: datetime | None) -> str | None:
    # UTC with microseconds: text order is time order in SQL comparisons.
    return moment.astimezone(UTC).isoformat(timespec="microseconds") if moment else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Dossier:
    code: str
    origin: str
    status: int
    status_at: datetime
    received_at: datetime
    due_at: datetime | None
    national: dict[str, Any]
    auto_next_at: datetime | None
    result_name: str | None
    result_code: str | None
    has_result: bool

    @property
    def label(self) -> str:
        return workflow.STATUS_LABELS.get(self.status, str(self.status))


@dataclass(frozen=True)
class Attachment:
    id: int
    code: str
    name: str
    slot: str
    url: str
    size: int | None
    sha256: str | None
    error: str | None
    fetched_at: datetime | None

    @property
    def pending(self) -> bool:
        return bool(self.url) and self.sha256 is None and self.error is None


@dataclass(frozen=True)
class Push:
    id: int
    request_id: str
    kind: str
    code: str
    body: dict[str, Any]
    created_at: datetime
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str


@dataclass(frozen=True)
class HistoryEntry:
    status: int
    at: datetime
    content: str
    actor: str


class Store(SqliteStore):
    """The sandbox's SQLite file and every read and write of it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, SCHEMA)

    # --- dossiers -------------------------------------------------------------------------------------------

    def receive(
        self, *, national: dict[str, Any], webhook_id: str, at: datetime, auto_at: datetime | None
    ) -> bool:
        """A dossier delivered by the portal. True if stored now; False if this delivery (same webhook-id) or
        this dossier (same MaHoSo) was here already, which changes nothing but the count of deliveries."""
        code = str(national["MaHoSo"])
        with self._transaction() as db:
            seen = db.execute(
                "SELECT 1 FROM deliveries WHERE webhook_id = ? UNION SELECT 1 FROM dossiers WHERE code = ?",
                (webhook_id, code),
            ).fetchone()
            outcome = "duplicate" if seen else "stored"
            db.execute(
                "INSERT INTO deliveries (code, webhook_id, at, outcome) VALUES (?, ?, ?, ?)",
                (code, webhook_id, _text(at), outcome),
            )
            if seen:
                return False
            status = national.get("TrangThaiHoSo") if national.get("TrangThaiHoSo") in range(1, 11) else 1
            due = workflow.parse_national_date(national.get("NgayHenTra"))
            db.execute(
                "INSERT INTO dossiers (code, origin, status, status_at, received_at, due_at, national, auto_next_at)"
                " VALUES (?, 'portal', ?, ?, ?, ?, ?, ?)",
                (code, status, _text(at), _text(at), _text(due), json.dumps(national), _text(auto_at)),
            )
            for position, document in enumerate(national.get("TaiLieuNop") or []):
                if not isinstance(document, dict):
                    continue
                db.execute(
                    "INSERT INTO attachments (code, position, name, slot, url) VALUES (?, ?, ?, ?, ?)",
                    (
                        code,
                        position,
                        str(document.get("TenTepDinhKem") or f"Tệp {position + 1}"),
                        str(document.get("MaThanhPhanHoSo") or ""),
                        str(document.get("DuongDanTaiTep") or ""),
                    ),
                )
            db.execute(
                "INSERT INTO history (code, status, at, content, actor) VALUES (?, ?, ?, ?, ?)",
                (code, status, _text(at), "Nhận hồ sơ từ Cổng Dịch vụ công quốc gia", "Cổng DVC"),
            )
        return True

    def create_counter_dossier(
        self,
        *,
        national: dict[str, Any],
        prefix: str,
        at: datetime,
        due_at: datetime | None,
        actor: str,
        make_event: Callable[[dict[str, Any]], dict[str, Any]],
        auto_next_at: datetime | None = None,
    ) -> str:
        """A dossier received at the counter, accepted at once (status 2), and the push that reports it with
        its fields (`make_event(national record)`), in one transaction; returns its new code."""
        day = at.astimezone(workflow.VN).date()
        with self._transaction() as db:
            db.execute(
                "INSERT INTO counters (day, value) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET value = value + 1",
                (day.isoformat(), COUNTER_START + 1),
            )
            value = db.execute("SELECT value FROM counters WHERE day = ?", (day.isoformat(),)).fetchone()[0]
            code = f"{prefix}-{day:%y%m%d}-{value:04d}"
            national = {**national, "MaHoSo": code, "TrangThaiHoSo": 2}
            db.execute(
                "INSERT INTO dossiers (code, origin, status, status_at, received_at, due_at, national, auto_next_at)"
                " VALUES (?, 'counter', 2, ?, ?, ?, ?, ?)",
                (code, _text(at), _text(at), _text(due_at), json.dumps(national), _text(auto_next_at)),
            )
            db.execute(
                "INSERT INTO history (code, status, at, content, actor) VALUES (?, 2, ?, ?, ?)",
                (code, _text(at), "Tiếp nhận hồ sơ tại quầy", actor),
            )
            self._add_push(db, kind="event", code=code, body=make_event(national), at=at)
        return code

    def _dossier(self, row: sqlite3.Row) -> Dossier:
        return Dossier(
            code=row["code"],
            origin=row["origin"],
            status=row["status"],
            status_at=datetime.fromisoformat(row["status_at"]),
            received_at=datetime.fromisoformat(row["received_at"]),
            due_at=_time(row["due_at"]),
            national=json.loads(row["national"]),
            auto_next_at=_time(row["auto_next_at"]),
            result_name=row["result_name"],
            result_code=row["result_code"],
            has_result=bool(row["has_result"]),
        )

    _DOSSIER_COLUMNS = (
        "code, origin, status, status_at, received_at, due_at, national, auto_next_at, result_name, "
        "result_code, result_pdf IS NOT NULL AS has_result"
    )

    def dossiers(self) -> list[Dossier]:
        """Every dossier, the latest received first."""
        rows = self._rows(
            f"SELECT {self._DOSSIER_COLUMNS} FROM dossiers ORDER BY received_at DESC, code DESC"
        )
        return [self._dossier(row) for row in rows]

    def dossier(self, code: str) -> Dossier | None:
        rows = self._rows(f"SELECT {self._DOSSIER_COLUMNS} FROM dossiers WHERE code = ?", code)
        return self._dossier(rows[0]) if rows else None

    def change_status(
        self,
        *,
        code: str,
        status: int,
        content: str,
        at: datetime,
        actor: str,
        event: dict[str, Any],
        result: tuple[str, str, bytes] | None = None,
        auto_next_at: datetime | None = None,
        expected: int | None = None,
    ) -> bool:
        """Apply a status change and queue its push (and the result file's, before it) in one transaction.
        False if the dossier's status is no longer `expected` (two officers clicked at once)."""
        with self._transaction() as db:
            if expected is not None:
                row = db.execute("SELECT status FROM dossiers WHERE code = ?", (code,)).fetchone()
                if row is None or row["status"] != expected:
                    return False
            db.execute(
                "UPDATE dossiers SET status = ?, status_at = ?, auto_next_at = ? WHERE code = ?",
                (status, _text(at), _text(auto_next_at), code),
            )
            db.execute(
                "INSERT INTO history (code, status, at, content, actor) VALUES (?, ?, ?, ?, ?)",
                (code, status, _text(at), content, actor),
            )
            if result is not None:
                name, result_code, pdf = result
                db.execute(
                    "UPDATE dossiers SET result_name = ?, result_code = ?, result_pdf = ? WHERE code = ?",
                    (name, result_code, pdf, code),
                )
                # The file first: when the portal shows "result ready", the result is there.
                self._add_push(db, kind="result", code=code, body={"name": name, "code": result_code}, at=at)
            self._add_push(db, kind="event", code=code, body=event, at=at)
        return True

    def result_pdf(self, code: str) -> bytes | None:
        rows = self._rows("SELECT result_pdf FROM dossiers WHERE code = ?", code)
        return bytes(rows[0]["result_pdf"]) if rows and rows[0]["result_pdf"] is not None else None

    def history(self, code: str) -> list[HistoryEntry]:
        rows = self._rows("SELECT status, at, content, actor FROM history WHERE code = ? ORDER BY id", code)
        return [
            HistoryEntry(r["status"], datetime.fromisoformat(r["at"]), r["content"], r["actor"]) for r in rows
        ]

    def deliveries(self) -> dict[str, list[tuple[str, datetime, str]]]:
        """Every delivery seen, by MaHoSo: (webhook-id, time, stored or duplicate)."""
        found: dict[str, list[tuple[str, datetime, str]]] = {}
        for row in self._rows("SELECT code, webhook_id, at, outcome FROM deliveries ORDER BY id"):
            found.setdefault(row["code"], []).append(
                (row["webhook_id"], datetime.fromisoformat(row["at"]), row["outcome"])
            )
        return found

    # --- the automatic path ----------------------------------------------------------------------------------

    def auto_due(self, now: datetime) -> list[Dossier]:
        rows = self._rows(
            f"SELECT {self._DOSSIER_COLUMNS} FROM dossiers WHERE auto_next_at IS NOT NULL AND auto_next_at <= ?"
            " ORDER BY auto_next_at",
            _text(now),
        )
        return [self._dossier(row) for row in rows]

    # --- attachments ---------------------------------------------------------------------------------------

    def _attachment(self, row: sqlite3.Row) -> Attachment:
        return Attachment(
            id=row["id"],
            code=row["code"],
            name=row["name"],
            slot=row["slot"],
            url=row["url"],
            size=row["size"],
            sha256=row["sha256"],
            error=row["error"],
            fetched_at=_time(row["fetched_at"]),
        )

    _ATTACHMENT_COLUMNS = "id, code, name, slot, url, size, sha256, error, fetched_at"

    def attachments(self, code: str) -> list[Attachment]:
        rows = self._rows(
            f"SELECT {self._ATTACHMENT_COLUMNS} FROM attachments WHERE code = ? ORDER BY position", code
        )
        return [self._attachment(row) for row in rows]

    def all_attachments(self) -> dict[str, list[Attachment]]:
        found: dict[str, list[Attachment]] = {}
        for row in self._rows(f"SELECT {self._ATTACHMENT_COLUMNS} FROM attachments ORDER BY code, position"):
            found.setdefault(row["code"], []).append(self._attachment(row))
        return found

    def pending_attachments(self) -> list[Attachment]:
        rows = self._rows(
            f"SELECT {self._ATTACHMENT_COLUMNS} FROM attachments"
            " WHERE url != '' AND sha256 IS NULL AND error IS NULL ORDER BY id"
        )
        return [self._attachment(row) for row in rows]

    def record_attachment(
        self,
        attachment_id: int,
        *,
        at: datetime,
        content: bytes | None,
        sha256: str | None,
        error: str | None,
    ) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE attachments SET size = ?, sha256 = ?, content = ?, error = ?, fetched_at = ? WHERE id = ?",
                (
                    len(content) if content is not None else None,
                    sha256,
                    content,
                    error,
                    _text(at),
                    attachment_id,
                ),
            )

    def attachment_content(self, code: str, attachment_id: int) -> tuple[str, bytes] | None:
        rows = self._rows(
            "SELECT name, content FROM attachments WHERE code = ? AND id = ? AND content IS NOT NULL",
            code,
            attachment_id,
        )
        return (rows[0]["name"], bytes(rows[0]["content"])) if rows else None

    # --- pushes to the portal ------------------------------------------------------------------------------

    def _add_push(
        self, db: sqlite3.Connection, *, kind: str, code: str, body: dict[str, Any], at: datetime
    ) -> None:
        db.execute(
            "INSERT INTO pushes (request_id, kind, code, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)",
            (str(uuid.uuid4()), kind, code, json.dumps(body, ensure_ascii=False), _text(at), _text(at)),
        )

    def add_push(self, *, kind: str, code: str, body: dict[str, Any], at: datetime) -> None:
        with self._transaction() as db:
            self._add_push(db, kind=kind, code=code, body=body, at=at)

    def _push(self, row: sqlite3.Row) -> Push:
        return Push(
            id=row["id"],
            request_id=row["request_id"],
            kind=row["kind"],
            code=row["code"],
            body=json.loads(row["body"]),
            created_at=datetime.fromisoformat(row["created_at"]),
            state=row["state"],
            attempts=row["attempts"],
            next_attempt_at=datetime.fromisoformat(row["next_attempt_at"]),
            last_error=row["last_error"],
        )

    def pending_pushes(self) -> list[Push]:
        """Pushes not yet taken by the portal, in the order they must go (oldest first)."""
        return [self._push(r) for r in self._rows("SELECT * FROM pushes WHERE state = 'pending' ORDER BY id")]

    def failed_pushes(self) -> list[Push]:
        return [self._push(r) for r in self._rows("SELECT * FROM pushes WHERE state = 'failed' ORDER BY id")]

    def push_sent(self, push_id: int, at: datetime) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE pushes SET state = 'sent', sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?",
                (_text(at), push_id),
            )

    def push_failed(self, push_id: int, *, error: str, retry_at: datetime | None) -> None:
        """A failed attempt: try again at `retry_at`, or never (the portal refused it; shown on the page)."""
        with self._transaction() as db:
            if retry_at is None:
                db.execute(
                    "UPDATE pushes SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
                    (error, push_id),
                )
            else:
                db.execute(
                    "UPDATE pushes SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
                    (error, _text(retry_at), push_id),
                )

    def retry_push(self, push_id: int, at: datetime) -> bool:
        """Send a push again now (a failed one, or one waiting for its next attempt)."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE pushes SET state = 'pending', next_attempt_at = ? WHERE id = ? AND state != 'sent'",
                (_text(at), push_id),
            )
            return cursor.rowcount > 0

    def push_counts(self) -> dict[str, int]:
        return {
            r["state"]: r["n"] for r in self._rows("SELECT state, COUNT(*) AS n FROM pushes GROUP BY state")
        }

    def next_wake(self, default: datetime) -> datetime:
        """The earliest time something is due (a push or an automatic step), or `default`."""
        rows = self._rows(
            "SELECT MIN(t) AS t FROM (SELECT MIN(next_attempt_at) AS t FROM pushes WHERE state = 'pending'"
            " UNION ALL SELECT MIN(auto_next_at) FROM dossiers WHERE auto_next_at IS NOT NULL)"
        )
        found = _time(rows[0]["t"]) if rows else None
        return min(found, default) if found else default

    def close(self) -> None:
        with self._lock:
            self._db.close()


def backoff(attempts: int) -> timedelta:
    """Wait after failed push attempt `attempts`: 1 s, 2 s, 4 s … at most 5 minutes."""
    return timedelta(seconds=min(300.0, 2.0 ** max(attempts - 1, 0)))
