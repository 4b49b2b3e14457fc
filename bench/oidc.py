"""OpenID Connect provider benchmark: token-endpoint grants and password sign-ins per second per core.

The issue's acceptance point: refresh and client-credentials grants per second per core and password sign-ins
per second per core with the configured argon2 parameters, beside Keycloak's published sizing figures (about
120 refresh or client-credentials grants and 15 password sign-ins per second per vCPU); goal: above them.

1. Recreates the PostgreSQL database named by BENCH_OIDC_DATABASE_URL (default
   postgres://postgres@127.0.0.1:5432/dichvucong_bench_oidc), migrates it and collects the static files.
   It registers two confidential relying parties (one for client credentials, one for the authorization
   code flow), creates BENCH_USERS citizens sharing one argon2 hash (every verification still costs a full
   argon2 computation) and BENCH_REFRESH_TOKENS refresh tokens with scope "openid profile", each in its own
   token family tied to a portal session, as the code exchange would have left them (so that a refresh also
   signs an ID token carrying `sid`).
2. Times argon2 verifications in-process on one core (`check_password`), to show where a sign-in's time goes.
3. Serves the portal with gunicorn, production settings, BENCH_WORKERS (default one) sync workers pinned to
   CPU 0 (`taskset -c 0`); the load generator (this process) is pinned to CPU 1 and runs BENCH_CONCURRENCY
   loopback connections. PostgreSQL is not pinned: its CPU time per operation is measured and reported
   apart, as Keycloak sizes its database apart. The workers' CPU time is read from /proc, so that each
   scenario also gives operations per CPU-second of the workers (what a core fully used would give).
   Each scenario: a warm-up, then BENCH_REPEATS runs of BENCH_SECONDS, each started when the machine is
   idle; the rate reported is the median run:
   - /healthz, the framework's floor on this core (reference only);
   - client_credentials grants at POST /oidc/token/ (client_secret_basic);
   - refresh_token grants at POST /oidc/token/ (client_secret_basic), each with a fresh refresh token; a
     grant counts only if the answer holds an id_token;
   - password sign-ins: GET /dang-nhap/ (CSRF cookie) then POST /dang-nhap/ with phone and password, the
     pair counted as one sign-in, and only if answered by the redirect to the account page. The server
     runs with LOCAL_SIGN_IN_SMS_CODE=false, so that the sign-in ends with that POST (with the SMS step the
     code check is one more request); django-axes stays on;
   - OpenID Connect sign-ins with a password, the flow Keycloak's login scenario measures (login page,
     credentials, code exchange): authorize, sign-in page, credentials, authorize again (consent remembered),
     code exchange; a success ends with an ID token.

Run: `.venv/bin/python bench/oidc.py`. Prints a Markdown table for docs/benchmarks.md and writes
var/bench/oidc.json.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.procstat import children_of, cpu_model, cpu_seconds, machine_cpu_seconds, wait_until_idle  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_OIDC_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dichvucong_bench_oidc"
)
DURATION = float(os.environ.get("BENCH_SECONDS", "10"))  # per run
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
WARM_UP = float(os.environ.get("BENCH_WARM_UP_SECONDS", "3"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))
# One sync worker on the core by default; with 2 the core also works while a worker waits on PostgreSQL.
WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))
USERS = int(os.environ.get("BENCH_USERS", "2000"))
REFRESH_TOKENS = int(os.environ.get("BENCH_REFRESH_TOKENS", "20000"))
IDLE_WAIT = float(os.environ.get("BENCH_IDLE_WAIT_SECONDS", "600"))
SERVER_CPU = 0
CLIENT_CPU = 1
HOST = "127.0.0.1"
PASSWORD = "Mat-khau-do-kiem-2026"
RESULT_PATH = ROOT / "var" / "bench" / "oidc.json"
WEB_REDIRECT_URI = "https://bench.example.vn/oidc/callback"

# The server and this process read the same settings: production, no debugging, the one-step local sign-in.
# ARGON2_* come from the caller's environment, so that other parameters can be measured the same way.
os.environ.update(
    {
        "DATABASE_URL": DATABASE_URL,
        "DJANGO_SETTINGS_MODULE": "dichvucong.settings",
        "DJANGO_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": "bench-oidc-" + "x" * 40,
        "ALLOWED_HOSTS": HOST,
        "LOCAL_SIGN_IN_SMS_CODE": "false",
        "LOG_LEVEL": "WARNING",
    }
)

# Keycloak, "Concepts for sizing CPU and memory resources" (High availability guide), per vCPU.
KEYCLOAK_SOURCE = "https://www.keycloak.org/high-availability/single-cluster/concepts-memory-and-cpu-sizing"
KEYCLOAK_PER_VCPU = {"client_credentials": 120.0, "refresh_token": 120.0, "password_sign_in": 15.0}


@dataclass
class Fixture:
    """What the load generator needs to know about the prepared database."""

    service_client_id: str
    service_client_secret: str
    web_client_id: str
    web_client_secret: str
    phones: list[str]
    refresh_tokens: deque[str]


@dataclass
class Scenario:
    name: str
    unit: str
    operations: int = 0
    errors: int = 0
    seconds: float = 0.0
    per_second: float = 0.0  # median of the runs
    rates: list[float] = field(default_factory=list)  # each run's rate
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    worker_cpu_seconds: float = 0.0
    worker_busy: float = 0.0  # worker CPU time / wall time
    per_worker_cpu_second: float = 0.0
    database_cpu_ms_per_operation: float = 0.0
    load_generator_cpu: float = 0.0  # this process's CPU time / wall time
    # Cores used by everything else on the machine: the kernel's share of loopback networking, housekeeping,
    # and any other job (which skews the figures); and cores taken away by the hypervisor.
    other_cpu: float = 0.0
    steal: float = 0.0
    keycloak_per_vcpu: float | None = None
    exhausted: bool = False
    first_error: str = ""
    latencies_ms: list[float] = field(default_factory=list, repr=False)


# --- preparation -----------------------------------------------------------------------------------------------


def recreate_database() -> None:
    """Every run starts from an empty database, so that runs compare."""
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare() -> Fixture:
    """Migrate, register the relying parties, create the accounts and the refresh tokens (see the module)."""
    import django

    recreate_database()
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)

    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, RefreshToken

    from dichvucong.accounts import services
    from dichvucong.accounts.keys import ensure_signing_key
    from dichvucong.accounts.models import (
        AccountKind,
        Consent,
        PortalSession,
        RelyingParty,
        RelyingPartySession,
        User,
    )

    operator = User.objects.create(username="bench-operator", kind=AccountKind.OPERATOR)
    service, service_secret = services.register_relying_party(
        actor=operator,
        request=None,
        name="Hệ thống đo tải (client credentials)",
        agency=None,
        redirect_uris=[],
        post_logout_redirect_uris=[],
        grant_types=RelyingParty.GRANT_CLIENT_CREDENTIALS,
    )
    web, web_secret = services.register_relying_party(
        actor=operator,
        request=None,
        name="Cổng DVC đo tải (authorization code)",
        agency=None,
        redirect_uris=[WEB_REDIRECT_URI],
        post_logout_redirect_uris=["https://bench.example.vn/"],
    )
    ensure_signing_key()

    # One argon2 computation for every account: each sign-in still verifies with a full computation.
    encoded = make_password(PASSWORD)
    phones = [f"09{i:08d}" for i in range(USERS)]
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(
                username=phone,
                phone=phone,
                phone_verified=True,
                kind=AccountKind.CITIZEN,
                full_name=f"Nguyễn Văn Đo Tải {i}",
                password=encoded,
            )
            for i, phone in enumerate(phones)
        )
        # Each person already allowed the relying party: the OIDC sign-in does not stop at the consent page.
        Consent.objects.bulk_create(
            Consent(user=user, relying_party=web, scopes="openid profile") for user in users
        )
        sessions = PortalSession.objects.bulk_create(
            PortalSession(user=user, session_key=secrets.token_hex(16), method="local") for user in users
        )
        expires = timezone.now() + timedelta(minutes=10)
        owners = [sessions[i % len(sessions)] for i in range(REFRESH_TOKENS)]
        access_tokens = AccessToken.objects.bulk_create(
            AccessToken(
                user_id=owner.user_id,
                application=web,
                token=secrets.token_urlsafe(32),
                expires=expires,
                scope="openid profile",
            )
            for owner in owners
        )
        families = [uuid.uuid4() for _ in owners]
        codes = [secrets.token_urlsafe(32) for _ in owners]
        refresh = [secrets.token_urlsafe(32) for _ in owners]
        RefreshToken.objects.bulk_create(
            RefreshToken(
                user_id=owner.user_id,
                application=web,
                token=token,
                access_token=access,
                token_family=family,
            )
            for owner, token, access, family in zip(owners, refresh, access_tokens, families, strict=True)
        )
        RelyingPartySession.objects.bulk_create(
            RelyingPartySession(
                portal_session=owner,
                relying_party=web,
                code_hash=hashlib.sha256(code.encode()).hexdigest(),
                token_family=family,
            )
            for owner, code, family in zip(owners, codes, families, strict=True)
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.close()
    return Fixture(
        service_client_id=service.client_id,
        service_client_secret=service_secret,
        web_client_id=web.client_id,
        web_client_secret=web_secret,
        phones=phones,
        refresh_tokens=deque(refresh),
    )


def argon2_verifications_per_second(count: int = 40) -> tuple[float, dict[str, int]]:
    """`check_password` on one core (this process is pinned), with the configured parameters."""
    from django.conf import settings
    from django.contrib.auth.hashers import check_password, make_password

    encoded = make_password(PASSWORD)
    check_password(PASSWORD, encoded)
    started = time.perf_counter()
    for _ in range(count):
        assert check_password(PASSWORD, encoded)
    rate = count / (time.perf_counter() - started)
    parameters = {
        "time_cost": settings.ARGON2_TIME_COST,
        "memory_kib": settings.ARGON2_MEMORY_KIB,
        "parallelism": settings.ARGON2_PARALLELISM,
    }
    return rate, parameters


# --- processes ------------------------------------------------------------------------------------------------


def database_pids() -> list[int]:
    """The PostgreSQL processes that work for the benchmark: the backends of its database and the shared
    background processes (WAL writer, checkpointer…); not the backends of other databases."""
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s OR datname IS NULL", [name]
        ).fetchall()
    return [int(row[0]) for row in rows]


# --- the server ------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(port: int) -> tuple[subprocess.Popen[bytes], list[int]]:
    """gunicorn with WORKERS sync workers on CPU 0; returns the master process and the workers' pids."""
    server = subprocess.Popen(
        [
            "taskset",
            "-c",
            str(SERVER_CPU),
            str(Path(sys.executable).parent / "gunicorn"),
            "dichvucong.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=dict(os.environ),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _headers, _body = request(port, "GET", "/healthz")
            workers = children_of(server.pid)
            if status == 200 and len(workers) == WORKERS:
                return server, workers
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


# --- the load generator ----------------------------------------------------------------------------------------


def request(
    port: int, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request on a new connection (gunicorn's sync workers close each connection anyway). The headers
    are those a browser or relying party sends through the TLS-terminating proxy."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        all_headers = {"Host": HOST, "X-Forwarded-Proto": "https", **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def basic_auth(client_id: str, secret: str) -> str:
    """client_secret_basic: both parts form-encoded first (RFC 6749 §2.3.1)."""
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


class Exhausted(Exception):
    """No refresh token left: the scenario ends early (its rate stays valid)."""


Operation = Callable[[int], str | None]  # thread index → None on success, else what went wrong


def client_credentials(port: int, fixture: Fixture) -> Operation:
    auth = basic_auth(fixture.service_client_id, fixture.service_client_secret)
    body = urlencode({"grant_type": "client_credentials"})

    def operation(_: int) -> str | None:
        status, _headers, content = request(
            port, "POST", "/oidc/token/", body, {"Authorization": auth, "Accept": "application/json"}
        )
        if status != 200 or "access_token" not in json.loads(content):
            return f"{status} {content[:200]!r}"
        return None

    return operation


def refresh_token(port: int, fixture: Fixture) -> Operation:
    auth = basic_auth(fixture.web_client_id, fixture.web_client_secret)

    def operation(_: int) -> str | None:
        try:
            token = fixture.refresh_tokens.popleft()  # deque pops are thread-safe
        except IndexError as exc:
            raise Exhausted from exc
        body = urlencode({"grant_type": "refresh_token", "refresh_token": token})
        status, _headers, content = request(
            port, "POST", "/oidc/token/", body, {"Authorization": auth, "Accept": "application/json"}
        )
        if status != 200:
            return f"{status} {content[:200]!r}"
        answer = json.loads(content)
        if "id_token" not in answer or "refresh_token" not in answer:
            return f"no id_token or refresh_token in {sorted(answer)}"
        return None

    return operation


class Browser:
    """A browser's share of a sign-in: keeps the cookies it is given and sends them back."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def send(
        self, method: str, path: str, fields: dict[str, str] | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urlencode({"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **fields})
            headers |= {"Origin": f"https://{HOST}", "Referer": f"https://{HOST}{path}"}
        status, answer, content = request(self.port, method, path, body, headers)
        jar: SimpleCookie = SimpleCookie()
        for value in answer.get_all("Set-Cookie") or []:
            jar.load(value)
        self.cookies |= {name: morsel.value for name, morsel in jar.items()}
        return status, answer, content


def _next_phone(fixture: Fixture, counters: list[int], i: int) -> str:
    """Each thread walks its own stride of the accounts, so that no two sign in as one person at once."""
    phone = fixture.phones[(counters[i] * CONCURRENCY + i) % len(fixture.phones)]
    counters[i] += 1
    return phone


def password_sign_in(port: int, fixture: Fixture) -> Operation:
    """GET the sign-in page (CSRF cookie), POST phone and password; success is the redirect to the account."""
    counters = [0] * CONCURRENCY

    def operation(i: int) -> str | None:
        browser = Browser(port)
        status, _headers, _content = browser.send("GET", "/dang-nhap/")
        if status != 200 or "csrftoken" not in browser.cookies:
            return f"GET {status} {sorted(browser.cookies)}"
        fields = {"phone": _next_phone(fixture, counters, i), "password": PASSWORD}
        status, headers, content = browser.send("POST", "/dang-nhap/", fields)
        if status != 302 or headers.get("Location") != "/tai-khoan/":
            return f"POST {status} {headers.get('Location')} {content[:200]!r}"
        return None

    return operation


def oidc_sign_in(port: int, fixture: Fixture) -> Operation:
    """A person signs in to a relying party with a password, as in Keycloak's benchmark scenario
    (login page, credentials, code exchange): authorize → sign-in page → credentials → authorize again (consent
    remembered) → code → the relying party exchanges the code for tokens. Five requests; a success ends with
    an ID token."""
    counters = [0] * CONCURRENCY
    auth = basic_auth(fixture.web_client_id, fixture.web_client_secret)

    def operation(i: int) -> str | None:
        browser = Browser(port)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": fixture.web_client_id,
                "redirect_uri": WEB_REDIRECT_URI,
                "scope": "openid profile",
                "state": secrets.token_urlsafe(12),
                "nonce": secrets.token_urlsafe(12),
            }
        )
        authorize = f"/oidc/authorize/?{query}"
        status, headers, _content = browser.send("GET", authorize)
        sign_in_page = headers.get("Location") or ""
        if status != 302 or not sign_in_page.startswith("/dang-nhap/"):
            return f"authorize {status} {sign_in_page}"
        status, _headers, _content = browser.send("GET", sign_in_page)
        if status != 200:
            return f"sign-in page {status}"
        fields = {"phone": _next_phone(fixture, counters, i), "password": PASSWORD}
        status, headers, content = browser.send("POST", "/dang-nhap/", fields)
        if status != 302 or headers.get("Location") != authorize:
            return f"sign-in {status} {headers.get('Location')} {content[:200]!r}"
        status, headers, _content = browser.send("GET", authorize)
        callback = headers.get("Location") or ""
        code = parse_qs(urlsplit(callback).query).get("code")
        if status != 302 or not callback.startswith(WEB_REDIRECT_URI) or not code:
            return f"authorize after sign-in {status} {callback[:200]}"
        body = urlencode(
            {"grant_type": "authorization_code", "code": code[0], "redirect_uri": WEB_REDIRECT_URI}
        )
        status, _headers, content = request(
            port, "POST", "/oidc/token/", body, {"Authorization": auth, "Accept": "application/json"}
        )
        if status != 200 or "id_token" not in json.loads(content):
            return f"code exchange {status} {content[:200]!r}"
        return None

    return operation


def healthz(port: int, fixture: Fixture) -> Operation:
    def operation(_: int) -> str | None:
        status, _headers, _content = request(port, "GET", "/healthz")
        return None if status == 200 else str(status)

    return operation


def drive(operation: Operation, seconds: float, scenario: Scenario) -> None:
    """Run `operation` from CONCURRENCY threads for `seconds`; fills the scenario's counts and latencies."""
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def worker(i: int) -> None:
        while time.monotonic() < stop and not scenario.exhausted:
            started = time.perf_counter()
            try:
                problem = operation(i)
            except Exhausted:
                scenario.exhausted = True
                return
            except (OSError, ValueError) as exc:
                problem = repr(exc)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if problem is None:
                    scenario.operations += 1
                    scenario.latencies_ms.append(elapsed)
                else:
                    scenario.errors += 1
                    scenario.first_error = scenario.first_error or problem

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def measure(
    name: str, unit: str, operation: Operation, workers: list[int], keycloak: float | None = None
) -> Scenario:
    """Warm up, then REPEATS runs of DURATION seconds, each started on an idle machine; the rate is the
    median of the runs (a virtual machine's neighbours and steal time move single runs a lot)."""
    scenario = Scenario(name, unit, keycloak_per_vcpu=keycloak)
    wait_until_idle(IDLE_WAIT)
    drive(operation, WARM_UP, Scenario(name, unit))
    database_cpu = own_cpu = machine_cpu = steal = 0.0
    for _ in range(REPEATS):
        wait_until_idle(IDLE_WAIT)
        operations_before = scenario.operations
        worker_before = cpu_seconds(workers)
        database_before = cpu_seconds(database_pids())
        machine_before, steal_before = machine_cpu_seconds()
        own_before = time.process_time()
        started = time.monotonic()
        drive(operation, DURATION, scenario)
        seconds = time.monotonic() - started
        own_cpu += time.process_time() - own_before
        machine_after, steal_after = machine_cpu_seconds()
        machine_cpu += machine_after - machine_before
        steal += steal_after - steal_before
        worker_after = cpu_seconds(workers)
        scenario.worker_cpu_seconds += sum(worker_after[pid] - worker_before[pid] for pid in workers)
        database_after = cpu_seconds(database_pids())
        database_cpu += sum(cpu - database_before.get(pid, 0.0) for pid, cpu in database_after.items())
        scenario.seconds += seconds
        scenario.rates.append((scenario.operations - operations_before) / seconds)
        if scenario.exhausted:
            break
    scenario.per_second = statistics.median(scenario.rates)
    scenario.steal = steal / scenario.seconds
    scenario.load_generator_cpu = own_cpu / scenario.seconds
    scenario.other_cpu = max(
        0.0, (machine_cpu - own_cpu - scenario.worker_cpu_seconds - database_cpu) / scenario.seconds
    )
    scenario.worker_busy = scenario.worker_cpu_seconds / scenario.seconds
    if scenario.operations:
        scenario.per_worker_cpu_second = scenario.operations / scenario.worker_cpu_seconds
        scenario.database_cpu_ms_per_operation = database_cpu * 1000 / scenario.operations
        scenario.p50_ms = statistics.median(scenario.latencies_ms)
        scenario.p95_ms = statistics.quantiles(scenario.latencies_ms, n=100)[94]
    return scenario


# --- report ----------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = cpu_model()
    memory_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(memory_kib / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def versions() -> dict[str, str]:
    from importlib.metadata import version

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = str(cursor.fetchone()[0])
    connection.close()
    packages = ("django", "django-oauth-toolkit", "oauthlib", "jwcrypto", "argon2-cffi", "django-axes")
    return {"postgresql": postgres, **{name: version(name) for name in packages}}


def table(scenarios: list[Scenario]) -> str:
    rows = [
        f"| scenario | per second, {WORKERS} worker(s) on 1 core: median (runs) | per worker CPU-second "
        "| p50 | p95 | errors "
        "| workers' CPU / wall | PostgreSQL CPU per op | rest of machine / steal | Keycloak per vCPU |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in scenarios:
        keycloak = f"{s.keycloak_per_vcpu:.0f} {s.unit}/s" if s.keycloak_per_vcpu else "—"
        rows.append(
            f"| {s.name} | {s.per_second:,.1f} {s.unit}/s ({', '.join(f'{r:,.1f}' for r in s.rates)}) "
            f"| {s.per_worker_cpu_second:,.1f} | "
            f"{s.p50_ms:.1f} ms | {s.p95_ms:.1f} ms | {s.errors} | {s.worker_busy:.0%} | "
            f"{s.database_cpu_ms_per_operation:.2f} ms | {s.other_cpu:.2f} / {s.steal:.2f} cores | {keycloak} |"
        )
    return "\n".join(rows)


def main() -> None:
    os.sched_setaffinity(0, {CLIENT_CPU})
    fixture = prepare()
    idle = wait_until_idle(IDLE_WAIT)
    argon2_rate, argon2 = argon2_verifications_per_second()
    port = _free_port()
    server, workers = start_server(port)
    try:
        scenarios = [
            measure("/healthz (floor)", "req", healthz(port, fixture), workers),
            measure(
                "client_credentials grant",
                "grants",
                client_credentials(port, fixture),
                workers,
                KEYCLOAK_PER_VCPU["client_credentials"],
            ),
            measure(
                "refresh_token grant (with ID token)",
                "grants",
                refresh_token(port, fixture),
                workers,
                KEYCLOAK_PER_VCPU["refresh_token"],
            ),
            measure(
                "portal password sign-in (2 requests)",
                "sign-ins",
                password_sign_in(port, fixture),
                workers,
                KEYCLOAK_PER_VCPU["password_sign_in"],
            ),
            measure(
                "OIDC sign-in with password and code exchange (5 requests)",
                "sign-ins",
                oidc_sign_in(port, fixture),
                workers,
                KEYCLOAK_PER_VCPU["password_sign_in"],
            ),
        ]
    finally:
        server.terminate()
        server.wait(timeout=10)

    info = machine()
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "command": ".venv/bin/python bench/oidc.py",
        "machine": info,
        "versions": versions(),
        "server": f"gunicorn, {WORKERS} sync worker(s), taskset -c {SERVER_CPU}; DJANGO_ENV=production, DEBUG=false, "
        "LOCAL_SIGN_IN_SMS_CODE=false, django-axes on",
        "load_generator": f"this process on CPU {CLIENT_CPU}, {CONCURRENCY} concurrent loopback connections, "
        "a new connection per request, no TLS",
        "warm_up_seconds": WARM_UP,
        "seconds_per_run": DURATION,
        "runs": REPEATS,
        "concurrency": CONCURRENCY,
        "workers": WORKERS,
        "users": USERS,
        "refresh_tokens": REFRESH_TOKENS,
        "other_cores_busy_before_start": round(idle, 2),
        "argon2": {**argon2, "verifications_per_second_one_core": round(argon2_rate, 1)},
        "keycloak": {"source": KEYCLOAK_SOURCE, "per_vcpu": KEYCLOAK_PER_VCPU},
        "scenarios": [
            {
                k: (round(v, 3) if isinstance(v, float) else v)
                for k, v in asdict(s).items()
                if k != "latencies_ms"
            }
            for s in scenarios
        ],
    }
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")

    print(f"## bench/oidc.py — {result['date']}")
    print()
    print(f"- machine: {info['nproc']} × {info['cpu_model']}, {info['memory_gib']} GiB; {result['versions']}")
    print(f"- server: {result['server']}")
    print(
        f"- load: {result['load_generator']}; per scenario {WARM_UP:.0f} s warm-up then {REPEATS} runs of "
        f"{DURATION:.0f} s, each started on an idle machine"
    )
    print(
        f"- argon2id m={argon2['memory_kib']} KiB, t={argon2['time_cost']}, p={argon2['parallelism']}: "
        f"{argon2_rate:.1f} verifications/s in-process on one core ({1000 / argon2_rate:.1f} ms each)"
    )
    print()
    print(table(scenarios))
    print()
    for s in scenarios:
        if s.exhausted:
            print(
                f"- {s.name}: the refresh tokens ran out after {s.seconds:.1f} s (raise BENCH_REFRESH_TOKENS)"
            )
        if s.other_cpu > 0.5:
            print(
                f"- {s.name}: the rest of the machine used {s.other_cpu:.2f} cores: another job may skew it"
            )
        if s.first_error:
            print(f"- {s.name}: first error: {s.first_error}")
    print(f"- Keycloak figures: {KEYCLOAK_SOURCE}")
    print(f"- JSON: {RESULT_PATH.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
