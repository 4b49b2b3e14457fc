"""Payment platform benchmark (issue 5, acceptance 4): provider notifications (IPN) processed per second over
HTTP, idempotently, and the reconciliation of a 1,000,000-line daily statement (time and peak memory; goals
under 60 s and under 300 MB). PostgreSQL only.

1. Recreates the PostgreSQL database BENCH_PAYMENTS_DATABASE_URL (default
   postgres://postgres@127.0.0.1:5432/dichvucong_bench_payments), migrates it, loads the register of agencies,
   registers a biller (Hà Nội traffic police) and two VNPAY-protocol providers: `bench-vnpay` for the
   notifications, `bench-recon` for the statement. Then, in SQL (INSERT … SELECT over generate_series, not the
   ORM), `--lines` orders of `bench-recon` paid on 2026-11-02 (Hà Nội time) with their bills, ledger postings,
   refunds, and a few hundred of each case reconciliation must find: notification never came (order still
   pending), paid here but absent from the statement, other amount, failed here but paid there, paid here but
   failed there, paid late and kept for refund, refunds listed and not listed, failures on both sides; plus
   statement lines for orders that do not exist. `VACUUM ANALYZE` at the end. `--reuse` skips all this when the
   database already holds them.
2. Notifications: per run, `--orders` fresh pending orders of `bench-vnpay` (SQL insert), each given a signed
   VNPAY IPN (`dichvucong.payments.providers.vnpay`: fields sorted, URL-encoded, HMAC-SHA512 with the hash
   secret) plus `--repeat-share` of them sent twice (VNPAY retries), shuffled, so that a repeat may race its
   original. The portal runs under gunicorn (production settings, `--workers` sync workers) and `--senders`
   threads send them (`GET /thanh-toan/tb/ipn/bench-vnpay/?…`, a new connection each, as VNPAY does). IPN/s =
   notifications answered / wall time; every answer must be RspCode 00 (applied) or 02 (already confirmed).
   After each run the database is checked: each order paid exactly once (one `pay:` posting, one receipt, one
   agency webhook in the outbox, no payment kept for refund), every posting balanced, and one provider message
   recorded per notification sent. `--runs` runs (default 3) after a warm-up; the median run is reported.
3. Reconciliation: the statement of `bench-recon` for that day is written to a CSV file by the database
   (`COPY … TO STDOUT`), then a separate Python process imports it (`reconciliation.import_statement`,
   streamed, COPY into the lines table) and reconciles it (`reconciliation.reconcile`, set-wise SQL); its time
   and its peak resident memory (ru_maxrss of that child, from wait4: Django's start-up included) are measured.
   The counts found are compared with those the data was built to have. The same file is then imported again
   (idempotent: the statement already stored is returned).

Run: `.venv/bin/python bench/payments.py` (about 10 minutes on 2 cores, half of it loading);
`--lines 100000 --orders 2000` for a quick check. Prints a table; writes var/bench/payments.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.portal_server import HOST, request, start_server  # noqa: E402
from bench.procstat import cpu_model, cpu_seconds, machine_cpu_seconds, wait_until_idle  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_PAYMENTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dichvucong_bench_payments"
)
RESULT_PATH = ROOT / "var" / "bench" / "payments.json"
STATEMENT_PATH = ROOT / "var" / "bench" / "payments-statement.csv"
DAY = dt.date(2026, 11, 2)
IPN_PROVIDER = "bench-vnpay"
RECON_PROVIDER = "bench-recon"
BILLER = "bench-csgt-ha-noi"
MERCHANT = "DVCQG001"
SECRET = "SANDBOXVNPAYSECRET2026DVCQG00001"
# How many of each case the reconciliation must find, among the `--lines` orders (see `load_statement_day`).
CASE = 300
REFUNDS_NOT_LISTED = 100
UNKNOWN_LINES = 100
REFUNDED = 100_000  # đồng refunded of each refunded order

os.environ.update(
    {
        "DATABASE_URL": DATABASE_URL,
        "DJANGO_SETTINGS_MODULE": "dichvucong.settings",
        "DJANGO_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": "bench-payments-" + "x" * 40,
        "ALLOWED_HOSTS": HOST,
        "LOG_LEVEL": "WARNING",
        # Agency webhooks are recorded in the outbox; the periodic sweep sends them (no broker in the bench).
        "OUTBOX_DISPATCH": "none",
        "PYTHONWARNINGS": "ignore::UserWarning",  # whitenoise: no collected static files, none served here
    }
)


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="orders of the statement's day")
    parser.add_argument("--orders", type=int, default=10_000, help="orders notified per IPN run")
    parser.add_argument("--repeat-share", type=float, default=0.15, help="notifications sent twice")
    parser.add_argument("--runs", type=int, default=3, help="IPN runs (the median is reported)")
    parser.add_argument("--senders", type=int, default=8, help="concurrent notification senders (threads)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database if it holds the statement day"
    )
    parser.add_argument("--skip-ipn", action="store_true")
    parser.add_argument("--skip-reconcile", action="store_true")
    parser.add_argument("--child-reconcile", metavar="CSV", help=argparse.SUPPRESS)
    return parser.parse_args()


def _connect(**kwargs: Any) -> Any:
    import psycopg

    return psycopg.connect(DATABASE_URL, **kwargs)


# --- 1. the database -------------------------------------------------------------------------------------------


def recreate_database() -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def statement_day_loaded(lines: int) -> bool:
    import psycopg

    try:
        with _connect() as conn:
            row = conn.execute("SELECT count(*) FROM bench_case").fetchone()
            return row is not None and int(row[0]) == lines
    except psycopg.Error:
        return False


def load(args: argparse.Namespace) -> dict[str, float]:
    """Schema, agencies, the biller and providers, then the statement's day (see the module)."""
    import django

    timings: dict[str, float] = {}
    started = time.perf_counter()
    recreate_database()
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from dichvucong.organisations.models import Agency
    from dichvucong.organisations.services import sync_register
    from dichvucong.payments.models import Biller, Provider, ServiceGroup

    sync_register()
    Biller.objects.create(
        code=BILLER,
        name="Hệ thống xử lý vi phạm giao thông – Công an thành phố Hà Nội (đo tải)",
        group=ServiceGroup.FINE,
        agency=Agency.objects.get(code="CA-01"),
        key_id=f"{BILLER}-key",
        secret="whsec_" + "A" * 44,
        webhook_url="http://127.0.0.1:9/webhook",
    )
    for code in (IPN_PROVIDER, RECON_PROVIDER):
        Provider.objects.create(
            code=code,
            name=f"VNPAY đo tải ({code})",
            protocol="vnpay",
            merchant_code=MERCHANT,
            secret=SECRET,
            endpoint_url="http://127.0.0.1:9",
        )
    connection.close()
    timings["schema, agencies, biller, providers (s)"] = time.perf_counter() - started
    started = time.perf_counter()
    load_statement_day(args.lines)
    timings[f"SQL insert of {args.lines:,} orders, bills, ledger, refunds (s)"] = (
        time.perf_counter() - started
    )
    started = time.perf_counter()
    with _connect(autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    timings["VACUUM ANALYZE (s)"] = time.perf_counter() - started
    return timings


def _ids(conn: Any) -> tuple[int, int, int, int]:
    biller, agency = conn.execute(
        "SELECT id, agency_id FROM payments_biller WHERE code = %s", [BILLER]
    ).fetchone()
    ipn = conn.execute("SELECT id FROM payments_provider WHERE code = %s", [IPN_PROVIDER]).fetchone()[0]
    recon = conn.execute("SELECT id FROM payments_provider WHERE code = %s", [RECON_PROVIDER]).fetchone()[0]
    return biller, agency, ipn, recon


def load_statement_day(n: int) -> None:
    """`n` orders of `bench-recon` on DAY, each of one case (table bench_case), with what the platform would
    have written for it: bill, order in its state, ledger postings, refunds."""
    k, r = CASE, REFUNDS_NOT_LISTED
    start = dt.datetime.combine(DAY, dt.time.min, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    with _connect() as conn:
        biller, agency, _ipn, provider = _ids(conn)
        conn.execute(
            """
            CREATE TABLE bench_case AS
            SELECT i, 'RC' || lpad(i::text, 8, '0') AS reference,
                %(start)s::timestamptz + make_interval(secs => (i - 1) * 86399.0 / %(n)s) AS at,
                CASE
                    WHEN i <= %(k)s THEN 'ipn_never_came'
                    WHEN i <= 2 * %(k)s THEN 'not_listed'
                    WHEN i <= 3 * %(k)s THEN 'other_amount'
                    WHEN i <= 4 * %(k)s THEN 'failed_here'
                    WHEN i <= 5 * %(k)s THEN 'failed_there'
                    WHEN i <= 6 * %(k)s THEN 'late'
                    WHEN i <= 7 * %(k)s THEN 'refunded'
                    WHEN i <= 7 * %(k)s + %(r)s THEN 'refund_not_listed'
                    WHEN i <= 8 * %(k)s + %(r)s THEN 'failed_both'
                    ELSE 'matched'
                END AS cat
            FROM generate_series(1, %(n)s) AS i
            """,
            {"start": start, "n": n, "k": k, "r": r},
        )
        conn.execute("CREATE UNIQUE INDEX ON bench_case (reference)")
        paid = "('other_amount', 'not_listed', 'failed_there', 'matched', 'refunded', 'refund_not_listed')"
        conn.execute(
            f"""
            INSERT INTO payments_bill (biller_id, "group", agency_id, reference, source, title, payer_name,
                amount, currency, due_date, lines, details, dossier_code, procedure_code, status, owner_id,
                fetched_at, created_at, updated_at)
            SELECT %s, 'fine', %s, c.reference, 'lookup', 'Nộp phạt vi phạm giao thông ' || c.i,
                'Người nộp ' || c.i, 1000000 + (c.i %% 100) * 1000, 'VND', NULL, '[]', '{{}}', '', '',
                CASE WHEN c.cat IN {paid} THEN 'paid' ELSE 'open' END, NULL, c.at - interval '10 minutes',
                c.at - interval '10 minutes', c.at
            FROM bench_case c
            """,
            [biller, agency],
        )
        conn.execute(
            f"""
            INSERT INTO payments_paymentorder (reference, bill_id, provider_id, amount, currency, status,
                channel, user_id, payer_name, client_ip, return_url, created_at, expires_at, paid_at,
                closed_at, provider_transaction, provider_bank, refund_due, refunded_amount, updated_at)
            SELECT c.reference, b.id, %s, b.amount, 'VND',
                CASE
                    WHEN c.cat IN ('refunded', 'refund_not_listed') THEN 'partially_refunded'
                    WHEN c.cat IN {paid} THEN 'paid'
                    WHEN c.cat = 'ipn_never_came' THEN 'pending'
                    WHEN c.cat = 'late' THEN 'expired'
                    ELSE 'failed'
                END,
                'portal', NULL, b.payer_name, NULL, '', c.at - interval '5 minutes',
                CASE WHEN c.cat = 'late' THEN c.at - interval '30 minutes' ELSE c.at + interval '10 minutes' END,
                CASE WHEN c.cat IN {paid} THEN c.at END,
                CASE WHEN c.cat IN ('failed_here', 'failed_both', 'late') THEN c.at END,
                CASE WHEN c.cat IN {paid} THEN 'VP' || c.i ELSE '' END, 'NCB',
                CASE WHEN c.cat = 'late' THEN b.amount ELSE 0 END,
                CASE WHEN c.cat IN ('refunded', 'refund_not_listed') THEN {REFUNDED} ELSE 0 END,
                c.at
            FROM bench_case c JOIN payments_bill b ON b.reference = c.reference AND b.biller_id = %s
            """,
            [provider, biller],
        )
        conn.execute(
            f"""
            INSERT INTO payments_ledgerentry (posting, kind, order_id, account, amount, at)
            SELECT 'pay:' || o.reference, 'payment', o.id, a.account, a.sign * o.amount, o.paid_at
            FROM payments_paymentorder o
            CROSS JOIN (VALUES ('provider:{RECON_PROVIDER}', 1), ('agency:{BILLER}', -1)) AS a(account, sign)
            WHERE o.provider_id = %s AND o.paid_at IS NOT NULL
            UNION ALL
            SELECT 'late:' || o.reference || ':VP' || c.i, 'late_payment', o.id, a.account, a.sign * o.amount,
                c.at
            FROM bench_case c JOIN payments_paymentorder o ON o.reference = c.reference
            CROSS JOIN (VALUES ('provider:{RECON_PROVIDER}', 1), ('refunds-due', -1)) AS a(account, sign)
            WHERE c.cat = 'late'
            UNION ALL
            SELECT 'refund:HT' || c.i, 'refund', o.id, a.account, a.sign * {REFUNDED}, c.at + interval '1 hour'
            FROM bench_case c JOIN payments_paymentorder o ON o.reference = c.reference
            CROSS JOIN (VALUES ('agency:{BILLER}', 1), ('provider:{RECON_PROVIDER}', -1)) AS a(account, sign)
            WHERE c.cat IN ('refunded', 'refund_not_listed')
            """,
            [provider],
        )
        conn.execute(
            f"""
            INSERT INTO payments_refund (reference, order_id, amount, of_refund_due, reason, status,
                provider_transaction, error, requested_by_id, created_at, finished_at)
            SELECT 'HT' || c.i, o.id, {REFUNDED}, false, 'Nộp thừa', 'succeeded', 'RF' || c.i, '', NULL,
                c.at + interval '1 hour', c.at + interval '1 hour'
            FROM bench_case c JOIN payments_paymentorder o ON o.reference = c.reference
            WHERE c.cat IN ('refunded', 'refund_not_listed')
            """
        )
        conn.commit()


def expected_counts(n: int) -> dict[str, int]:
    k, r, u = CASE, REFUNDS_NOT_LISTED, UNKNOWN_LINES
    return {
        "lines": n - k + k + u,  # no line for `not_listed`; a refund line for each `refunded`; unknown orders
        "matched": (n - 8 * k - r)
        + k
        + 2 * k
        + r,  # matched; late; refunded (payment and refund); not listed
        "failed": k,
        "missing_ours": k + u,
        "missing_provider": k + r,
        "amount": k,
        "status": 2 * k,
    }


def write_statement(path: Path) -> int:
    """The provider's file for DAY, written by the database (COPY … TO STDOUT); returns its size in bytes."""
    start = dt.datetime.combine(DAY, dt.time(12), tzinfo=dt.timezone(dt.timedelta(hours=7)))
    query = f"""
        COPY (
            SELECT reference, transaction, amount, 'VND', status,
                to_char(at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD"T"HH24:MI:SS') || '+07:00'
            FROM (
                SELECT c.at, 0 AS k, c.reference, 'VP' || c.i AS transaction,
                    o.amount + CASE WHEN c.cat = 'other_amount' THEN 1000 ELSE 0 END AS amount,
                    CASE WHEN c.cat IN ('failed_there', 'failed_both') THEN 'failed' ELSE 'success' END AS status
                FROM bench_case c JOIN payments_paymentorder o ON o.reference = c.reference
                WHERE c.cat <> 'not_listed'
                UNION ALL
                SELECT c.at + interval '1 hour', 1, c.reference, 'RF' || c.i, {REFUNDED}, 'refund'
                FROM bench_case c WHERE c.cat = 'refunded'
                UNION ALL
                SELECT '{start.isoformat()}'::timestamptz + g * interval '1 second', 2,
                    'RCX' || lpad(g::text, 8, '0'), 'VX' || g, 1500000, 'success'
                FROM generate_series(1, {UNKNOWN_LINES}) AS g
            ) AS x
            ORDER BY at, k
        ) TO STDOUT WITH (FORMAT csv)
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with _connect() as conn, conn.cursor() as cursor, path.open("wb") as out:
        out.write(b"order_reference,provider_transaction,amount,currency,status,paid_at\n")
        with cursor.copy(query) as copy:
            for data in copy:
                out.write(bytes(data))
    return path.stat().st_size


# --- 2. notifications ------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def database_backend_pids(conn: Any) -> list[int]:
    """The PostgreSQL backends serving the bench database but `conn`'s own (the workers' connections are kept
    open): other databases' work on the shared server is not counted, nor are the server's own background
    processes (WAL writer, checkpointer)."""
    rows = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    ).fetchall()
    return sorted(int(row[0]) for row in rows)


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU time used between two samples by the processes present in both."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys())


class BackendSampler(threading.Thread):
    """CPU time of the bench database's backends during a run, sampled every half second: the workers'
    connections are closed and opened again every CONN_MAX_AGE (60 s), so the backends change under a run. A
    backend first seen after the first sample counts from zero (it began during the run)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.conn = _connect(autocommit=True)
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.stopping = threading.Event()

    def sample(self, initial: bool = False) -> None:
        for pid, seconds in cpu_seconds(database_backend_pids(self.conn)).items():
            self.first.setdefault(pid, seconds if initial else 0.0)
            self.last[pid] = seconds

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            self.sample()

    def stop(self) -> float:
        self.stopping.set()
        self.join()
        self.sample()
        self.conn.close()
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def create_ipn_orders(prefix: str, count: int) -> list[tuple[str, int]]:
    """`count` pending orders of `bench-vnpay`, each on its own open bill, made now; returns (reference,
    amount) of each."""
    with _connect() as conn:
        biller, agency, provider, _recon = _ids(conn)
        conn.execute(
            """
            INSERT INTO payments_bill (biller_id, "group", agency_id, reference, source, title, payer_name,
                amount, currency, due_date, lines, details, dossier_code, procedure_code, status, owner_id,
                fetched_at, created_at, updated_at)
            SELECT %s, 'fine', %s, %s || i, 'lookup', 'Nộp phạt vi phạm giao thông ' || i, 'Người nộp ' || i,
                500000 + (i %% 40) * 50000, 'VND', NULL, '[]', '{}', '', '', 'open', NULL, now(), now(), now()
            FROM generate_series(1, %s) AS i
            """,
            [biller, agency, prefix + "-", count],
        )
        rows = conn.execute(
            """
            INSERT INTO payments_paymentorder (reference, bill_id, provider_id, amount, currency, status,
                channel, user_id, payer_name, client_ip, return_url, created_at, expires_at, paid_at,
                closed_at, provider_transaction, provider_bank, refund_due, refunded_amount, updated_at)
            SELECT %s || 'N' || lpad(substr(b.reference, length(%s) + 2), 8, '0'), b.id, %s, b.amount, 'VND',
                'pending', 'portal', NULL, b.payer_name, '127.0.0.1', '', now() - interval '1 minute',
                now() + interval '1 day', NULL, NULL, '', '', 0, 0, now()
            FROM payments_bill b WHERE b.biller_id = %s AND b.reference LIKE %s
            RETURNING reference, amount
            """,
            [prefix, prefix, provider, biller, prefix + "-%"],
        ).fetchall()
        conn.commit()
    return [(str(ref), int(amount)) for ref, amount in rows]


def signed_ipns(orders: list[tuple[str, int]], first_transaction: int) -> list[str]:
    """The IPN path of each order as VNPAY sends it: the vnp_* fields sorted and signed (HMAC-SHA512)."""
    from dichvucong.payments.providers import vnpay

    paid_at = vnpay.vnp_time(dt.datetime.now(dt.UTC))
    paths = []
    for n, (reference, amount) in enumerate(orders):
        fields = {
            "vnp_Amount": str(amount * 100),
            "vnp_BankCode": "NCB",
            "vnp_BankTranNo": f"VNP{first_transaction + n}",
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": f"Thanh toan phat vi pham {reference}",
            "vnp_PayDate": paid_at,
            "vnp_ResponseCode": "00",
            "vnp_TmnCode": MERCHANT,
            "vnp_TransactionNo": str(first_transaction + n),
            "vnp_TransactionStatus": "00",
            "vnp_TxnRef": reference,
        }
        query = vnpay.query_string(fields)
        paths.append(f"/thanh-toan/tb/ipn/{IPN_PROVIDER}/?{query}&vnp_SecureHash={vnpay.sign(SECRET, query)}")
    return paths


def send_all(port: int, paths: list[str], senders: int) -> dict[str, Any]:
    """Send every path from `senders` threads taking the next one in turn; answers' RspCode and latencies."""
    lock = threading.Lock()
    position = [0]
    codes: dict[str, int] = {}
    latencies: list[float] = []
    errors: list[str] = []

    def run() -> None:
        while True:
            with lock:
                index = position[0]
                position[0] += 1
            if index >= len(paths):
                return
            began = time.perf_counter()
            try:
                status, content = request(port, "GET", paths[index])
                code = json.loads(content)["RspCode"] if status == 200 else f"HTTP {status}"
            except (OSError, ValueError, KeyError) as exc:
                code = type(exc).__name__
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(elapsed)
                codes[code] = codes.get(code, 0) + 1
                if code not in ("00", "02") and len(errors) < 5:
                    errors.append(f"{paths[index][:80]} → {code}")

    threads = [threading.Thread(target=run) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"codes": codes, "latencies_ms": latencies, "errors": errors}


def check_run(prefix: str, count: int, sent: int, codes: dict[str, int]) -> dict[str, Any]:
    """What the answers said and the database holds for the run's orders: each paid once, every posting
    balanced."""
    like = prefix + "N%"
    with _connect() as conn:

        def one(sql: str, params: list[Any] | None = None) -> int:
            row = conn.execute(sql, params or []).fetchone()
            return int(row[0] or 0) if row else 0

        found = {
            "answers 00 (applied)": codes.get("00", 0),
            "answers 02 (already confirmed)": codes.get("02", 0),
            "other answers": sum(n for code, n in codes.items() if code not in ("00", "02")),
            "orders paid": one(
                "SELECT count(*) FROM payments_paymentorder WHERE reference LIKE %s AND status = 'paid'",
                [like],
            ),
            "payment postings": one(
                "SELECT count(DISTINCT posting) FROM payments_ledgerentry WHERE posting LIKE %s",
                ["pay:" + like],
            ),
            "ledger lines of payments": one(
                "SELECT count(*) FROM payments_ledgerentry WHERE posting LIKE %s", ["pay:" + like]
            ),
            "payments kept for refund": one(
                "SELECT count(*) FROM payments_ledgerentry WHERE posting LIKE %s", ["late:" + like]
            ),
            "receipts": one(
                "SELECT count(*) FROM payments_receipt r JOIN payments_paymentorder o ON o.id = r.order_id "
                "WHERE o.reference LIKE %s",
                [like],
            ),
            "agency webhooks in the outbox": one(
                "SELECT count(*) FROM core_outboxmessage WHERE topic = 'payments.notify_agency' AND key LIKE %s",
                [like],
            ),
            "provider messages recorded": one(
                "SELECT count(*) FROM payments_providercallback WHERE order_reference LIKE %s", [like]
            ),
            "unbalanced postings (whole ledger)": one(
                "SELECT count(*) FROM (SELECT posting FROM payments_ledgerentry GROUP BY posting "
                "HAVING sum(amount) <> 0) AS x"
            ),
            "ledger total (whole ledger)": one("SELECT sum(amount) FROM payments_ledgerentry"),
        }
    wanted = {
        "answers 00 (applied)": count,
        "answers 02 (already confirmed)": sent - count,
        "other answers": 0,
        "orders paid": count,
        "payment postings": count,
        "ledger lines of payments": 2 * count,
        "payments kept for refund": 0,
        "receipts": count,
        "agency webhooks in the outbox": count,
        "provider messages recorded": sent,
        "unbalanced postings (whole ledger)": 0,
        "ledger total (whole ledger)": 0,
    }
    return {"found": found, "ok": found == wanted, "wanted": wanted}


def ipn_runs(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    rng = random.Random(5)
    stamp = time.strftime("%H%M%S")
    batches = []
    for run in range(args.runs + 1):  # run 0 is the warm-up
        prefix = f"BI{stamp}R{run}"
        orders = create_ipn_orders(prefix, max(200, args.orders // 10) if run == 0 else args.orders)
        paths = signed_ipns(orders, 10_000_000 * (run + 1))
        repeats = rng.sample(paths, int(len(paths) * args.repeat_share))
        sent = paths + repeats
        rng.shuffle(sent)
        batches.append((prefix, len(orders), sent))
    with _connect(autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE payments_bill")
        conn.execute("VACUUM ANALYZE payments_paymentorder")
    port = _free_port()
    server, workers = start_server(port, args.workers)
    runs = []
    try:
        prefix, count, sent = batches[0]
        send_all(port, sent, args.senders)
        for prefix, count, sent in batches[1:]:
            idle = wait_until_idle(600)
            backends = BackendSampler()
            backends.sample(initial=True)
            backends.start()
            cpu_before = (
                cpu_seconds(workers),
                time.process_time(),
                machine_cpu_seconds()[0],
            )
            began = time.perf_counter()
            answers = send_all(port, sent, args.senders)
            wall = time.perf_counter() - began
            cpu_after = (
                cpu_seconds(workers),
                time.process_time(),
                machine_cpu_seconds()[0],
            )
            backends_cpu = backends.stop()
            check = check_run(prefix, count, len(sent), answers["codes"])
            latencies = answers["latencies_ms"]
            used = [
                cpu_delta(cpu_before[0], cpu_after[0]),
                backends_cpu,
                cpu_after[1] - cpu_before[1],
                cpu_after[2] - cpu_before[2],
            ]
            runs.append(
                {
                    "orders": count,
                    "notifications": len(sent),
                    "seconds": round(wall, 2),
                    "ipn_per_second": round(len(sent) / wall, 1),
                    "p50_ms": round(statistics.median(latencies), 1),
                    "p95_ms": round(statistics.quantiles(latencies, n=100)[94], 1),
                    "answers": answers["codes"],
                    "errors": answers["errors"],
                    "check": check,
                    "other_cores_busy_before_run": round(idle, 2),
                    "cpu_cores_used": {
                        "gunicorn workers": round(used[0] / wall, 2),
                        "postgresql backends": round(used[1] / wall, 2),
                        "load generator": round(used[2] / wall, 2),
                        "whole machine": round(used[3] / wall, 2),
                    },
                    "cpu_ms_per_notification": {
                        "gunicorn workers": round(used[0] * 1000 / len(sent), 1),
                        "postgresql backends": round(used[1] * 1000 / len(sent), 1),
                    },
                }
            )
            print(
                f"  IPN run: {runs[-1]['ipn_per_second']}/s, p95 {runs[-1]['p95_ms']} ms, "
                f"answers {answers['codes']}, checks {'ok' if check['ok'] else check['found']}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    median = sorted(runs, key=lambda r: r["ipn_per_second"])[len(runs) // 2]
    return {"runs": runs, "median": median}


# --- 3. reconciliation -----------------------------------------------------------------------------------------


def child_reconcile(path: str) -> None:
    """In its own process: import and reconcile the statement file; prints the timings and counts as JSON."""
    import django

    django.setup()
    from dichvucong.payments import reconciliation
    from dichvucong.payments.models import Provider

    provider = Provider.objects.get(code=RECON_PROVIDER)
    began = time.perf_counter()
    with open(path, "rb") as file:
        statement = reconciliation.import_statement(
            provider=provider, day=DAY, file=file, file_name=Path(path).name, actor=None
        )
    imported = time.perf_counter()
    statement = reconciliation.reconcile(statement)
    reconciled = time.perf_counter()
    with open(path, "rb") as file:
        again = reconciliation.import_statement(
            provider=provider, day=DAY, file=file, file_name=Path(path).name, actor=None
        )
    repeated = time.perf_counter()
    print(
        json.dumps(
            {
                "import_s": round(imported - began, 2),
                "reconcile_s": round(reconciled - imported, 2),
                "import_again_s": round(repeated - reconciled, 2),
                "same_statement_again": again.pk == statement.pk,
                "counts": statement.counts,
                "rss_after_kb": int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
            }
        ),
        flush=True,
    )


def reconcile_run(args: argparse.Namespace) -> dict[str, Any]:
    with _connect() as conn:
        conn.execute("TRUNCATE payments_discrepancy, payments_statementline, payments_statement")
        conn.commit()
    began = time.perf_counter()
    size = write_statement(STATEMENT_PATH)
    written = time.perf_counter() - began
    wait_until_idle(300)
    began = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, __file__, "--child-reconcile", str(STATEMENT_PATH)],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"the reconciliation process failed ({child.returncode})")
    result = json.loads(output.decode().strip().splitlines()[-1])
    expected = expected_counts(args.lines)
    found = {k: result["counts"].get(k) for k in expected}
    return {
        "statement_bytes": size,
        "statement_written_s": round(written, 2),
        "process_wall_s": round(wall, 2),
        "import_s": result["import_s"],
        "reconcile_s": result["reconcile_s"],
        "import_plus_reconcile_s": round(result["import_s"] + result["reconcile_s"], 2),
        "import_again_s": result["import_again_s"],
        "same_statement_again": result["same_statement_again"],
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "counts": result["counts"],
        "counts_as_built": found == expected,
        "expected_counts": expected,
    }


# --- report ----------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = cpu_model()
    with _connect() as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        settings = dict(
            conn.execute(
                "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name IN "
                "('shared_buffers', 'work_mem', 'maintenance_work_mem', 'synchronous_commit', 'max_wal_size')"
            ).fetchall()
        )
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
    memory = next(
        (
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        "0",
    )
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(int(memory) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": version,
        "postgresql_settings": settings,
        "database_size": size,
    }


def main() -> None:
    args = options()
    if args.child_reconcile:
        child_reconcile(args.child_reconcile)
        return
    timings: dict[str, float] = {}
    if not (args.reuse and statement_day_loaded(args.lines)):
        print(f"loading {args.lines:,} orders of the statement's day …", flush=True)
        timings = load(args)
    ipn = None if args.skip_ipn else ipn_runs(args)
    recon = None if args.skip_reconcile else reconcile_run(args)
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "command": " ".join(["python bench/payments.py", *sys.argv[1:]]),
        "machine": machine(),
        "load_timings_s": {k: round(v, 1) for k, v in timings.items()},
        "ipn": ipn,
        "reconciliation": recon,
    }
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"\n## bench/payments.py — {result['date']}\n")
    print(f"- machine: {result['machine']}")
    if timings:
        print(f"- load: {result['load_timings_s']}")
    print()
    print("| figure | result | goal |")
    print("|---|---|---|")
    if ipn is not None:
        median = ipn["median"]
        rates = ", ".join(str(r["ipn_per_second"]) for r in ipn["runs"])
        print(
            f"| IPN/s, {args.workers} gunicorn sync workers, {args.senders} senders, "
            f"{args.repeat_share:.0%} repeats (median of {len(ipn['runs'])}: {rates}) | "
            f"{median['ipn_per_second']} | |"
        )
        print(f"| IPN latency p50 / p95 (median run) | {median['p50_ms']} / {median['p95_ms']} ms | |")
        print(
            f"| each order paid once, ledger balanced (every run) | "
            f"{'yes' if all(r['check']['ok'] for r in ipn['runs']) else 'NO'} | yes |"
        )
    if recon is not None:
        print(
            f"| import + reconcile of {recon['counts']['lines']:,} lines | {recon['import_plus_reconcile_s']} s "
            f"(import {recon['import_s']} s, reconcile {recon['reconcile_s']} s) | < 60 s |"
        )
        print(f"| peak RSS of the importing process | {recon['peak_rss_mb']} MB | < 300 MB |")
        print(f"| counts found = counts built | {'yes' if recon['counts_as_built'] else 'NO'} | yes |")
        print(
            f"| same file again (hash only) | {recon['import_again_s']} s, same statement: "
            f"{'yes' if recon['same_statement_again'] else 'NO'} | |"
        )
    print()
    if ipn is not None:
        for run in ipn["runs"]:
            print(
                f"- IPN run: {json.dumps({k: v for k, v in run.items() if k != 'check'}, ensure_ascii=False)}"
            )
            if not run["check"]["ok"]:
                print(f"  CHECK FAILED: found {run['check']['found']}, wanted {run['check']['wanted']}")
    if recon is not None:
        print(f"- reconciliation counts: {recon['counts']}")
    print(f"- JSON: {RESULT_PATH.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
