"""Public statistics benchmark (issue 7, acceptance 2): with 5 million dossiers and 20 million status events on
PostgreSQL, the national statistics page and any province's page render in under 200 ms server-side. PostgreSQL
only.

1. Recreates the PostgreSQL database BENCH_STATS_DATABASE_URL (default
   postgres://postgres@127.0.0.1:5432/dichvucong_bench_stats), migrates it, loads the register of agencies and the
   demo catalogue (`catalogue.demo.load_demo`: provinces from `vietnam-provinces`, every commune's People's
   Committee, the provincial committees and branches, the central agencies) and `--citizens` accounts. Then
   generates `--dossiers` dossiers over the last 24 months and their status events with set-based SQL
   (`INSERT … SELECT` over `generate_series`; the events table's secondary indexes and the two tables' foreign
   keys are dropped during the load and recreated after, as a bulk load does): see `DOSSIERS_SQL` for the
   distribution. Then `--ratings` ratings of finished dossiers (SQL) and `--feedback` feedback (ORM `bulk_create`).
   `VACUUM ANALYZE` at the end. `--reuse` skips all this when the database was built with the same sizes.
2. Full recount through the product: `dichvucong.stats.services.rebuild()` (marks every row pending and rolls up);
   its time and rate. Then an independent recount in SQL of the national dossier and rating figures, month by
   month, against the rolled-up figures.
3. Incremental: `--increment` new status events (new counter dossiers with their record, results ready, results
   returned, processing steps, supplement requests on open dossiers) through the real sync
   (`dossiers.sync.ingest`, in batches of 1,000 per sending province or ministry), then `roll_up()` folds what the
   sync marked; its time and rate, and a check that the national figures moved by exactly the SQL recount of the
   dossiers touched.
4. Pages: `/thong-ke/`, `/thong-ke/tinh-<code>/` for several provinces and `/thong-ke/xep-hang/`, for the current
   year and the year two years back, with `STATS_CACHE_SECONDS=0` (nothing cached), each a full request through
   Django's test `Client` in-process (middleware, view, template) on the bench database, production settings;
   `--requests` timed requests after 3 warm-ups; p50 / p95 / max and the SQL queries per page.

Run: `.venv/bin/python bench/stats.py` (about 90 minutes at full size on two cores: 15 for the load, 67 for the full recount);
`--dossiers 20000` for a quick check. Prints a table; writes var/bench/stats.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.procstat import cpu_model, machine_cpu_seconds, wait_until_idle  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_STATS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dichvucong_bench_stats"
)
RESULT_PATH = ROOT / "var" / "bench" / "stats.json"
TZ = "Asia/Ho_Chi_Minh"
PAGE_PROVINCES = ("01", "79", "48", "31", "92", "22")

os.environ.update(
    {
        "DATABASE_URL": DATABASE_URL,
        "DJANGO_SETTINGS_MODULE": "dichvucong.settings",
        "DJANGO_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": "bench-stats-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "OUTBOX_DISPATCH": "none",
        "STATS_CACHE_SECONDS": "0",  # every page built from the figures on each request
        "PYTHONWARNINGS": "ignore::UserWarning",
    }
)


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=5_000_000)
    parser.add_argument(
        "--events-per-dossier", type=float, default=4.0, help="mean; processing steps fill up"
    )
    parser.add_argument("--ratings", type=int, default=300_000)
    parser.add_argument("--feedback", type=int, default=30_000)
    parser.add_argument("--citizens", type=int, default=50_000)
    parser.add_argument("--increment", type=int, default=100_000, help="status events through the sync")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page and period")
    parser.add_argument("--chunk", type=int, default=250_000, help="dossiers per INSERT statement")
    parser.add_argument("--reuse", action="store_true", help="keep the database if built with the same sizes")
    parser.add_argument(
        "--skip-rebuild", action="store_true", help="with --reuse: keep the figures as they are"
    )
    return parser.parse_args()


# --- 1. the database -------------------------------------------------------------------------------------------


def recreate_database() -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def built_with() -> dict[str, Any] | None:
    import psycopg

    try:
        with psycopg.connect(DATABASE_URL) as conn:
            row = conn.execute("SELECT info FROM bench_stats_info").fetchone()
            return dict(row[0]) if row else None
    except psycopg.Error:
        return None


def _sizes(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "dossiers": args.dossiers,
        "events_per_dossier": args.events_per_dossier,
        "ratings": args.ratings,
        "feedback": args.feedback,
        "citizens": args.citizens,
    }


# The agencies dossiers are spread over: communes (55 % of dossiers, uniform over the country's communes, so a
# province weighs by its number of communes), provincial agencies (33 %: each province's People's Committee and
# its branches of central agencies) and central agencies (12 %). Each province has its own habits: its share of
# late results (3-12 %) and how much more or less than the average its people apply online.
GROUP_SHARES = ((1, 0.55), (2, 0.88), (3, 1.0))

DOSSIERS_SQL = """
WITH s AS MATERIALIZED (
    SELECT g AS id, random() AS ug, random() AS ua, random() AS up, random() AS ut, random() AS uc,
           random() AS ux, random() AS ud, random() AS ur, random() AS us, random() AS uh, random() AS uf,
           random() AS uk, random() AS uo
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) g
), a AS MATERIALIZED (
    SELECT s.*,
           CASE WHEN ug < 0.55 THEN 1 WHEN ug < 0.88 THEN 2 ELSE 3 END AS grp,
           -- t: 0 two years ago, 1 now; twice as many dossiers now as two years ago (density 1 + t)
           (-1 + sqrt(1 + 3 * ut)) AS t
    FROM s
), b AS MATERIALIZED (
    SELECT a.*, ag.agency_id, ag.code AS agency_code, ag.late_share, ag.online_shift,
           p.code AS pcode, p.name AS pname, p.field AS pfield, p.online_level, p.limit_days,
           ((%(now)s::timestamptz AT TIME ZONE %(tz)s)::date - ((1 - a.t) * 730)::int) AS day0
    FROM a
    JOIN bench_agency ag ON ag.grp = a.grp AND ag.n = floor(a.ua * (%(agencies)s::int[])[a.grp])::int
    JOIN bench_proc p ON p.grp = a.grp AND p.n = floor(a.up * (%(procedures)s::int[])[a.grp])::int
), c AS MATERIALIZED (
    SELECT b.*,
           -- agencies receive on working days
           day0 - CASE extract(isodow FROM day0) WHEN 6 THEN 1 WHEN 7 THEN 2 ELSE 0 END AS day,
           CASE WHEN online_level = 'none' THEN (CASE WHEN uc < 0.03 THEN 3 ELSE 1 END)
                WHEN uc < least(0.95, greatest(0.05, 0.35 + 0.4 * t + online_shift)) THEN 2
                ELSE 1 END AS channel,
           us < 0.06 AS supplement,
           uo < 0.01 AS stopped
    FROM b
), d AS MATERIALIZED (
    SELECT c.*,
           least(%(now)s::timestamptz - interval '1 minute',
                 ((day + time '07:30') + uh * interval '8 hours') AT TIME ZONE %(tz)s) AS received,
           ((day + (limit_days * 7 / 5 + 1)) + time '17:00') AT TIME ZONE %(tz)s AS due0
    FROM c
), e AS MATERIALIZED (
    SELECT d.*,
           due0 + CASE WHEN supplement THEN interval '2 days' ELSE interval '0' END AS due,
           CASE
               WHEN stopped THEN NULL
               WHEN ux < late_share THEN due0 + CASE WHEN supplement THEN interval '2 days' ELSE interval '0' END
                    + (1 + ud * 9) * interval '1 day'
               WHEN ux < late_share + (1 - late_share) * 0.6 THEN received + (due0 - received) * (0.2 + 0.5 * ud)
               ELSE due0 + CASE WHEN supplement THEN interval '2 days' ELSE interval '0' END
                    - (1 + ud * 5) * interval '1 hour'
           END AS fin0
    FROM d
), f AS MATERIALIZED (
    SELECT e.*,
           CASE WHEN fin0 < %(now)s::timestamptz THEN fin0 END AS finished,
           CASE WHEN fin0 < %(now)s::timestamptz AND ur < 0.95
                     AND fin0 + interval '2 hours' + ur * interval '3 days' < %(now)s::timestamptz
                THEN fin0 + interval '2 hours' + ur * interval '3 days' END AS returned,
           least(%(now)s::timestamptz, received + interval '1 hour') AS processing_at,
           floor(greatest(0, %(extra_steps)s::float8) + uk)::int AS steps
    FROM e
), g AS MATERIALIZED (
    SELECT f.*,
           agency_code || '-' || to_char(day, 'YYMMDD') || '-' || lpad(id::text, 7, '0') AS code,
           CASE WHEN stopped THEN 8 WHEN returned IS NOT NULL THEN 10 WHEN finished IS NOT NULL THEN 9
                WHEN supplement AND received + interval '3 days' > %(now)s::timestamptz THEN 5 ELSE 4 END AS st
    FROM f
)
INSERT INTO dossiers_dossier (
    id, code, agency_id, procedure_code, procedure_name, field_name, origin, channel, owner_id, applicant_kind,
    applicant_name, applicant_id_number, applicant_email, applicant_phone, summary, status, status_at,
    status_event, submitted_at, received_at, due_at, original_due_at, finished_at, returned_at, delivered_at,
    overdue_notified_at, details, details_at, created_at, updated_at
)
SELECT id, code, agency_id, pcode, pname, pfield,
       CASE WHEN channel = 2 THEN 'portal' ELSE 'agency' END,
       channel,
       CASE WHEN channel = 2 AND %(users)s::int > 0 THEN %(first_user)s::bigint + id %% %(users)s::int END,
       CASE WHEN uf < 0.85 THEN 1 ELSE 2 END,
       (ARRAY['Nguyễn','Trần','Lê','Phạm','Hoàng','Huỳnh','Phan','Vũ','Võ','Đặng','Bùi','Đỗ'])[1 + id %% 12]
           || ' ' || (ARRAY['Văn An','Thị Bình','Minh Châu','Quốc Dũng','Thu Hà','Gia Huy','Ngọc Lan',
                            'Đức Minh','Thanh Tâm'])[1 + (id / 12) %% 9],
       lpad((id * 7919 %% 1000000000000)::text, 12, '0'),
       '', '', pname, st,
       CASE WHEN stopped THEN least(%(now)s::timestamptz, received + interval '1 day')
            ELSE coalesce(returned, finished,
                          CASE WHEN supplement THEN least(%(now)s::timestamptz, received + interval '1 day') END,
                          processing_at) END,
       code || ':' || CASE st WHEN 10 THEN '10' WHEN 9 THEN '09' WHEN 8 THEN '08' WHEN 5 THEN '05'
                              ELSE CASE WHEN supplement THEN '04b' ELSE '04' END END,
       CASE WHEN channel = 2 THEN received - (10 + uh * 600) * interval '1 minute' END,
       received, due, due0, finished, returned,
       CASE WHEN channel = 2 THEN received - (9 + uh * 600) * interval '1 minute' END,
       NULL,
       jsonb_strip_nulls(jsonb_build_object(
           'DanhSachLePhi', CASE WHEN uf < (CASE grp WHEN 1 THEN 0.25 ELSE 0.45 END)
               THEN '[{"TenPhiLePhi": "Lệ phí", "MucPhi": 50000}]'::jsonb END,
           'TaiLieuNop', CASE WHEN channel = 2 OR ud < 0.3
               THEN '[{"TenGiayTo": "Tờ khai", "MaThanhPhanHoSo": "TK"}]'::jsonb END,
           'DanhSachGiayToKetQua', CASE WHEN finished IS NOT NULL AND ur < (CASE channel WHEN 2 THEN 0.9 ELSE 0.5 END)
               THEN '[{"TenGiayTo": "Kết quả", "MaKetQua": "KQ.G15.000031"}]'::jsonb END
       )),
       received,
       coalesce(CASE WHEN channel = 2 THEN received - (10 + uh * 600) * interval '1 minute' END, received),
       %(now)s::timestamptz
FROM g
"""

# Each dossier's events, consistent with it: accepted (its received time), processing, supplement requested and
# resumed (6 %), processing steps (to reach --events-per-dossier on average), result ready (finished), returned,
# or stopped (1 %). Sent by the dossier's agency's system, through the API.
EVENTS_SQL = """
INSERT INTO dossiers_dossierevent (
    agency_id, event_id, dossier_id, status, occurred_at, actor_name, actor_title, unit, content,
    step_started_at, step_due_at, source, recorded_at
)
SELECT d.agency_id, d.code || ':' || v.suffix, d.id, v.status, v.at, v.actor, '', v.unit, v.content,
       NULL, NULL, 'api', v.at + interval '1 minute'
FROM dossiers_dossier d
CROSS JOIN LATERAL (
    SELECT '02' AS suffix, 2 AS status, d.received_at AS at, 'Nguyễn Thị Lan' AS actor,
           'Bộ phận tiếp nhận và trả kết quả' AS unit, 'Tiếp nhận hồ sơ' AS content
    UNION ALL
    SELECT '04', 4, least(%(now)s::timestamptz, d.received_at + interval '1 hour'), 'Trần Văn Hùng',
           'Bộ phận chuyên môn', 'Chuyển xử lý'
    UNION ALL
    SELECT '05', 5, least(%(now)s::timestamptz, d.received_at + interval '1 day'), 'Trần Văn Hùng',
           'Bộ phận chuyên môn', 'Yêu cầu bổ sung giấy tờ'
    WHERE d.due_at <> d.original_due_at AND d.status <> 8
    UNION ALL
    SELECT '04b', 4, d.received_at + interval '3 days', 'Trần Văn Hùng', 'Bộ phận chuyên môn',
           'Tiếp tục xử lý sau bổ sung'
    WHERE d.due_at <> d.original_due_at AND d.status <> 8 AND d.received_at + interval '3 days' <= %(now)s
    UNION ALL
    SELECT '04s' || k, 4,
           d.received_at + (coalesce(d.finished_at, %(now)s::timestamptz) - d.received_at) * k / (n.steps + 1),
           'Lê Minh Châu', 'Lãnh đạo phòng', 'Xem xét, trình ký'
    FROM (SELECT floor(greatest(0, %(extra_steps)s::float8) + ((d.id * 2654435761) %% 1000) / 1000.0)::int AS steps) n,
         generate_series(1, n.steps) k
    UNION ALL
    SELECT '09', 9, d.finished_at, 'Lê Minh Châu', 'Lãnh đạo phòng', 'Ký duyệt kết quả'
    WHERE d.finished_at IS NOT NULL
    UNION ALL
    SELECT '10', 10, d.returned_at, 'Nguyễn Thị Lan', 'Bộ phận tiếp nhận và trả kết quả', 'Trả kết quả'
    WHERE d.returned_at IS NOT NULL
    UNION ALL
    SELECT '08', 8, d.status_at, 'Lê Minh Châu', 'Lãnh đạo phòng', 'Dừng xử lý theo đề nghị'
    WHERE d.status = 8
) v
WHERE d.id BETWEEN %(first)s AND %(last)s
"""

RATINGS_SQL = """
INSERT INTO dossiers_rating (dossier_id, agency_id, procedure_code, scores, total, convenience, overall, comment,
                             created_at)
SELECT id, agency_id, procedure_code, to_jsonb(scores[1:9]), (SELECT sum(x) FROM unnest(scores[1:9]) x),
       scores[10], scores[11], '',
       least(%(now)s::timestamptz, finished_at + interval '1 hour' + random() * interval '3 days')
FROM (
    SELECT d.id, d.agency_id, d.procedure_code, d.finished_at,
           ARRAY(SELECT CASE WHEN r < ag.satisfied THEN 2 WHEN r < ag.satisfied + (1 - ag.satisfied) / 2 THEN 1
                             ELSE 0 END
                 FROM (SELECT random() + 0 * d.id AS r FROM generate_series(1, 11)) z) AS scores
    FROM dossiers_dossier d JOIN bench_agency ag ON ag.agency_id = d.agency_id
    WHERE d.finished_at IS NOT NULL AND d.id %% %(every)s = 0
) q
"""


def _province_habits(codes: list[str]) -> dict[str, tuple[float, float, float]]:
    """Province code → (share late, online shift, how satisfied): seeded, so every run builds the same."""
    rng = random.Random(7)
    return {
        code: (
            round(0.03 + 0.09 * rng.random(), 3),
            round(-0.12 + 0.24 * rng.random(), 3),
            round(0.5 + 0.45 * rng.random(), 3),
        )
        for code in codes
    }


def _scratch_tables(cursor: Any) -> tuple[list[int], list[int]]:
    """bench_agency and bench_proc: the agencies and procedures of each group, numbered from 0."""
    from dichvucong.catalogue.models import Procedure
    from dichvucong.organisations.models import AdministrativeUnit, Agency, AgencyLevel, UnitLevel

    provinces = list(
        AdministrativeUnit.objects.filter(level=UnitLevel.PROVINCE)
        .order_by("code")
        .values_list("code", flat=True)
    )
    habits = _province_habits(provinces)
    groups: dict[int, list[tuple[int, str, float, float, float]]] = defaultdict(list)
    for pk, code, level, province in Agency.objects.order_by("id").values_list(
        "id", "code", "level", "province__code"
    ):
        if level == AgencyLevel.CENTRAL:
            groups[3].append((pk, code, 0.04, 0.1, 0.8))
        else:
            late, shift, satisfied = habits[province]
            groups[1 if level == AgencyLevel.COMMUNE else 2].append((pk, code, late, shift, satisfied))
    cursor.execute("DROP TABLE IF EXISTS bench_agency, bench_proc")
    cursor.execute(
        "CREATE TABLE bench_agency (grp int, n int, agency_id bigint, code text, late_share float8, "
        "online_shift float8, satisfied float8, PRIMARY KEY (grp, n))"
    )
    rows = [(grp, n, *row) for grp, members in groups.items() for n, row in enumerate(members)]
    cursor.executemany("INSERT INTO bench_agency VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
    cursor.execute("CREATE INDEX ON bench_agency (agency_id)")
    rng = random.Random(3)
    procedures: dict[int, list[tuple[str, str, str, str, int]]] = defaultdict(list)
    for code, name, levels, online_level, fields in (
        Procedure.objects.filter(status="published")
        .order_by("code")
        .values_list("code", "name", "levels", "online_level", "fields__name")
    ):
        if any(p[0] == code for group in procedures.values() for p in group):
            continue
        limit = rng.choice((1, 3, 5, 7, 10, 15, 20))
        row = (code, name, fields or "", online_level, limit)
        if "commune" in levels:
            procedures[1].append(row)
        if "province" in levels:
            procedures[2].append(row)
        if "ministry" in levels or "other" in levels:
            procedures[3].append(row)
    cursor.execute(
        "CREATE TABLE bench_proc (grp int, n int, code text, name text, field text, online_level text, "
        "limit_days int, PRIMARY KEY (grp, n))"
    )
    cursor.executemany(
        "INSERT INTO bench_proc VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [(grp, n, *row) for grp, members in procedures.items() for n, row in enumerate(members)],
    )
    return [len(groups[g]) for g in (1, 2, 3)], [len(procedures[g]) for g in (1, 2, 3)]


def _dropped_constraints(cursor: Any, tables: tuple[str, ...]) -> list[str]:
    """Drop the secondary indexes and the foreign keys of these tables; returns the statements that restore
    them (their exact definitions, read from the catalogue)."""
    restore: list[str] = []
    for table in tables:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('f', 'u')",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cursor.fetchall()
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for name, definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
            restore.append(definition)
    # Unique constraints first (foreign keys of other tables may need them), then the rest.
    return sorted(restore, key=lambda s: ("UNIQUE" not in s, "FOREIGN KEY" in s))


def load(args: argparse.Namespace, now: dt.datetime) -> dict[str, float]:
    import django

    timings: dict[str, float] = {}
    started = time.perf_counter()
    recreate_database()
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from dichvucong.accounts.models import AccountKind, User
    from dichvucong.catalogue.demo import load_demo

    load_demo()
    User.objects.bulk_create(
        (
            User(
                username=f"09{i:08d}",
                password="!",
                kind=AccountKind.CITIZEN,
                full_name=f"Công dân đo tải {i}",
                email=f"cong.dan.{i}@example.vn",
                phone=f"09{i:08d}",
            )
            for i in range(args.citizens)
        ),
        batch_size=5000,
    )
    timings["schema, register, catalogue, citizens"] = time.perf_counter() - started

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_user SET date_joined = %s::timestamptz - random() * interval '730 days' "
            "WHERE kind = 'citizen'",
            [now],
        )
        agencies, procedures = _scratch_tables(cursor)
        cursor.execute("SELECT min(id), count(*), max(id) FROM accounts_user WHERE kind = 'citizen'")
        first_user, users, last_user = cursor.fetchone()
        if not users or last_user - first_user + 1 != users:
            first_user, users = 0, 0  # ids not contiguous: no owners
        restore = _dropped_constraints(cursor, ("dossiers_dossier", "dossiers_dossierevent"))
    print(f"  agencies per group {agencies}, procedures per group {procedures}", flush=True)
    base_events = (
        4.02  # measured: accepted, processing, supplement 6 % x 2, result 97 %, returned 94 %, stopped 1 %
    )
    params = {
        "now": now,
        "tz": TZ,
        "agencies": agencies,
        "procedures": procedures,
        "users": users,
        "first_user": first_user or 0,
        "extra_steps": args.events_per_dossier - base_events,
    }
    dossier_seconds = event_seconds = 0.0
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SELECT setseed(0.42)")
        for first in range(1, args.dossiers + 1, args.chunk):
            last = min(first + args.chunk - 1, args.dossiers)
            began = time.perf_counter()
            cursor.execute(DOSSIERS_SQL, {**params, "first": first, "last": last})
            mid = time.perf_counter()
            cursor.execute(EVENTS_SQL, {**params, "first": first, "last": last})
            dossier_seconds += mid - began
            event_seconds += time.perf_counter() - mid
            print(f"  generated {last:,} dossiers ({time.perf_counter() - started:.0f} s)", flush=True)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('dossiers_dossier', 'id'), (SELECT max(id) FROM dossiers_dossier))"
        )
    timings["dossiers INSERT … SELECT"] = dossier_seconds
    timings["events INSERT … SELECT"] = event_seconds
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for statement in restore:
            cursor.execute(statement)
    timings["indexes and foreign keys recreated"] = time.perf_counter() - started

    started = time.perf_counter()
    ratings = _load_ratings(args, now)
    timings[f"{ratings:,} ratings"] = time.perf_counter() - started
    started = time.perf_counter()
    _load_feedback(args, now)
    timings[f"{args.feedback:,} feedback"] = time.perf_counter() - started

    started = time.perf_counter()
    import psycopg

    connection.close()
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_proc")
        conn.execute("VACUUM ANALYZE")
        conn.execute("CREATE TABLE bench_stats_info (info jsonb)")
        conn.execute(
            "INSERT INTO bench_stats_info VALUES (%s)", [json.dumps({**_sizes(args), "now": now.isoformat()})]
        )
    timings["VACUUM ANALYZE"] = time.perf_counter() - started
    return timings


def _load_ratings(args: argparse.Namespace, now: dt.datetime) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM dossiers_dossier WHERE finished_at IS NOT NULL")
        finished = cursor.fetchone()[0]
        every = max(1, round(finished / max(1, args.ratings)))
        cursor.execute("SELECT setseed(0.17)")
        cursor.execute(RATINGS_SQL, {"now": now, "every": every})
        return int(cursor.rowcount)


def _load_feedback(args: argparse.Namespace, now: dt.datetime) -> None:
    """Feedback about agencies over the 24 months: most forwarded and answered (a tenth late), half of the
    answers published."""
    from dichvucong.feedback.models import Feedback, Kind, Status, Topic
    from dichvucong.organisations.models import Agency

    rng = random.Random(11)
    agencies = list(Agency.objects.values_list("id", flat=True))
    rows = []
    for i in range(args.feedback):
        received = now - dt.timedelta(days=730 * rng.random() ** 0.8, minutes=rng.randrange(600))
        due = received + dt.timedelta(days=15)
        answered = received + dt.timedelta(days=rng.uniform(2, 18)) if rng.random() < 0.85 else None
        if answered is not None and answered > now:
            answered = None
        published = answered + dt.timedelta(days=1) if answered and rng.random() < 0.5 else None
        if published is not None and published > now:
            published = None
        rows.append(
            Feedback(
                code=f"PAKN-B{i:08d}",
                topic=Topic.PROCEDURE,
                kind=rng.choice(list(Kind)),
                title=f"Phản ánh về việc giải quyết hồ sơ số {i}",
                content="Hồ sơ của tôi chậm so với giấy hẹn.",
                sender_name="Nguyễn Văn An",
                sender_address="Hà Nội",
                sender_phone="0912345678",
                status=Status.PUBLISHED if published else (Status.ANSWERED if answered else Status.ACCEPTED),
                received_at=received,
                forward_due_at=received + dt.timedelta(days=7),
                forwarded_at=received + dt.timedelta(days=1),
                due_at=due,
                answered_at=answered,
                published_at=published,
                agency_id=rng.choice(agencies),
            )
        )
    Feedback.objects.bulk_create(rows, batch_size=2000)


# --- 2. recount in SQL, independent of dichvucong.stats.sources ------------------------------------------------

TRUTHY = "({0} IS NOT NULL AND {0} NOT IN ('null', 'false', '0', '\"\"', '[]', '{{}}'))"
RECOUNT_RECEIVED = f"""
SELECT to_char(d.received_at AT TIME ZONE %(tz)s, 'YYYY-MM') AS m,
       count(*) AS received,
       count(*) FILTER (WHERE d.channel = 2) AS received_online,
       count(*) FILTER (WHERE d.channel = 2 AND p.lvl = 'full') AS received_online_full,
       count(*) FILTER (WHERE d.channel = 2 AND p.lvl IS DISTINCT FROM 'full') AS received_online_partial,
       count(*) FILTER (WHERE {TRUTHY.format("d.details->'fees'")} OR {TRUTHY.format("d.details->'DanhSachLePhi'")})
           AS received_with_fee,
       count(*) FILTER (WHERE {TRUTHY.format("d.details->'TaiLieuNop'")} OR EXISTS (
           SELECT 1 FROM dossiers_dossierdocument x WHERE x.dossier_id = d.id AND x.kind = 'submitted'))
           AS received_digitised
FROM dossiers_dossier d
LEFT JOIN (SELECT code, max(online_level) AS lvl FROM catalogue_procedure GROUP BY code) p ON p.code = d.procedure_code
WHERE d.received_at IS NOT NULL {{where}}
GROUP BY 1
"""
RECOUNT_RESOLVED = f"""
SELECT to_char(d.finished_at AT TIME ZONE %(tz)s, 'YYYY-MM') AS m,
       count(*) AS resolved,
       count(*) FILTER (WHERE d.due_at IS NOT NULL AND d.finished_at <= d.due_at
                        AND (d.finished_at AT TIME ZONE %(tz)s)::date < (d.due_at AT TIME ZONE %(tz)s)::date)
           AS resolved_early,
       count(*) FILTER (WHERE d.due_at IS NULL OR (d.finished_at <= d.due_at
                        AND (d.finished_at AT TIME ZONE %(tz)s)::date >= (d.due_at AT TIME ZONE %(tz)s)::date))
           AS resolved_on_time,
       count(*) FILTER (WHERE d.finished_at > d.due_at) AS resolved_late,
       count(*) FILTER (WHERE {TRUTHY.format("d.details->'DanhSachGiayToKetQua'")} OR EXISTS (
           SELECT 1 FROM dossiers_dossierdocument x WHERE x.dossier_id = d.id AND x.kind = 'result'))
           AS resolved_result_digitised
FROM dossiers_dossier d
WHERE d.finished_at IS NOT NULL {{where}}
GROUP BY 1
"""
RECOUNT_RATINGS = """
SELECT to_char(created_at AT TIME ZONE %(tz)s, 'YYYY-MM') AS m, count(*) AS ratings, sum(total) AS rating_points,
       count(*) FILTER (WHERE overall = 2) AS rating_very_satisfied,
       count(*) FILTER (WHERE overall = 1) AS rating_satisfied,
       count(*) FILTER (WHERE overall NOT IN (1, 2)) AS rating_not_satisfied
FROM dossiers_rating GROUP BY 1
"""


def recount(*, ids: list[int] | None = None, ratings: bool = False) -> Counter[tuple[str, str]]:
    """(YYYY-MM, metric) → national value, counted from the rows in SQL (the dossiers `ids` only, if given)."""
    from django.db import connection

    where = "AND d.id = ANY(%(ids)s)" if ids is not None else ""
    queries = [RECOUNT_RECEIVED.replace("{where}", where), RECOUNT_RESOLVED.replace("{where}", where)]
    if ratings:
        queries.append(RECOUNT_RATINGS)
    found: Counter[tuple[str, str]] = Counter()
    with connection.cursor() as cursor:
        for sql in queries:
            cursor.execute(sql, {"tz": TZ, "ids": ids})
            names = [c.name for c in cursor.description][1:]
            for month, *values in cursor.fetchall():
                for name, value in zip(names, values, strict=True):
                    found[(month, name)] += int(value or 0)
    return found


def national_figures(metrics: set[str]) -> Counter[tuple[str, str]]:
    from dichvucong.stats.models import Figure

    found: Counter[tuple[str, str]] = Counter()
    for month, metric, value in Figure.objects.filter(scope="VN", metric__in=metrics).values_list(
        "month", "metric", "value"
    ):
        found[(f"{month:%Y-%m}", metric)] += int(value)
    return found


def _differences(a: Counter[tuple[str, str]], b: Counter[tuple[str, str]]) -> dict[str, int]:
    keys = {k for k in set(a) | set(b) if a.get(k, 0) != b.get(k, 0)}
    return {f"{m}|{metric}": a.get((m, metric), 0) - b.get((m, metric), 0) for m, metric in sorted(keys)}


def full_rebuild(source_rows: int) -> dict[str, Any]:
    from dichvucong.stats import services
    from dichvucong.stats.models import Contribution, Figure

    began = time.perf_counter()
    cpu_before = machine_cpu_seconds()[0]
    done = services.rebuild()
    seconds = time.perf_counter() - began
    cores = (machine_cpu_seconds()[0] - cpu_before) / seconds
    counted = recount(ratings=True)
    rolled = national_figures({metric for _, metric in counted})
    diff = _differences(rolled, counted)
    return {
        "seconds": round(seconds, 1),
        "source_rows": source_rows,
        "rows_per_second": round(source_rows / seconds),
        "figures_written_last_pass": done.figures,
        "figure_rows": Figure.objects.count(),
        "contribution_rows": Contribution.objects.count(),
        "machine_cores_busy": round(cores, 2),
        "national_recount_matches": not diff,
        "national_recount_differences": dict(list(diff.items())[:20]),
        "national_values_checked": len(counted),
    }


# --- 3. incremental: events through the sync, then the roll-up -------------------------------------------------


def incremental(count: int, now: dt.datetime) -> dict[str, Any]:
    """`count` events through `sync.ingest`, from each province's (or ministry's) system, then `roll_up()`."""
    from django.db import connection

    from dichvucong.accounts.selectors import agency_tree_ids
    from dichvucong.dossiers import sync
    from dichvucong.dossiers.models import Dossier, Status
    from dichvucong.dossiers.national import DossierRecord
    from dichvucong.organisations.models import Agency, AgencyLevel
    from dichvucong.stats import services
    from dichvucong.stats.models import Pending

    rng = random.Random(5)
    # Who sends for an agency: its province's People's Committee, or its ministry (root of the central tree).
    rows = {
        pk: (code, level, parent, province)
        for pk, code, level, parent, province in Agency.objects.values_list(
            "id", "code", "level", "parent_id", "province__code"
        )
    }

    def sender_of(pk: int) -> int:
        """The ministry's system for a central agency or a branch of one (a province's police or tax office);
        the province's system for its People's Committee, its departments and its communes."""
        province = rows[pk][3]
        root = pk
        while rows[root][2] is not None:
            root = rows[root][2]
        return root if rows[root][1] == AgencyLevel.CENTRAL else committees[province]

    committees = dict(
        Agency.objects.filter(code__startswith="UBND-", level=AgencyLevel.PROVINCE).values_list(
            "province__code", "id"
        )
    )
    communes = list(
        Agency.objects.filter(level=AgencyLevel.COMMUNE).values_list("id", "code", "province__code")
    )
    open_rows = list(
        Dossier.objects.filter(finished_at__isnull=True, status__in=(2, 4, 5)).values_list(
            "id", "code", "agency_id"
        )
    )
    unreturned = list(
        Dossier.objects.filter(finished_at__isnull=False, returned_at__isnull=True, status=9).values_list(
            "id", "code", "agency_id"
        )
    )
    rng.shuffle(open_rows)
    rng.shuffle(unreturned)
    events: list[tuple[int, sync.EventIn]] = []  # (sending agency, event)
    touched: set[int] = set()
    # 30 % of the events: new counter dossiers, two events each (accepted with the record, processing). Codes
    # end in -9nnnnnn (the generated ones in their id, below 9,000,000), numbered on from an earlier run's, and
    # each run's event ids carry its number, so that `--reuse --skip-rebuild` can measure again.
    new_dossiers = int(count * 0.3) // 2
    earlier = Dossier.objects.filter(code__regex=r"-9[0-9]{6}$").count()
    run = earlier // max(new_dossiers, 1)
    for i in range(new_dossiers):
        agency_id, agency_code, province = communes[rng.randrange(len(communes))]
        at = now - dt.timedelta(minutes=rng.randrange(5, 3000))
        code = f"{agency_code}-{at.astimezone(dt.timezone(dt.timedelta(hours=7))):%y%m%d}-9{earlier + i:06d}"
        online = rng.random() < 0.5
        record = DossierRecord(
            code=code,
            agency_code=agency_code,
            procedure_code="1.001193",
            procedure_name="Thủ tục đăng ký khai sinh",
            field_name="Hộ tịch",
            applicant_name="Người nộp đo tải",
            applicant_kind=1,
            channel=2 if online else 1,
            status=Status.ACCEPTED,
            due_at=at + dt.timedelta(days=2),
            extra={"TaiLieuNop": [{"TenGiayTo": "Tờ khai"}]} if online or rng.random() < 0.3 else {},
        )
        sender = committees[province]
        events.append(
            (sender, sync.EventIn(f"inc{run}-{code}-02", code, Status.ACCEPTED, at, dossier=record))
        )
        events.append(
            (
                sender,
                sync.EventIn(
                    f"inc{run}-{code}-04",
                    code,
                    Status.PROCESSING,
                    at + dt.timedelta(minutes=30),
                    unit="Bộ phận chuyên môn",
                ),
            )
        )
    remaining = count - len(events)
    # The rest on existing dossiers: results ready (open dossiers), returned (finished ones), processing steps and
    # supplement requests (open dossiers).
    plan = [
        (Status.RESULT_READY, 0.4),
        (Status.RESULT_RETURNED, 0.3),
        (Status.PROCESSING, 0.2),
        (Status.SUPPLEMENT_REQUESTED, 0.1),
    ]
    next_open = 0  # each open dossier gets one of these events at most
    for status, share in plan:
        wanted = int(remaining * share)
        if status == Status.RESULT_RETURNED:
            picked = unreturned[:wanted]
        else:
            picked = open_rows[next_open : next_open + wanted]
            next_open += len(picked)
        for pk, code, agency_id in picked:
            at = now - dt.timedelta(minutes=rng.randrange(1, 600))
            events.append(
                (sender_of(agency_id), sync.EventIn(f"inc{run}-{code}-{status:02d}", code, status, at))
            )
            touched.add(pk)
    while len(events) < count and unreturned:  # top up with processing steps on any dossier
        pk, code, agency_id = unreturned[rng.randrange(len(unreturned))]
        at = now - dt.timedelta(minutes=rng.randrange(1, 600))
        events.append((sender_of(agency_id), sync.EventIn(f"inc{run}-{code}-s{len(events)}", code, 4, at)))
        touched.add(pk)

    metrics = {
        "received",
        "received_online",
        "received_online_full",
        "received_online_partial",
        "received_with_fee",
        "received_digitised",
        "resolved",
        "resolved_early",
        "resolved_on_time",
        "resolved_late",
        "resolved_result_digitised",
    }
    before_figures = national_figures(metrics)
    before_recount = recount(ids=sorted(touched))
    by_sender: dict[int, list[sync.EventIn]] = defaultdict(list)
    for sender, event in events:
        by_sender[sender].append(event)
    trees = {sender: frozenset(agency_tree_ids(sender)) for sender in by_sender}
    Pending.objects.all().delete()
    applied = rejected = 0
    reasons: Counter[str] = Counter()  # why an event was not applied (the sync's own checks)
    began = time.perf_counter()
    for sender, mine in sorted(by_sender.items()):
        source = sync.SyncSource(agency_id=sender, allowed_agency_ids=trees[sender])
        for start in range(0, len(mine), 1000):
            for result in sync.ingest(source=source, events=mine[start : start + 1000], now=now):
                applied += result.outcome == "applied"
                rejected += result.outcome == "rejected"
                if result.outcome != "applied":
                    reasons[result.message or result.outcome] += 1
    ingest_seconds = time.perf_counter() - began
    pending = Pending.objects.count()
    began = time.perf_counter()
    cpu_before = machine_cpu_seconds()[0]
    done = services.roll_up()
    roll_seconds = time.perf_counter() - began
    cores = (machine_cpu_seconds()[0] - cpu_before) / roll_seconds
    new_ids = list(
        Dossier.objects.filter(
            code__in=[
                e.dossier_code for _, e in events if e.event_id.endswith("-02") and e.dossier is not None
            ]
        ).values_list("id", flat=True)
    )
    after_recount = recount(ids=sorted(touched | set(new_ids)))
    after_figures = national_figures(metrics)
    expected = after_recount.copy()
    expected.subtract(before_recount)
    moved = after_figures.copy()
    moved.subtract(before_figures)
    diff = _differences(moved, expected)
    diff = {k: v for k, v in diff.items() if v}
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {
        "events": len(events),
        "applied": applied,
        "rejected": rejected,
        "not_applied_reasons": dict(reasons.most_common(5)),
        "new_dossiers": len(new_ids),
        "existing_dossiers_touched": len(touched),
        "ingest_seconds": round(ingest_seconds, 1),
        "ingest_events_per_second": round(len(events) / ingest_seconds),
        "pending_after_ingest": pending,
        "roll_up_seconds": round(roll_seconds, 2),
        "roll_up_objects": done.objects,
        "roll_up_rows_per_second": round(done.objects / roll_seconds) if roll_seconds else None,
        "roll_up_figures_written": done.figures,
        "roll_up_machine_cores_busy": round(cores, 2),
        "national_change": {f"{m}|{k}": v for (m, k), v in sorted(moved.items()) if v},
        "change_matches_recount": not diff,
        "change_differences": dict(list(diff.items())[:20]),
    }


# --- 4. pages --------------------------------------------------------------------------------------------------


def pages(requests: int, now: dt.datetime) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    assert settings.STATS_CACHE_SECONDS == 0, "pages must be built on every request"
    local_year = now.astimezone(dt.timezone(dt.timedelta(hours=7))).year
    periods = {"current year": "", "two years back": str(local_year - 2)}
    urls = [
        ("national", reverse("web:stats")),
        ("ranking (provinces)", reverse("web:stats_ranking")),
        ("ranking (ministries)", reverse("web:stats_ranking") + "?cap=bo"),
    ]
    urls += [
        (f"province {code}", reverse("web:stats_unit", kwargs={"slug": f"tinh-{code}"}))
        for code in PAGE_PROVINCES
    ]
    client = Client()
    results: dict[str, Any] = {}
    idle = wait_until_idle(180)
    cpu_before = machine_cpu_seconds()
    began = time.perf_counter()
    for period_name, key in periods.items():
        for name, url in urls:
            path = f"{url}{'&' if '?' in url else '?'}ky={key}" if key else url
            for _ in range(3):
                response = client.get(path, secure=True, HTTP_HOST="127.0.0.1")
                assert response.status_code == 200, (path, response.status_code)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path, secure=True, HTTP_HOST="127.0.0.1")
            query_count = len(queries)
            times = []
            for _ in range(requests):
                start = time.perf_counter()
                response = client.get(path, secure=True, HTTP_HOST="127.0.0.1")
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            body = response.content.decode()
            results[f"{name}, {period_name}"] = {
                "path": path,
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(statistics.quantiles(times, n=100, method="inclusive")[94], 1)
                if len(times) >= 2
                else round(times[0], 1),
                "max_ms": round(max(times), 1),
                "queries": query_count,
                "bytes": len(body),
            }
    wall = time.perf_counter() - began
    cpu_after = machine_cpu_seconds()
    return {
        "pages": results,
        "other_cores_busy_before": round(idle, 2),
        "machine_cores_busy_during": round((cpu_after[0] - cpu_before[0]) / wall, 2),
        "steal_seconds": round(cpu_after[1] - cpu_before[1], 1),
    }


# --- report ----------------------------------------------------------------------------------------------------


def table_sizes() -> dict[str, dict[str, Any]]:
    from django.db import connection

    sizes = {}
    with connection.cursor() as cursor:
        for table in (
            "dossiers_dossier",
            "dossiers_dossierevent",
            "dossiers_rating",
            "stats_figure",
            "stats_contribution",
            "stats_pending",
        ):
            cursor.execute(
                "SELECT pg_total_relation_size(%s::regclass), pg_relation_size(%s::regclass), "
                "(SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass)",
                [table, table, table],
            )
            total, heap, _estimate = cursor.fetchone()
            cursor.execute(f"SELECT count(*) FROM {table}")
            rows = cursor.fetchone()[0]
            sizes[table] = {"rows": rows, "total_mb": round(total / 2**20), "heap_mb": round(heap / 2**20)}
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        sizes["database"] = {"size": cursor.fetchone()[0]}
    return sizes


def machine() -> dict[str, Any]:
    from django.db import connection

    model = cpu_model()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": version,
        "shared_buffers": buffers,
    }


def main() -> None:
    args = options()
    timings: dict[str, float] = {}
    info = built_with() if args.reuse else None
    if info is not None and all(info.get(k) == v for k, v in _sizes(args).items()):
        now = dt.datetime.fromisoformat(info["now"])
        print(f"reusing the database built {info['now']}", flush=True)
    else:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        print(f"loading {args.dossiers:,} dossiers …", flush=True)
        began = time.perf_counter()
        timings = load(args, now)
        timings["total load"] = time.perf_counter() - began
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from dichvucong.dossiers.models import Dossier, DossierEvent, Rating
    from dichvucong.feedback.models import Feedback

    counts = {
        "dossiers": Dossier.objects.count(),
        "events": DossierEvent.objects.count(),
        "ratings": Rating.objects.count(),
        "feedback": Feedback.objects.count(),
        "accounts": get_user_model().objects.count(),
    }
    print(f"rows: {counts}", flush=True)
    rebuild: dict[str, Any] = {}
    if not args.skip_rebuild:
        print("full recount: stats.services.rebuild() …", flush=True)
        rebuild = full_rebuild(sum(counts.values()))
        print(f"  {rebuild}", flush=True)
    print(f"incremental: {args.increment:,} events through the sync, then roll_up() …", flush=True)
    increment = incremental(args.increment, dt.datetime.now(dt.UTC).replace(microsecond=0))
    print(f"  { {k: v for k, v in increment.items() if k != 'national_change'} }", flush=True)
    print("pages …", flush=True)
    measured = pages(args.requests, dt.datetime.now(dt.UTC))
    sizes = table_sizes()
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "command": " ".join(["python bench/stats.py", *sys.argv[1:]]),
        "machine": machine(),
        "sizes_requested": _sizes(args),
        "rows": counts,
        "load_timings_s": {k: round(v, 1) for k, v in timings.items()},
        "rebuild": rebuild,
        "incremental": increment,
        **measured,
        "table_sizes": sizes,
    }
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")

    print(f"\n## bench/stats.py — {result['date']}\n")
    print(f"- machine: {result['machine']}")
    print(f"- rows: {counts}; load: {result['load_timings_s']}")
    if rebuild:
        print(
            f"- full recount `rebuild()`: {rebuild['seconds']} s, {rebuild['rows_per_second']:,} source rows/s; "
            f"{rebuild['figure_rows']:,} figures, {rebuild['contribution_rows']:,} contributions; national recount "
            f"in SQL matches: {rebuild['national_recount_matches']}"
        )
    print(
        f"- incremental: {increment['events']:,} events through `sync.ingest` in {increment['ingest_seconds']} s; "
        f"`roll_up()` folded {increment['roll_up_objects']:,} dossiers in {increment['roll_up_seconds']} s "
        f"({increment['roll_up_rows_per_second']:,}/s); change matches recount: {increment['change_matches_recount']}"
    )
    print()
    print("| page | p50 | p95 | max | queries | goal |")
    print("|---|---|---|---|---|---|")
    for name, page in measured["pages"].items():
        print(
            f"| {name} `{page['path']}` | {page['p50_ms']} ms | {page['p95_ms']} ms | {page['max_ms']} ms | "
            f"{page['queries']} | < 200 ms |"
        )
    print()
    print(
        f"- machine busy during the pages: {measured['machine_cores_busy_during']} cores "
        f"(before: {measured['other_cores_busy_before']})"
    )
    print(f"- sizes: {sizes}")
    print(f"- JSON: {RESULT_PATH.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
