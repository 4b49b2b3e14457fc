"""A real portal process for crash tests: gunicorn serving the portal on a database that the test also reads
directly (a SQLite file, or a PostgreSQL database), in its own process group so that SIGKILL takes it whole."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


class Database:
    """A database the portal process uses and this test reads: its DATABASE_URL and a raw connection."""

    def __init__(self, url: str, vendor: str, sqlite_path: Path | None = None) -> None:
        self.url, self.vendor, self.sqlite_path = url, vendor, sqlite_path

    def connect(self) -> Any:
        if self.vendor == "sqlite":
            return sqlite3.connect(self.sqlite_path, timeout=30)
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        connection = self.connect()
        try:
            placeholder_sql = sql if self.vendor == "postgresql" else sql.replace("%s", "?")
            return [tuple(row) for row in connection.execute(placeholder_sql, params).fetchall()]
        finally:
            connection.close()

    def in_write_transaction(self) -> bool:
        """Whether another process is inside a write transaction right now (the portal, mid-ingest)."""
        if self.vendor == "sqlite":
            probe = sqlite3.connect(self.sqlite_path, timeout=0, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError:
                return True
            finally:
                probe.close()
        name = self.url.rsplit("/", 1)[1]
        found = self.rows(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_xid IS NOT NULL "
            "AND pid <> pg_backend_pid()",
            (name,),
        )
        return bool(found[0][0])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Portal:
    """gunicorn serving the portal on `database`, in its own process group (so that SIGKILL takes it whole)."""

    def __init__(
        self, database: Database, log: Path, *, port: int | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.port = port or _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database.url,
            "DJANGO_SETTINGS_MODULE": "dichvucong.settings",
            "OUTBOX_DISPATCH": "none",
            "LOG_LEVEL": "WARNING",
            **(env or {}),
        }
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "dichvucong.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.kill()
        pytest.fail(f"the portal did not start:\n{log.read_text()[-3000:]}")

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request(method, path, body=body or None, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
