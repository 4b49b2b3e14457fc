"""What the tests of deliveries to one-stop systems share: sandbox-onestop as a real subprocess (its SQLite file in
a temporary directory), a stand-in portal that records the sandbox's signed pushes, the portal's database made
visible to other processes, and real Celery workers (filesystem broker in a temporary directory) to kill.

Waiting for another process is a bounded poll (`wait_for`), never a fixed sleep."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from tests.sandboxes.processes import ROOT, sandbox

KEY_ID = "sandbox-onestop-hn"
SECRET = "whsec_c2FuZGJveC1vbmVzdG9wLWhhLW5vaS1kZW1vLWtleSE="


def wait_for[T](
    predicate: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.05, what: str = ""
) -> T:
    """Poll `predicate` until it returns something truthy (returned), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(interval)


# --- dossiers on the portal -----------------------------------------------------------------------------------

DOCUMENT = b"%PDF-1.4\n% to khai de nghi cap ho chieu\n"


def submit_dossier(
    agency_code: str = "UBND-01", *, with_document: bool = False, now: datetime | None = None
) -> Any:
    """A dossier submitted on the portal (its outbox message is enqueued in the same transaction), by one
    citizen, for the passport procedure, with the form declaration TK01 attached if `with_document`."""
    from dichvucong.accounts.models import User
    from dichvucong.dossiers import services
    from dichvucong.organisations.models import Agency
    from tests.conftest import make_citizen, make_procedure

    owner = User.objects.filter(username="chu-ho-so").first() or make_citizen(username="chu-ho-so")
    attachments = []
    if with_document:
        document = services.store_document(
            owner=owner,
            title="Tờ khai",
            content=DOCUMENT,
            filename="to-khai.pdf",
            content_type="application/pdf",
        )
        attachments.append(services.Attachment(slot="TK01", name="Tờ khai TK01", document_id=document.pk))
    return services.submit_dossier(
        owner=owner,
        procedure=make_procedure(),
        agency=Agency.objects.get(code=agency_code),
        applicant=services.Applicant(name="Nguyễn Văn An", id_number="001090012345", phone="0912345678"),
        summary="Đề nghị cấp hộ chiếu phổ thông",
        form_data={"noi_sinh": "Hà Nội"},
        attachments=attachments,
        now=now,
    )


# --- sandbox-onestop ----------------------------------------------------------------------------------------


@dataclass
class OnestopServer:
    url: str
    process: subprocess.Popen[str]
    db: Path
    log: Path

    def control(self, path: str, **data: Any) -> dict[str, Any]:
        response = requests.post(f"{self.url}/_sandbox/{path}", json=data, timeout=10)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def state(self) -> dict[str, Any]:
        response = requests.get(f"{self.url}/_sandbox/dossiers", timeout=10)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def dossiers(self) -> dict[str, dict[str, Any]]:
        """The dossiers the sandbox holds, by MaHoSo (each one once: a list would show a repeat)."""
        items = self.state()["dossiers"]
        codes = [d["MaHoSo"] for d in items]
        assert len(codes) == len(set(codes)), f"a dossier is stored twice: {codes}"
        return {d["MaHoSo"]: d for d in items}

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8")


@contextmanager
def running_onestop(directory: Path, name: str = "onestop", **env: str) -> Iterator[OnestopServer]:
    """sandbox-onestop on a free port with its database in `directory` (the same directory: the same data)."""
    directory.mkdir(parents=True, exist_ok=True)
    db = directory / f"{name}.sqlite3"
    log = directory / f"{name}.log"
    environment = {"SANDBOX_ONESTOP_DB": str(db), "SANDBOX_ONESTOP_PORTAL_URL": "http://127.0.0.1:9", **env}
    with sandbox("sandboxes.onestop", environment, log_file=log) as (process, url):
        assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
        yield OnestopServer(url, process, db, log)


# --- a stand-in portal --------------------------------------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakePortal:
    """Records every request; answers `status` (or what `answer` returns) with `body`; serves `files` by path."""

    url: str = ""
    status: int = 202
    answer: Callable[[Received], int] | None = None
    body: dict[str, Any] = field(default_factory=lambda: {"results": []})
    files: dict[str, bytes] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def posts(self, path_prefix: str = "/api/v1/agency/") -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.method == "POST" and r.path.startswith(path_prefix)]

    def events(self) -> list[dict[str, Any]]:
        """Every status event received, in order (a retried request appears once per try)."""
        return [e for r in self.posts("/api/v1/agency/status-events") for e in r.json()["events"]]


@contextmanager
def fake_portal() -> Iterator[FakePortal]:
    portal = FakePortal()

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> Received | None:
            """The request, recorded; None (not recorded) when its body was cut short, as when the sandbox is
            stopped in the middle of sending: a real server would refuse such a request too."""
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if len(body) < length:
                return None
            received = Received(
                self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
            )
            with portal.lock:
                portal.received.append(received)
            return received

        def do_GET(self) -> None:
            self._record()
            content = portal.files.get(self.path)
            self.send_response(200 if content is not None else 404)
            self.send_header("Content-Length", str(len(content or b"")))
            self.end_headers()
            self.wfile.write(content or b"")

        def do_POST(self) -> None:
            received = self._record()
            if received is None:
                return
            status = portal.answer(received) if portal.answer else portal.status
            body = json.dumps(portal.body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    portal.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield portal
    finally:
        server.shutdown()
        server.server_close()


# --- the portal's database, seen by other processes ----------------------------------------------------------


@contextmanager
def shared_database(directory: Path) -> Iterator[str]:
    """The `DATABASE_URL` under which a worker process sees this test's database, for a `transactional_db` test
    (whose writes are committed, so other processes see them).

    PostgreSQL: the test database itself. SQLite: pytest-django's test database lives in this process's memory,
    which no other process can open; it is copied (SQLite's online backup) to a file in `directory`, and this
    process's default connection is pointed at that file until the block ends, so that the test, its workers
    and its assertions all use the one file. The in-memory database is left as it was."""
    from django.db import connection, connections

    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        credentials = quote(settings["USER"] or "", safe="")
        if settings["PASSWORD"]:
            credentials += ":" + quote(settings["PASSWORD"], safe="")
        host = settings["HOST"] or "127.0.0.1"
        port = settings["PORT"] or 5432
        yield f"postgres://{credentials}@{host}:{port}/{settings['NAME']}"
        return
    assert connection.vendor == "sqlite"
    path = directory / "portal.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    original = connections["default"]
    copy = original.__class__({**settings, "NAME": str(path)}, alias="default")
    connections["default"] = copy
    try:
        yield f"sqlite:///{path}"
    finally:
        copy.close()
        connections["default"] = original


# --- Celery workers ---------------------------------------------------------------------------------------------


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill_9(self) -> None:
        """SIGKILL to the worker and its children (pool, beat), as a crash or an OOM kill of the host would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill_9()


def worker_environment(database_url: str, var_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a worker sharing the test's database, with its broker (filesystem) in `var_dir`."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SANDBOX_", "CELERY_", "OUTBOX_", "ONESTOP_", "PYTEST_", "TEST_DATABASE"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="dichvucong.settings",
        DATABASE_URL=database_url,
        DVC_VAR_DIR=str(var_dir),
        OUTBOX_DISPATCH="celery",
        CELERY_POLLING_SECONDS="0.1",
        PYTHONUNBUFFERED="1",
        **overrides,
    )
    return environment


@contextmanager
def celery_worker(environment: dict[str, str], log: Path, *, beat: bool = True) -> Iterator[Worker]:
    """``celery -A dichvucong worker`` (one pool process, embedded beat), in its own process group; waits for
    its "ready" line. Stopped (SIGTERM) when the block ends, unless killed before."""
    schedule = Path(environment["DVC_VAR_DIR"]) / "celerybeat-schedule"
    command = [
        str(Path(sys.executable).with_name("celery")),
        "-A",
        "dichvucong",
        "worker",
        "--concurrency",
        "1",
        "--loglevel",
        "info",
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
        "--hostname",
        f"test-{log.stem}@%h",
        *(["-B", "--schedule", str(schedule)] if beat else []),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    worker = Worker(process, log)
    try:
        wait_for(
            lambda: process.poll() is not None or " ready." in worker.log_text(),
            timeout=60,
            what="the Celery worker to be ready",
        )
        assert process.poll() is None, f"the worker exited:\n{worker.log_text()}"
        yield worker
    finally:
        worker.stop()
