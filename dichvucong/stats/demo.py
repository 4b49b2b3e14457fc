"""Demo history for the statistics pages in `make run`: about two thousand dossiers over the last twelve months in
ten provinces (their People's Committee, police and two communes) and four central agencies, sent through the
real status sync (`dossiers.sync.ingest`) as each agency's one-stop system would, some online, some late, many
rated through `dossiers.services.rate_dossier`; then the roll-up. Each province has its own habits (how often
online, how often late, how satisfied its people are), so that the ranking has a top and a bottom.

Idempotent: codes and event ids are fixed (`tk-demo-…`), and a database that has them is left alone. Random
choices come from a seeded generator, so that every run builds the same history relative to its day.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dichvucong.catalogue.models import Procedure, ProcedureStatus
from dichvucong.dossiers import services as dossier_services
from dichvucong.dossiers import sync
from dichvucong.dossiers.models import Dossier, DossierEvent, Status
from dichvucong.dossiers.national import DossierRecord
from dichvucong.organisations.models import Agency, AgencyLevel
from dichvucong.stats import services

EVENT_PREFIX = "tk-demo-"
SEED = 20261
DAYS = 365
BATCH = 2000  # events per ingest call

# Province code → (dossiers, share online, share late, how satisfied 0-1): different habits, a real ranking.
PROVINCES: dict[str, tuple[int, float, float, float]] = {
    "01": (300, 0.75, 0.03, 0.90),
    "79": (300, 0.70, 0.05, 0.85),
    "48": (200, 0.80, 0.02, 0.92),
    "31": (180, 0.55, 0.08, 0.75),
    "92": (150, 0.50, 0.10, 0.70),
    "46": (150, 0.65, 0.04, 0.80),
    "22": (140, 0.45, 0.12, 0.65),
    "38": (140, 0.35, 0.15, 0.60),
    "40": (130, 0.30, 0.20, 0.55),
    "66": (110, 0.25, 0.25, 0.45),
}
# Central agencies → (dossiers, share online, share late, satisfied); they count for their ministry.
CENTRAL: dict[str, tuple[int, float, float, float]] = {
    "C06": (150, 0.85, 0.03, 0.85),
    "CSGT": (120, 0.60, 0.08, 0.70),
    "TTLLTPQG": (100, 0.90, 0.02, 0.90),
    "CT": (80, 0.95, 0.06, 0.75),
}
# Procedures each kind of agency handles (codes of the demo catalogue) and their time limit in days.
COMMUNE = (("1.001193", 1), ("1.000894", 3), ("1.004222", 7), ("1.013225", 15), ("2.000815", 1))
PROVINCIAL = (("2.001610", 3), ("1.001978", 20))
POLICE = (("1.001456", 8), ("3.000347", 5), ("3.000346", 10))
CENTRAL_PROCEDURES = {
    "C06": (("1.014063", 7), ("1.014064", 7)),
    "CSGT": (("3.000353", 5),),
    "TTLLTPQG": (("3.000333", 10),),
    "CT": (("2.001199", 3),),
}
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ")
GIVEN = (
    "Văn An",
    "Thị Bình",
    "Minh Châu",
    "Quốc Dũng",
    "Thu Hà",
    "Gia Huy",
    "Ngọc Lan",
    "Đức Minh",
    "Thanh Tâm",
)


class Writer(Protocol):
    def write(self, msg: str, /) -> object: ...


@dataclass(frozen=True)
class Habits:
    count: int
    online: float
    late: float
    satisfied: float


@dataclass(frozen=True)
class Planned:
    agency: Agency
    code: str
    events: list[sync.EventIn]
    finished: bool
    habits: Habits


def _agencies() -> list[tuple[Agency, tuple[tuple[str, int], ...], Habits]]:
    """The agencies that get a history, with their procedures and habits (a share of the province's dossiers)."""
    chosen: list[tuple[Agency, tuple[tuple[str, int], ...], Habits]] = []
    for province, (count, online, late, satisfied) in PROVINCES.items():
        committee = Agency.objects.filter(code=f"UBND-{province}").first()
        police = Agency.objects.filter(code=f"CA-{province}").first()
        if committee is None:
            continue
        communes = list(
            Agency.objects.filter(parent=committee, level=AgencyLevel.COMMUNE).order_by("code")[:2]
        )
        shares = [(committee, PROVINCIAL, 0.15), (police, POLICE, 0.25)] + [
            (c, COMMUNE, 0.30) for c in communes
        ]
        for agency, procedures, share in shares:
            if agency is not None:
                chosen.append((agency, procedures, Habits(int(count * share), online, late, satisfied)))
    for code, (count, online, late, satisfied) in CENTRAL.items():
        agency = Agency.objects.filter(code=code).first()
        if agency is not None:
            chosen.append((agency, CENTRAL_PROCEDURES[code], Habits(count, online, late, satisfied)))
    return chosen


def _office_time(rng: random.Random, day: dt.date) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(7, 30), timezone.get_default_timezone())
    return local + dt.timedelta(minutes=rng.randrange(0, 8 * 60))


def _plan(
    rng: random.Random,
    agency: Agency,
    procedures: tuple[tuple[str, int], ...],
    habits: Habits,
    names: dict[str, str],
    now: dt.datetime,
) -> list[Planned]:
    today = now.astimezone(timezone.get_default_timezone()).date()
    counters: dict[str, int] = defaultdict(int)
    planned = []
    for _n in range(habits.count):
        day = today - dt.timedelta(days=rng.randrange(1, DAYS))
        while day.weekday() >= 5:  # agencies receive on working days
            day -= dt.timedelta(days=1)
        submitted = _office_time(rng, day)
        procedure, limit = rng.choice(procedures)
        counters[f"{day:%y%m%d}"] += 1
        code = f"{agency.code}-{day:%y%m%d}-{5000 + counters[f'{day:%y%m%d}']:04d}"
        due = (submitted + dt.timedelta(days=limit * 7 // 5 + 1)).replace(hour=17, minute=0, second=0)
        online = rng.random() < habits.online
        extra: dict[str, object] = {}
        if online or rng.random() < 0.3:
            extra["TaiLieuNop"] = [
                {"TenGiayTo": "Tờ khai", "DuongDanTepTinDinhKem": f"demo/{code}/to-khai.pdf"}
            ]
        # The result's record repeats the first one (the latest record of a batch describes the dossier) and adds
        # the result documents.
        described = dict(
            code=code,
            procedure_code=procedure,
            procedure_name=names.get(procedure, ""),
            applicant_name=f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
            applicant_kind=1,
            channel=2 if online else 1,
            due_at=due,
        )
        record = DossierRecord(**described, status=Status.SUBMITTED, extra=extra)  # type: ignore[arg-type]
        accepted = submitted + dt.timedelta(minutes=rng.randrange(5, 120))
        events = [
            sync.EventIn(f"{EVENT_PREFIX}{code}-01", code, Status.SUBMITTED, submitted, dossier=record),
            sync.EventIn(f"{EVENT_PREFIX}{code}-02", code, Status.ACCEPTED, accepted),
            sync.EventIn(
                f"{EVENT_PREFIX}{code}-04", code, Status.PROCESSING, accepted + dt.timedelta(hours=1),
                unit="Bộ phận chuyên môn",
            ),
        ]  # fmt: skip
        draw = rng.random()
        if draw < habits.late:
            finished = due + dt.timedelta(days=rng.randrange(1, 10), hours=1)
        elif draw < habits.late + (1 - habits.late) * 0.6:
            finished = accepted + (due - accepted) * rng.uniform(0.2, 0.7)
            if finished.date() >= due.date():
                finished = due - dt.timedelta(days=1)
        else:
            finished = due - dt.timedelta(hours=rng.randrange(1, 6))
        done = finished < now
        if done:
            results = [{"TenGiayTo": "Kết quả", "MaKetQua": "KQ.G15.000031"}]
            with_results = (
                {**extra, "DanhSachGiayToKetQua": results} if online or rng.random() < 0.5 else extra
            )
            result = DossierRecord(**described, status=Status.RESULT_READY, extra=with_results)  # type: ignore[arg-type]
            events.append(
                sync.EventIn(f"{EVENT_PREFIX}{code}-09", code, Status.RESULT_READY, finished, dossier=result)
            )
            returned = finished + dt.timedelta(hours=2)
            if returned < now:
                events.append(
                    sync.EventIn(f"{EVENT_PREFIX}{code}-10", code, Status.RESULT_RETURNED, returned)
                )
        planned.append(Planned(agency, code, events, done, habits))
    return planned


def _rate(rng: random.Random, planned: list[Planned]) -> int:
    """About a fifth of the finished dossiers are rated, more generously where people are more satisfied."""
    chosen = {p.code: p.habits for p in planned if p.finished and rng.random() < 0.2}
    rated = 0
    for dossier in Dossier.objects.filter(code__in=sorted(chosen)).order_by("code"):
        satisfied = chosen[dossier.code].satisfied

        def score(satisfied: float = satisfied) -> int:
            draw = rng.random()
            return 2 if draw < satisfied else (1 if draw < satisfied + (1 - satisfied) / 2 else 0)

        dossier_services.rate_dossier(
            dossier=dossier, scores=[score() for _ in range(9)], convenience=score(), overall=score()
        )
        rated += 1
    return rated


def load(stdout: Writer) -> None:
    """Build the demo history once (never in production) and roll the figures up."""
    if settings.PRODUCTION:
        stdout.write("statistics demo skipped in production")
        return
    if DossierEvent.objects.filter(event_id__startswith=EVENT_PREFIX).exists():
        stdout.write("statistics demo already loaded")
        return
    rng = random.Random(SEED)
    now = timezone.now()
    names = dict(Procedure.objects.filter(status=ProcedureStatus.PUBLISHED).values_list("code", "name"))
    with transaction.atomic():
        planned: list[Planned] = []
        for agency, procedures, habits in _agencies():
            mine = _plan(rng, agency, procedures, habits, names, now)
            planned += mine
            source = sync.SyncSource(agency_id=agency.pk, allowed_agency_ids=frozenset({agency.pk}))
            events = [event for p in mine for event in p.events]
            for start in range(0, len(events), BATCH):
                sync.ingest(source=source, events=events[start : start + BATCH], now=now)
        rated = _rate(rng, planned)
    done = services.roll_up()
    stdout.write(
        f"statistics demo: {len(planned)} dossiers in {len({p.agency.pk for p in planned})} agencies, "
        f"{rated} ratings; {done.figures} figures rolled up"
    )
