"""National status sync benchmark (issue 4, acceptance 4): events per second through the HTTP bulk API into a
database already holding millions of dossiers, beside a raw `COPY` of the same event rows on the same machine, and
the public look-up's p95 at that size. PostgreSQL only.

1. Recreates the PostgreSQL database BENCH_SYNC_DATABASE_URL (default
   postgres://postgres@127.0.0.1:5432/dichvucong_bench_sync), migrates it and loads the register of agencies. It
   registers one one-stop system (AgencyIntegration, HMAC key) per sending province, creates citizens, then loads
   `--dossiers` dossiers (default 5,000,000) spread over every agency of the country, and one event per dossier
   (its reception), with `COPY` from Python (psycopg's `cursor.copy`). A share of them (`--portal-share`) were
   made on the portal and have an owner, who is notified of each status change. `VACUUM ANALYZE` at the end, as
   autovacuum would in service. `--reuse` skips this when the database already holds the dossiers.
2. Prepares the batches: per sending province, `--batches` batches of 1,000 events on its own dossiers: mostly
   status changes of existing dossiers (some with a processing step), a tenth new counter dossiers with their
   record in the national field names, a twentieth duplicates (events of the sender's previous batch sent again).
3. Serves the portal with gunicorn (production settings, `--workers` sync workers, not pinned: PostgreSQL, the
   workers and this load generator share the machine's cores) and sends the batches from `--senders` threads,
   each a province's system signing its requests (Standard Webhooks). Events per second = events sent / wall time
   of the run, every answer checked (HTTP 200, one result per event, no unexpected rejection).
4. COPYs the same event rows (same columns, fresh event ids; duplicates once, as the API stores them) into the same table in one transaction, and reports
   its events per second and the ratio API / COPY.
5. Public look-up: `selectors.public_lookup(code, id number)` timed in-process on random dossiers (the public page
   does not exist yet), and `GET /api/v1/agency/dossiers/{code}` over HTTP; p50/p95.

Run: `.venv/bin/python bench/status_sync.py` (about half an hour at full size, most of it loading);
`--dossiers 200000` for a quick check. Prints a table; writes var/bench/status_sync.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.portal_server import HOST, request, start_server  # noqa: E402
from bench.procstat import cpu_model, cpu_seconds, machine_cpu_seconds, wait_until_idle  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_SYNC_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dichvucong_bench_sync"
)
RESULT_PATH = ROOT / "var" / "bench" / "status_sync.json"
SENDER_PROVINCES = ["UBND-01", "UBND-79", "UBND-31", "UBND-48", "UBND-92", "UBND-22", "UBND-38", "UBND-46"]
LOCAL = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
# The status a change sets: mostly processing, results ready and returned; a few supplements requested (which move
# the appointment), financial obligations and stops.
STATUS_CHANGES = (4, 5, 6, 8, 9, 10)
STATUS_WEIGHTS = (40, 4, 4, 2, 27, 23)

os.environ.update(
    {
        "DATABASE_URL": DATABASE_URL,
        "DJANGO_SETTINGS_MODULE": "dichvucong.settings",
        "DJANGO_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": "bench-status-sync-" + "x" * 40,
        "ALLOWED_HOSTS": HOST,
        "LOG_LEVEL": "WARNING",
        # Messages to owners are recorded in the outbox; the periodic sweep sends them (no broker in the bench).
        "OUTBOX_DISPATCH": "none",
        "PYTHONWARNINGS": "ignore::UserWarning",  # whitenoise: no collected static files, none served here
    }
)


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=5_000_000)
    parser.add_argument(
        "--portal-share", type=float, default=0.3, help="dossiers made on the portal (with owner)"
    )
    parser.add_argument("--citizens", type=int, default=50_000)
    parser.add_argument("--senders", type=int, default=4, help="concurrent sending systems (provinces)")
    parser.add_argument("--batches", type=int, default=60, help="batches of 1,000 events per sender")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--reuse", action="store_true", help="keep the database if it holds the dossiers")
    return parser.parse_args()


# --- 1. the database -------------------------------------------------------------------------------------------


def recreate_database() -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def dossier_count() -> int:
    import psycopg

    try:
        with psycopg.connect(DATABASE_URL) as conn:
            return int(conn.execute("SELECT count(*) FROM dossiers_dossier").fetchone()[0])  # type: ignore[index]
    except psycopg.Error:
        return 0


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def load(args: argparse.Namespace) -> dict[str, float]:
    """Migrate, register agencies and systems, citizens, dossiers and their first events (see the module)."""
    import django

    timings: dict[str, float] = {}
    started = time.perf_counter()
    recreate_database()
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection

    from dichvucong.accounts.models import AccountKind, User
    from dichvucong.core import signing
    from dichvucong.dossiers.models import AgencyIntegration
    from dichvucong.organisations.models import Agency
    from dichvucong.organisations.services import sync_register

    sync_register()
    for code in SENDER_PROVINCES:
        AgencyIntegration.objects.create(
            agency=Agency.objects.get(code=code),
            name=f"Hệ thống một cửa {code} (đo tải)",
            key_id=f"bench-{code}",
            secret=signing.new_secret(),
        )
    User.objects.bulk_create(
        User(
            username=f"09{i:08d}",
            password="!",
            kind=AccountKind.CITIZEN,
            full_name=f"Công dân đo tải {i}",
            email=f"cong.dan.{i}@example.vn",
            phone=f"09{i:08d}",
        )
        for i in range(args.citizens)
    )
    timings["schema, agencies, citizens (s)"] = time.perf_counter() - started

    agencies = list(Agency.objects.order_by("id").values_list("id", "code"))
    users = list(User.objects.order_by("id").values_list("id", flat=True))
    rng = random.Random(1)
    procedures = [
        ("1.001193", "Đăng ký khai sinh", "Hộ tịch"),
        ("1.004222", "Đăng ký thường trú", "Cư trú"),
        ("1.013225", "Cấp giấy phép xây dựng", "Hoạt động xây dựng"),
        ("2.001610", "Đăng ký thành lập doanh nghiệp tư nhân", "Thành lập và hoạt động doanh nghiệp"),
    ]
    dossier_columns = (
        "code, agency_id, procedure_code, procedure_name, field_name, origin, channel, owner_id, applicant_kind, "
        "applicant_name, applicant_id_number, applicant_email, applicant_phone, summary, status, status_at, "
        "status_event, submitted_at, received_at, due_at, original_due_at, finished_at, returned_at, delivered_at, "
        "overdue_notified_at, details, details_at, created_at, updated_at"
    )
    event_columns = (
        "agency_id, event_id, dossier_id, status, occurred_at, actor_name, actor_title, unit, content, "
        "step_started_at, step_due_at, source, recorded_at"
    )
    started = time.perf_counter()
    chunk = 200_000
    first_id = 1
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        for offset in range(0, args.dossiers, chunk):
            dossiers = io.StringIO()
            events = io.StringIO()
            for i in range(offset, min(offset + chunk, args.dossiers)):
                agency_id, agency_code = agencies[i % len(agencies)]
                k = i // len(agencies)
                received = NOW - dt.timedelta(days=30 + k // 4, minutes=rng.randrange(600))
                code = f"{agency_code}-{received.astimezone(LOCAL):%y%m%d}-{k % 4 + 1:04d}"
                procedure = procedures[i % len(procedures)]
                portal = rng.random() < args.portal_share
                status = rng.choice((2, 4, 4, 4, 9, 10))
                due = received + dt.timedelta(days=10)
                row = (
                    code,
                    agency_id,
                    procedure[0],
                    procedure[1],
                    procedure[2],
                    "portal" if portal else "agency",
                    2 if portal else 1,
                    users[i % len(users)] if portal else None,
                    1,
                    f"Công dân {i}",
                    f"{1 + i % 96:03d}0{(80 + i % 20):02d}{i:06d}"[-12:],
                    "",
                    "",
                    f"{procedure[1]} số {i}",
                    status,
                    received,
                    f"{code}:r",
                    received if portal else None,
                    received,
                    due,
                    due,
                    None,
                    None,
                    None,
                    None,
                    "{}",
                    None,
                    received,
                    received,
                )
                dossiers.write("\t".join(_copy_text(v) for v in row) + "\n")
                event = (
                    agency_id,
                    f"{code}:r",
                    first_id + i,
                    status,
                    received,
                    "",
                    "",
                    "Bộ phận một cửa",
                    "",
                    None,
                    None,
                    "api",
                    received,
                )
                events.write("\t".join(_copy_text(v) for v in event) + "\n")
            with raw.copy(f"COPY dossiers_dossier ({dossier_columns}) FROM STDIN") as copy:
                copy.write(dossiers.getvalue())
            with raw.copy(f"COPY dossiers_dossierevent ({event_columns}) FROM STDIN") as copy:
                copy.write(events.getvalue())
            print(f"  loaded {min(offset + chunk, args.dossiers):,} dossiers", flush=True)
        cursor.execute("SELECT min(id) FROM dossiers_dossier")
        assert cursor.fetchone()[0] == first_id, "the dossier ids must start at 1 (fresh database)"
    timings["COPY of dossiers and events (s)"] = time.perf_counter() - started
    started = time.perf_counter()
    connection.close()
    import psycopg

    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    timings["VACUUM ANALYZE (s)"] = time.perf_counter() - started
    return timings


# --- 2. the batches --------------------------------------------------------------------------------------------


def prepare_batches(
    args: argparse.Namespace,
) -> tuple[list[dict[str, Any]], dict[str, list[tuple[str, str]]]]:
    """Per sender: its key, secret and the bodies of its batches; and (code, id number) pairs for look-ups."""
    import django

    django.setup()
    from django.db import connection

    from dichvucong.accounts.selectors import agency_tree_ids
    from dichvucong.dossiers.models import AgencyIntegration, Dossier
    from dichvucong.organisations.models import Agency

    rng = random.Random(2)
    senders = []
    lookups: dict[str, list[tuple[str, str]]] = {}
    for province in SENDER_PROVINCES[: args.senders]:
        integration = AgencyIntegration.objects.get(key_id=f"bench-{province}")
        tree = sorted(agency_tree_ids(integration.agency_id))
        communes = list(Agency.objects.filter(parent_id=integration.agency_id).values_list("code", flat=True))
        existing = list(Dossier.objects.filter(agency_id__in=tree).values_list("code", "applicant_id_number"))
        lookups[province] = rng.sample(existing, min(len(existing), args.lookups))
        codes = [code for code, _ in existing]
        batches: list[bytes] = []
        previous: list[dict[str, Any]] = []
        new = 0
        for b in range(args.batches):
            events: list[dict[str, Any]] = []
            for n in range(850):
                status = rng.choices(STATUS_CHANGES, STATUS_WEIGHTS)[0]
                at = NOW - dt.timedelta(days=rng.randrange(20), minutes=rng.randrange(1440))
                event: dict[str, Any] = {
                    "id": f"b{b}-{n}-{uuid.uuid4().hex[:12]}",
                    "dossier_code": rng.choice(codes),
                    "status": status,
                    "occurred_at": at.astimezone(LOCAL).isoformat(),
                }
                if n % 2:
                    event["step"] = {
                        "actor_name": "Nguyễn Thị Lan",
                        "actor_title": "Công chức một cửa",
                        "unit": "Bộ phận tiếp nhận và trả kết quả",
                        "content": "Chuyển xử lý",
                    }
                events.append(event)
            for _ in range(100):
                new += 1
                commune = rng.choice(communes)
                at = NOW - dt.timedelta(minutes=rng.randrange(1, 600))
                code = f"{commune}-{at.astimezone(LOCAL):%y%m%d}-{new:05d}"
                events.append(
                    {
                        "id": f"{code}:2",
                        "dossier_code": code,
                        "status": 2,
                        "occurred_at": at.astimezone(LOCAL).isoformat(),
                        "dossier": {
                            "MaHoSo": code,
                            "MaTTHC": "1.001193",
                            "TenTTHC": "Đăng ký khai sinh",
                            "TenLinhVuc": "Hộ tịch",
                            "ChuHoSo": f"Người nộp tại quầy {new}",
                            "LoaiDoiTuong": 1,
                            "MaDoiTuong": f"079{new:09d}",
                            "SoDienThoai": "0912345678",
                            "TrichYeuHoSo": "Đăng ký khai sinh cho con",
                            "NgayTiepNhan": at.astimezone(LOCAL).strftime("%Y%m%d%H%M%S"),
                            "NgayHenTra": (at + dt.timedelta(days=1))
                            .astimezone(LOCAL)
                            .strftime("%Y%m%d%H%M%S"),
                            "TrangThaiHoSo": 2,
                            "HinhThuc": 1,
                            "DonViXuLy": commune,
                            "TaiLieuNop": [
                                {"TenTepDinhKem": "To khai dang ky khai sinh.pdf", "MaThanhPhanHoSo": "TK"}
                            ],
                            "DanhSachLePhi": [],
                        },
                    }
                )
            events += (
                rng.sample(previous, 50) if previous else [dict(e, id=e["id"] + "-x") for e in events[:50]]
            )
            rng.shuffle(events)
            previous = events
            batches.append(json.dumps({"events": events}, ensure_ascii=False).encode())
        senders.append(
            {
                "province": province,
                "key_id": integration.key_id,
                "secret": integration.secret,
                "batches": batches,
            }
        )
    connection.close()
    return senders, lookups


# --- processes ------------------------------------------------------------------------------------------------


def total_cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(pids).values())


def postgres_pids() -> list[int]:
    """Every PostgreSQL process (the server's children): backends, WAL writer, checkpointer…"""
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True)
    return sorted({int(p) for p in out.stdout.split()})


# --- 3. the HTTP run -------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def send_all(port: int, senders: list[dict[str, Any]], first: int, count: int) -> dict[str, Any]:
    """Each sender (thread) posts its batches first..first+count-1 in turn; returns counts and latencies."""
    from dichvucong.core import signing

    lock = threading.Lock()
    totals: dict[str, Any] = {
        "events": 0,
        "applied": 0,
        "duplicates": 0,
        "rejected": 0,
        "errors": 0,
        "latencies_ms": [],
        "first_error": "",
        "messages": {},
    }

    def run(sender: dict[str, Any]) -> None:
        for body in sender["batches"][first : first + count]:
            headers = {
                "Content-Type": "application/json",
                "x-dvc-key-id": sender["key_id"],
                **signing.sign(sender["secret"], f"msg_{uuid.uuid4().hex}", body),
            }
            began = time.perf_counter()
            status, content = request(port, "POST", "/api/v1/agency/status-events", body, headers)
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                if status != 200:
                    totals["errors"] += 1
                    totals["first_error"] = totals["first_error"] or f"{status} {content[:300]!r}"
                    continue
                answer = json.loads(content)
                totals["events"] += len(answer["results"])
                totals["latencies_ms"].append(elapsed)
                for key in ("applied", "duplicates", "rejected"):
                    totals[key] += answer[key]
                for item in answer["results"]:
                    if item["outcome"] == "rejected":
                        totals["messages"][item["message"]] = totals["messages"].get(item["message"], 0) + 1

    threads = [threading.Thread(target=run, args=(s,)) for s in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return totals


# --- 4. COPY of the same rows ----------------------------------------------------------------------------------


def copy_same_rows(senders: list[dict[str, Any]], first: int, count: int) -> tuple[int, float]:
    """The events the HTTP run sent, as rows of the events table with fresh ids, COPYed in one transaction;
    returns (rows, seconds). The rows are deleted afterwards (not timed)."""
    import psycopg

    with psycopg.connect(DATABASE_URL) as conn:
        agency = dict(conn.execute("SELECT key_id, agency_id FROM dossiers_agencyintegration").fetchall())
        rows = []
        codes = set()
        seen = set()
        for sender in senders:
            for body in sender["batches"][first : first + count]:
                for event in json.loads(body)["events"]:
                    key = (sender["key_id"], event["id"])
                    if key in seen:  # a duplicate adds no row through the API either
                        continue
                    seen.add(key)
                    codes.add(event["dossier_code"])
                    rows.append((agency[sender["key_id"]], event))
        ids = dict(
            conn.execute(
                "SELECT code, id FROM dossiers_dossier WHERE code = ANY(%s)", [list(codes)]
            ).fetchall()
        )
        lines = io.StringIO()
        recorded = dt.datetime.now(dt.UTC).isoformat()
        for agency_id, event in rows:
            step = event.get("step") or {}
            values = (
                agency_id,
                "copy-" + event["id"],
                ids[event["dossier_code"]],
                event["status"],
                event["occurred_at"],
                step.get("actor_name", ""),
                step.get("actor_title", ""),
                step.get("unit", ""),
                step.get("content", ""),
                None,
                None,
                "api",
                recorded,
            )
            lines.write("\t".join(_copy_text(v) for v in values) + "\n")
        data = lines.getvalue()
        columns = (
            "agency_id, event_id, dossier_id, status, occurred_at, actor_name, actor_title, unit, content, "
            "step_started_at, step_due_at, source, recorded_at"
        )
        began = time.perf_counter()
        with (
            conn.cursor() as cursor,
            cursor.copy(f"COPY dossiers_dossierevent ({columns}) FROM STDIN") as copy,
        ):
            copy.write(data)
        conn.commit()
        seconds = time.perf_counter() - began
        conn.execute("DELETE FROM dossiers_dossierevent WHERE event_id LIKE 'copy-%%'")
        conn.commit()
    return len(rows), seconds


# --- 5. look-ups -----------------------------------------------------------------------------------------------


def lookups(port: int, pairs: list[tuple[str, str]], sender: dict[str, Any]) -> dict[str, float]:
    import django

    django.setup()
    from dichvucong.core import signing
    from dichvucong.dossiers import selectors

    selector_ms = []
    for code, id_number in pairs:
        began = time.perf_counter()
        selectors.public_lookup(code=code, id_number=id_number)
        selector_ms.append((time.perf_counter() - began) * 1000)
    http_ms = []
    for code, _ in pairs[:1000]:
        headers = {
            "x-dvc-key-id": sender["key_id"],
            **signing.sign(sender["secret"], f"msg_{uuid.uuid4().hex}", b""),
        }
        began = time.perf_counter()
        status, _content = request(port, "GET", f"/api/v1/agency/dossiers/{code}", None, headers)
        http_ms.append((time.perf_counter() - began) * 1000)
        assert status == 200, status

    def pct(values: list[float], n: int) -> float:
        return statistics.quantiles(values, n=100)[n - 1]

    return {
        "selector_p50_ms": statistics.median(selector_ms),
        "selector_p95_ms": pct(selector_ms, 95),
        "http_p50_ms": statistics.median(http_ms),
        "http_p95_ms": pct(http_ms, 95),
        "selector_count": len(selector_ms),
        "http_count": len(http_ms),
    }


# --- report ----------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = cpu_model()
    import psycopg

    with psycopg.connect(DATABASE_URL) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]  # type: ignore[index]
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": version,
        "database_size": size,
    }


def main() -> None:
    args = options()
    timings: dict[str, float] = {}
    if not (args.reuse and dossier_count() >= args.dossiers):
        print(f"loading {args.dossiers:,} dossiers …", flush=True)
        timings = load(args)
    senders, pairs = prepare_batches(args)
    warm = 2
    port = _free_port()
    server, workers = start_server(port, args.workers)
    try:
        send_all(port, senders, 0, warm)
        idle_before = wait_until_idle(600)
        database = postgres_pids()
        cpu_before = (total_cpu(workers), total_cpu(database), time.process_time(), machine_cpu_seconds()[0])
        began = time.perf_counter()
        run = send_all(port, senders, warm, args.batches - warm)
        wall = time.perf_counter() - began
        cpu_after = (
            total_cpu(workers),
            total_cpu(postgres_pids()),
            time.process_time(),
            machine_cpu_seconds()[0],
        )
        look = lookups(port, pairs[senders[0]["province"]], senders[0])
    finally:
        server.terminate()
        server.wait(timeout=30)
    copied, copy_seconds = copy_same_rows(senders, warm, args.batches - warm)
    rate = run["events"] / wall
    copy_rate = copied / copy_seconds
    used = [after - before for before, after in zip(cpu_before, cpu_after, strict=True)]
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "command": "  ".join(["python bench/status_sync.py", *sys.argv[1:]]),
        "machine": machine(),
        "dossiers": args.dossiers,
        "portal_share": args.portal_share,
        "senders": args.senders,
        "workers": args.workers,
        "load_timings_s": {k: round(v, 1) for k, v in timings.items()},
        "other_cores_busy_before_run": round(idle_before, 2),
        "http": {
            "events": run["events"],
            "batches": len(run["latencies_ms"]),
            "seconds": round(wall, 2),
            "events_per_second": round(rate),
            "applied": run["applied"],
            "duplicates": run["duplicates"],
            "rejected": run["rejected"],
            "rejections": run["messages"],
            "errors": run["errors"],
            "first_error": run["first_error"],
            "batch_p50_ms": round(statistics.median(run["latencies_ms"]), 1),
            "batch_p95_ms": round(statistics.quantiles(run["latencies_ms"], n=100)[94], 1),
            "cpu_cores_used": {
                "gunicorn workers": round(used[0] / wall, 2),
                "postgresql": round(used[1] / wall, 2),
                "load generator": round(used[2] / wall, 2),
                "whole machine": round(used[3] / wall, 2),
            },
            "cpu_ms_per_batch": {
                "workers": round(used[0] * 1000 / len(run["latencies_ms"]), 1),
                "postgresql": round(used[1] * 1000 / len(run["latencies_ms"]), 1),
            },
        },
        "copy": {"events": copied, "seconds": round(copy_seconds, 2), "events_per_second": round(copy_rate)},
        "ratio_http_to_copy": round(rate / copy_rate, 3),
        "lookup": {k: round(v, 2) for k, v in look.items()},
    }
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    http_ = result["http"]
    print(f"\n## bench/status_sync.py — {result['date']}\n")
    print(f"- machine: {result['machine']}")
    print(
        f"- {args.dossiers:,} dossiers ({args.portal_share:.0%} from the portal, with owner); {args.senders} senders; "
        f"{args.workers} gunicorn sync workers; load: {timings}"
    )
    print()
    print("| figure | result | goal |")
    print("|---|---|---|")
    print(
        f"| events/s through `POST /api/v1/agency/status-events` | {rate:,.0f} ({http_['events']:,} events in "
        f"{http_['seconds']} s) | ≥ 10,000 |"
    )
    print(f"| events/s by `COPY` of the same rows | {copy_rate:,.0f} | |")
    print(f"| ratio API / COPY | {rate / copy_rate:.3f} | ≥ 0.25 |")
    print(f"| batch of 1,000: p50 / p95 | {http_['batch_p50_ms']} / {http_['batch_p95_ms']} ms | |")
    print(
        f"| public look-up (selector, in-process) p50 / p95 | {look['selector_p50_ms']:.2f} / {look['selector_p95_ms']:.2f} ms | p95 ≤ 20 ms |"
    )
    print(
        f"| `GET /api/v1/agency/dossiers/{{code}}` p50 / p95 | {look['http_p50_ms']:.2f} / {look['http_p95_ms']:.2f} ms | |"
    )
    print()
    print(
        f"- outcomes: applied {http_['applied']:,}, duplicates {http_['duplicates']:,}, rejected {http_['rejected']:,} "
        f"{http_['rejections']}; HTTP errors {http_['errors']} {http_['first_error']}"
    )
    print(
        f"- CPU cores used during the run: {http_['cpu_cores_used']}; per batch: {http_['cpu_ms_per_batch']}"
    )
    print(f"- JSON: {RESULT_PATH.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
