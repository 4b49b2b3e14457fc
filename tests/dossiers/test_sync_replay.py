"""Acceptance 3 of the status sync: replaying the same status batches, in another order, after a kill -9 of the web
process mid-ingest, leaves exactly the same database state as a clean run: no event lost, none counted twice.

The portal runs as a real process (gunicorn, one sync worker) on a database of its own that this test also reads
directly: a SQLite file, or a PostgreSQL database next to the test database when the suite runs on PostgreSQL.
Batches are signed (HMAC, Standard Webhooks) and posted over HTTP.

1. Reference: a fresh portal takes the batches in their clean order; its dossiers and events are read.
2. Chaos: another fresh portal takes the first batches; while it is inside the transaction of a large batch
   (seen from outside: SQLite's write lock is held, or the PostgreSQL backend has a transaction id), the whole
   process group is killed with SIGKILL. That batch got no answer and left nothing. The portal is started again
   and every batch is sent again in a shuffled order.
3. The chaos database equals the reference: every dossier column that events or records set, and every event.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from dichvucong.core import signing
from tests.portal_process import ROOT, Database, Portal

pytestmark = pytest.mark.xdist_group("sync-replay")

SECRET = "whsec_" + "cmVwbGF5LXRlc3Qtc2VjcmV0LTMyLWJ5dGVzLWxvbmch"
KEY_ID = "replay-ha-noi"
T0 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)  # Monday 08:00 in Hà Nội
DOSSIERS = 1000
KILLED_BATCH = 2  # the third large batch

SETUP = f"""
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from dichvucong.organisations.services import sync_register
sync_register()
from dichvucong.dossiers.models import AgencyIntegration
from dichvucong.organisations.models import Agency
AgencyIntegration.objects.create(
    agency=Agency.objects.get(code="UBND-01"), name="Một cửa Hà Nội (kiểm thử)", key_id="{KEY_ID}", secret="{SECRET}"
)
print(",".join(Agency.objects.filter(parent__code="UBND-01").order_by("code").values_list("code", flat=True)[:3]))
"""


# --- the databases ---------------------------------------------------------------------------------------------


class ReplayDatabase(Database):
    """The replay test's view of a portal database."""

    def state(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Every dossier column the sync sets (not ids nor row timestamps), and every event."""
        dossiers = self.rows(
            "SELECT d.code, a.code, d.procedure_code, d.procedure_name, d.field_name, d.origin, d.channel, "
            "d.applicant_kind, d.applicant_name, d.applicant_id_number, d.applicant_email, d.applicant_phone, "
            "d.summary, d.status, d.status_at, d.status_event, d.submitted_at, d.received_at, d.due_at, "
            "d.original_due_at, d.finished_at, d.returned_at, d.details, d.details_at "
            "FROM dossiers_dossier d JOIN organisations_agency a ON a.id = d.agency_id ORDER BY d.code"
        )
        # JSON key order depends on the order records came in; the content must not.
        dossiers = [
            (*row[:22], json.loads(row[22]) if isinstance(row[22], str) else row[22], row[23])
            for row in dossiers
        ]
        events = self.rows(
            "SELECT a.code, e.event_id, d.code, e.status, e.occurred_at, e.actor_name, e.actor_title, e.unit, "
            "e.content, e.step_started_at, e.step_due_at, e.source FROM dossiers_dossierevent e "
            "JOIN dossiers_dossier d ON d.id = e.dossier_id JOIN organisations_agency a ON a.id = e.agency_id "
            "ORDER BY a.code, e.event_id"
        )
        return dossiers, events


def _setup(database: Database) -> list[str]:
    """Migrate, load the register of agencies, register the one-stop system; returns three communes."""
    done = subprocess.run(
        [sys.executable, "-c", SETUP],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database.url, "DJANGO_SETTINGS_MODULE": "dichvucong.settings"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1].split(",")


@contextmanager
def two_databases(tmp_path: Path) -> Iterator[tuple[ReplayDatabase, ReplayDatabase, list[str]]]:
    """A reference database and a chaos one, both migrated with the register loaded (set up once, copied)."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if "sqlite" in engine:
        reference = ReplayDatabase(
            f"sqlite:///{tmp_path / 'reference.sqlite3'}", "sqlite", tmp_path / "reference.sqlite3"
        )
        communes = _setup(reference)
        connection = sqlite3.connect(tmp_path / "reference.sqlite3")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
        shutil.copy(tmp_path / "reference.sqlite3", tmp_path / "chaos.sqlite3")
        yield (
            reference,
            ReplayDatabase(f"sqlite:///{tmp_path / 'chaos.sqlite3'}", "sqlite", tmp_path / "chaos.sqlite3"),
            communes,
        )
        return
    import psycopg

    db = settings.DATABASES["default"]
    base = (
        f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    )
    names = [f"dvc_replay_{os.getpid()}_{kind}" for kind in ("reference", "chaos")]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{names[0]}"')
    reference = ReplayDatabase(f"{base}/{names[0]}", "postgresql")
    try:
        communes = _setup(reference)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{names[1]}" TEMPLATE "{names[0]}"')
        yield reference, ReplayDatabase(f"{base}/{names[1]}", "postgresql"), communes
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class ReplayPortal(Portal):
    """The portal, receiving signed status batches."""

    def post_batch(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        body = json.dumps({"events": events}).encode()
        headers = {
            "Content-Type": "application/json",
            "x-dvc-key-id": KEY_ID,
            **signing.sign(SECRET, f"msg_{uuid.uuid4().hex}", body),
        }
        status, content = self.request("POST", "/api/v1/agency/status-events", body, headers)
        assert status == 200, content[:2000]
        return dict(json.loads(content))


# --- the batches ---------------------------------------------------------------------------------------------


def _batches(communes: list[str]) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """A small first batch, then ~3,750 events of 1,000 counter dossiers (records, steps, supplements, results,
    corrections, an event outside the system's agencies), shuffled across four large batches, so that many
    events of a dossier arrive before earlier ones."""
    rng = random.Random(4)
    events: list[dict[str, Any]] = []
    for n in range(DOSSIERS):
        commune = communes[n % len(communes)]
        code = f"{commune}-261102-{n:04d}"
        start = T0 + dt.timedelta(minutes=n)

        def at(minutes: int, start: dt.datetime = start) -> str:
            return (start + dt.timedelta(minutes=minutes)).isoformat()

        record = {
            "MaTTHC": "1.001193",
            "TenTTHC": "Đăng ký khai sinh",
            "ChuHoSo": f"Công dân {n}",
            "LoaiDoiTuong": 1,
            "MaDoiTuong": f"0010850{n:05d}",
            "NgayTiepNhan": (start.astimezone(dt.timezone(dt.timedelta(hours=7)))).strftime("%Y%m%d%H%M%S"),
            "NgayHenTra": (start + dt.timedelta(days=3)).isoformat(),
            "TrangThaiHoSo": 2,
            "HinhThuc": 1,
            "DonViXuLy": commune,
            "TaiLieuNop": [{"TenTepDinhKem": "To khai.pdf", "MaThanhPhanHoSo": "TK"}],
        }
        events.append(
            {"id": f"{code}:2", "dossier_code": code, "status": 2, "occurred_at": at(0), "dossier": record}
        )
        events.append(
            {
                "id": f"{code}:4",
                "dossier_code": code,
                "status": 4,
                "occurred_at": at(30),
                "step": {"actor_name": "Nguyễn Thị Lan", "unit": "Bộ phận một cửa", "content": "Thẩm định"},
            }
        )
        if n % 5 == 0:
            events.append({"id": f"{code}:5", "dossier_code": code, "status": 5, "occurred_at": at(60)})
            events.append({"id": f"{code}:4b", "dossier_code": code, "status": 4, "occurred_at": at(24 * 60)})
        if n % 3 != 0:
            corrected = {**record, "ChuHoSo": f"Công dân {n} (đã sửa)", "TrangThaiHoSo": 9}
            events.append(
                {
                    "id": f"{code}:9",
                    "dossier_code": code,
                    "status": 9,
                    "occurred_at": at(2 * 24 * 60),
                    "dossier": corrected,
                }
            )
            events.append(
                {"id": f"{code}:10", "dossier_code": code, "status": 10, "occurred_at": at(2 * 24 * 60 + 90)}
            )
        if n % 50 == 0:  # the same instant as another event: the event id breaks the tie
            events.append({"id": f"{code}:4c", "dossier_code": code, "status": 8, "occurred_at": at(30)})
    events.append(
        {
            "id": "hcm:1",
            "dossier_code": "UBND-79-261102-0001",
            "status": 2,
            "occurred_at": T0.isoformat(),
            "dossier": {"DonViXuLy": "UBND-79"},
        }
    )
    first = [
        {
            "id": f"warm:{n}",
            "dossier_code": f"{communes[0]}-261101-{n:04d}",
            "status": 1,
            "occurred_at": (T0 - dt.timedelta(days=1)).isoformat(),
        }
        for n in range(5)
    ]
    rng.shuffle(events)
    size = -(-len(events) // 4)
    return first, [events[i : i + size] for i in range(0, len(events), size)]


# --- the test --------------------------------------------------------------------------------------------------


def test_replay_after_kill_9_mid_ingest_gives_the_same_state(tmp_path: Path) -> None:
    with two_databases(tmp_path) as (reference_db, chaos_db, communes):
        first, batches = _batches(communes)
        assert all(len(batch) <= 1000 for batch in batches) and sum(map(len, batches)) > 3500

        # 1. The reference run, in the clean order.
        reference = ReplayPortal(reference_db, tmp_path / "reference.log")
        try:
            for batch in [first, *batches]:
                reference.post_batch(batch)
        finally:
            reference.kill()
        expected = reference_db.state()
        assert len(expected[0]) == DOSSIERS + len(first)
        assert len(expected[1]) == sum(map(len, batches)) + len(first) - 1  # less the other province's event

        # 2. The chaos run: kill -9 while the killed batch is being ingested.
        portal = ReplayPortal(chaos_db, tmp_path / "chaos.log")
        sending = threading.Event()
        outcome: dict[str, Any] = {}

        def send() -> None:
            for index, batch in enumerate([first, *batches[:KILLED_BATCH]]):
                outcome[index] = portal.post_batch(batch)
            sending.set()
            try:
                outcome["killed"] = portal.post_batch(batches[KILLED_BATCH])
            except (OSError, http.client.HTTPException) as exc:
                outcome["error"] = exc

        sender = threading.Thread(target=send)
        sender.start()
        assert sending.wait(timeout=300)
        deadline = time.monotonic() + 120
        while not chaos_db.in_write_transaction():
            assert time.monotonic() < deadline, "the portal never entered the ingest transaction"
            time.sleep(0.001)
        portal.kill()  # SIGKILL to the whole process group, mid-transaction
        sender.join(timeout=60)
        assert "killed" not in outcome and "error" in outcome, "the killed request must have had no answer"
        killed_ids = {event["id"] for event in batches[KILLED_BATCH]}
        recorded = {row[0] for row in chaos_db.rows("SELECT event_id FROM dossiers_dossierevent")}
        assert recorded and not recorded & killed_ids, "a killed batch leaves nothing"

        # 3. Restart, replay everything in another order.
        portal = ReplayPortal(chaos_db, tmp_path / "chaos.log")
        try:
            replay = [first, *batches]
            random.Random(7).shuffle(replay)
            answers = [portal.post_batch(batch) for batch in replay]
        finally:
            portal.kill()
        assert sum(a["applied"] + a["duplicates"] + a["rejected"] for a in answers) == sum(map(len, replay))
        assert sum(a["rejected"] for a in answers) == 1

        # 4. The same state: every dossier column the sync sets, every event, once.
        actual = chaos_db.state()
        assert len(actual[1]) == len(expected[1])
        assert actual[0] == expected[0]
        assert actual[1] == expected[1]
