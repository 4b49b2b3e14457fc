"""What the HTTP benchmarks share: the portal under gunicorn (sync workers, started and waited for) and one
request on a fresh connection, as a load generator sends it."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.procstat import children_of

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"


def request(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        conn.request(
            method, path, body=body, headers={"Host": HOST, "X-Forwarded-Proto": "https", **(headers or {})}
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def start_server(port: int, workers: int) -> tuple[subprocess.Popen[bytes], list[int]]:
    """gunicorn serving the portal with `workers` sync workers, once it answers and every worker is up; returns
    the server and its workers' pids."""
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "dichvucong.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=dict(os.environ),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/healthz")[0] == 200 and len(children_of(server.pid)) == workers:
                return server, children_of(server.pid)
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not start")
