"""Start a sandbox (``python -m sandboxes.<name>``) as a real subprocess for any test, wait for its
"listening on <url>" line, and stop it afterwards; plus what the tests need to run sandbox-rp against the
portal's live server (a free port, its registration as a relying party)."""

from __future__ import annotations

import os
import re
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0
LISTENING = re.compile(r"listening on (\S+)")

RP_CLIENT_ID = "cong-dvc-tinh-mau"
RP_CLIENT_SECRET = "sandbox-rp-secret"
RP_NAME = "Cổng DVC tỉnh mẫu"


def free_port() -> int:
    """A port nobody listens on right now (for a sandbox whose URL must be known before it starts)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _drain(stream: IO[str], log: Path) -> None:
    """Keep reading what the sandbox prints after its ready line, so that a full pipe never blocks it."""
    with log.open("a", encoding="utf-8") as out:
        for line in stream:
            out.write(line)


def start_sandbox(
    module: str,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    *,
    log_file: Path | None = None,
    timeout: float = START_TIMEOUT,
) -> tuple[subprocess.Popen[str], str]:
    """Run ``python -m <module> --host 127.0.0.1 --port 0 <args>`` (``args`` may name its own ``--port``) and
    wait for the line "... listening on <url>"; returns the process and that URL. Settings of other sandboxes
    in the environment (``SANDBOX_*``) are not passed on, only ``env``. Stop it with :func:`stop_sandbox`."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    environment.update(env or {}, PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1")
    options = list(args)
    if "--host" not in options:
        options[:0] = ["--host", "127.0.0.1"]
    if "--port" not in options:
        options += ["--port", "0"]
    if log_file is None:
        handle, name = tempfile.mkstemp(prefix=f"{module.rsplit('.', 1)[-1]}-", suffix=".log")
        os.close(handle)
        log_file = Path(name)
    with log_file.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *options],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            encoding="utf-8",
        )
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    url = ""
    while not url and time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if ready:
            line = process.stdout.readline()
            match = LISTENING.search(line)
            url = match.group(1).rstrip("/") if match else ""
    if not url:
        stop_sandbox(process)
        pytest.fail(f"{module} did not start:\n{log_file.read_text(encoding='utf-8')}")
    threading.Thread(target=_drain, args=(process.stdout, log_file), daemon=True).start()
    return process, url


def stop_sandbox(process: subprocess.Popen[str]) -> None:
    """Terminate the sandbox (SIGTERM), killing it if it does not stop in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def sandbox(
    module: str, env: Mapping[str, str] | None = None, args: Sequence[str] = (), **options: Any
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """:func:`start_sandbox` as a context manager: the sandbox is stopped however the block ends."""
    process, url = start_sandbox(module, env, args, **options)
    try:
        yield process, url
    finally:
        stop_sandbox(process)


# --- sandbox-rp against the portal ----------------------------------------------------------------------------


@contextmanager
def running_rp(issuer: str, *, log_file: Path | None = None) -> Iterator[str]:
    """sandbox-rp on a free port, pointed at the portal's `issuer`; yields its base URL. The port is chosen
    first because the portal must know the RP's URLs (registration) — the RP only contacts the portal later."""
    port = free_port()
    env = {
        "SANDBOX_RP_ISSUER": issuer,
        "SANDBOX_RP_CLIENT_ID": RP_CLIENT_ID,
        "SANDBOX_RP_CLIENT_SECRET": RP_CLIENT_SECRET,
    }
    with sandbox("sandboxes.rp", env, ["--port", str(port)], log_file=log_file) as (_process, url):
        assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
        yield url


def register_rp(base_url: str) -> Any:
    """Register sandbox-rp at `base_url` as a relying party of the portal (the values `loaddemo` uses)."""
    from dichvucong.accounts import services

    party, _secret = services.register_relying_party(
        actor=None,  # type: ignore[arg-type]
        request=None,
        name=RP_NAME,
        agency=None,
        redirect_uris=[f"{base_url}/callback"],
        post_logout_redirect_uris=[f"{base_url}/"],
        backchannel_logout_uri=f"{base_url}/backchannel-logout",
        client_id=RP_CLIENT_ID,
        client_secret=RP_CLIENT_SECRET,
    )
    return party
