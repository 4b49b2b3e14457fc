"""Search and detail-page benchmark on PostgreSQL (issue 2, acceptance 4).

1. Loads the register, the demo catalogue and a synthetic one of 10,000 procedures and 10,000 FAQ into the
   database named by BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/dichvucong_bench).
2. Times 200 realistic queries server-side: each is a full request to GET /api/v1/procedures?q=… handled
   in-process by Django (routing, validation, search, serialisation; no network), p50/p95.
3. Serves the portal with gunicorn (production settings, 2 sync workers) and measures the throughput of a
   procedure detail page and of the minimal view /healthz under the same settings, and their ratio.

Run: `make bench` (or `.venv/bin/python bench/search.py`). Results go to stdout as Markdown for
docs/benchmarks.md.
"""

from __future__ import annotations

import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dichvucong_bench")
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dichvucong.settings")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

PROCEDURES = int(os.environ.get("BENCH_PROCEDURES", "10000"))
FAQS = int(os.environ.get("BENCH_FAQS", "10000"))
DURATION = float(os.environ.get("BENCH_SECONDS", "15"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))

# What citizens type: with and without diacritics, abbreviations, colloquial names, typos, half-typed words.
BASE_QUERIES = [
    "cap lai ho chieu",
    "hộ chiếu",
    "ho chieu pho thong",
    "lý lịch tư pháp",
    "ly lich tu phap",
    "LLTP",
    "phieu ly lich tu phap so 2",
    "đăng ký khai sinh",
    "dang ky khai sinh",
    "khai sinh cho con",
    "giay khai sinh",
    "đăng ký kết hôn",
    "dang ky ket hon",
    "xac nhan tinh trang hon nhan",
    "khai tử",
    "dang ky khai tu",
    "đổi giấy phép lái xe",
    "doi bang lai xe",
    "GPLX",
    "bằng lái",
    "bang lai quoc te",
    "cap giay phep lai xe",
    "đăng ký thường trú",
    "dang ky thuong tru",
    "ho khau",
    "xoa dang ky thuong tru",
    "tam tru",
    "căn cước",
    "CCCD",
    "cmnd",
    "cap doi can cuoc",
    "lam lai can cuoc",
    "can cuoc cho tre duoi 14 tuoi",
    "giấy phép xây dựng",
    "giay phep xay dung nha o rieng le",
    "GPXD",
    "xin phep xay nha",
    "sổ đỏ",
    "so do lan dau",
    "giay chung nhan quyen su dung dat",
    "dang ky dat dai",
    "thành lập công ty TNHH",
    "thanh lap cong ty",
    "dang ky doanh nghiep",
    "ĐKKD",
    "dang ky ho kinh doanh",
    "giay phep kinh doanh",
    "trợ cấp thất nghiệp",
    "tro cap that nghiep",
    "BHXH tu nguyen",
    "bảo hiểm xã hội tự nguyện",
    "BHYT",
    "the bao hiem y te",
    "chứng thực bản sao",
    "chung thuc ban sao",
    "passport",
    "driving licence",
    "birth registration",
    "marriage",
    "building permit",
    "ho chieeu",
    "ly lich tu phapp",
    "giay phep lai xeh",
    "khai sihn",
    "thuong tru ",
    "giay phep kinh",
    "du lich",
    "kinh doanh dich vu lu hanh",
    "karaoke",
    "an toan thuc pham",
    "phong chay chua chay",
    "cap lai giay phep",
    "cap doi giay chung nhan",
    "le phi",
    "thoi han giai quyet",
    "nop ho so truc tuyen",
    "1.001193",
    "3.000333",
    "lao dong nuoc ngoai",
    "giay phep lao dong",
    "nuoi con nuoi",
    "quoc tich",
    "cong chung",
    "thua phat lai",
    "luat su",
    "dau gia tai san",
    "duoc pham",
    "my pham",
    "thiet bi y te",
    "kham benh chua benh",
    "chung chi hanh nghe",
    "van tai hanh khach",
    "xuat khau gao",
    "xang dau",
    "bao ve moi truong",
    "tai nguyen nuoc",
    "nha o xa hoi",
    "thu y",
    "thuoc bao ve thuc vat",
]


def queries(count: int = 200, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    chosen = list(BASE_QUERIES)
    while len(chosen) < count:
        q = rng.choice(BASE_QUERIES)
        cut = rng.choice([None, None, -1, -2])
        chosen.append(q[:cut] if cut and len(q) > 6 else q)
    return chosen[:count]


def prepare() -> str:
    import django

    django.setup()
    from django.core.management import call_command

    _ensure_database()
    call_command("migrate", verbosity=0)
    from dichvucong.catalogue.models import Procedure

    if not Procedure.objects.filter(synthetic=False).exists():
        call_command("loaddemo", verbosity=0)
    if Procedure.objects.filter(synthetic=True).count() != PROCEDURES:
        call_command("gensynthetic", procedures=PROCEDURES, faqs=FAQS, verbosity=0)
    from django.db import connection

    # The synthetic load replaces tens of thousands of rows; leave the tables as autovacuum would.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    demo = Procedure.objects.filter(synthetic=False, status="published").order_by("code").first()
    return demo.code if demo else "9.000001"


def _ensure_database() -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def time_queries() -> tuple[list[float], int]:
    from django.test import Client

    client = Client()
    for q in queries()[:20]:  # warm caches and connections
        client.get("/api/v1/procedures", {"q": q, "limit": 20})
    timings = []
    empty = 0
    for q in queries():
        start = time.perf_counter()
        response = client.get("/api/v1/procedures", {"q": q, "limit": 20})
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (q, response.status_code)
        if response.json()["count"] == 0:
            empty += 1
    return timings, empty


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load(port: int, path: str, seconds: float, concurrency: int) -> tuple[float, int]:
    """Requests per second over `seconds` with `concurrency` keep-alive-less clients (gunicorn sync workers
    close connections anyway); bounded in time, loopback only."""
    done = [0] * concurrency
    errors = [0] * concurrency
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        while time.monotonic() < stop:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("GET", path, headers={"Host": "127.0.0.1"})
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    done[i] += 1
                else:
                    errors[i] += 1
            except OSError:
                errors[i] += 1
            finally:
                conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - started), sum(errors)


def throughput(code: str) -> tuple[float, float, int]:
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "bench-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "false",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "dichvucong.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        detail = f"/thu-tuc/{code}/"
        load(port, detail, 2, CONCURRENCY)  # warm-up
        load(port, "/healthz", 2, CONCURRENCY)
        detail_rps, detail_errors = load(port, detail, DURATION, CONCURRENCY)
        minimal_rps, minimal_errors = load(port, "/healthz", DURATION, CONCURRENCY)
        return detail_rps, minimal_rps, detail_errors + minimal_errors
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    code = prepare()
    from dichvucong.catalogue.models import Faq, Procedure

    timings, empty = time_queries()
    p50 = statistics.median(timings)
    p95 = statistics.quantiles(timings, n=100)[94]
    detail_rps, minimal_rps, errors = throughput(code)
    print(f"## bench/search.py — {time.strftime('%Y-%m-%d')}")
    print()
    print(
        f"- database: PostgreSQL, {Procedure.objects.count()} procedure versions, {Faq.objects.count()} FAQ"
    )
    print(f"- queries: {len(timings)} realistic queries, {empty} with no result")
    print(
        f"- server-side search latency (GET /api/v1/procedures, in-process): p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"max {max(timings):.1f} ms (goal p95 ≤ 50 ms)"
    )
    print(
        f"- gunicorn, 2 sync workers, {CONCURRENCY} concurrent clients, {DURATION:.0f} s each: "
        f"detail page /thu-tuc/{code}/ {detail_rps:.0f} req/s, minimal view /healthz {minimal_rps:.0f} req/s, "
        f"ratio {detail_rps / minimal_rps:.2f} (goal ≥ 0.4); errors: {errors}"
    )


if __name__ == "__main__":
    main()
