"""Factories for statistics tests (shared: the statistics pages' and the API's tests import them).

`make_history()` sends a small year of dossiers through the real status sync and rolls the figures up, so that
the pages, the downloads and the API can be checked against numbers counted by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dichvucong.accounts.selectors import agency_tree_ids
from dichvucong.dossiers import services as dossier_services
from dichvucong.dossiers import sync
from dichvucong.dossiers.models import Dossier, Status
from dichvucong.dossiers.national import DossierRecord
from dichvucong.organisations.models import Agency
from dichvucong.stats import services as stats_services
from tests.conftest import make_procedure

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
YEAR = 2025  # a past year: every event of the history is in the past whenever the tests run


def local(month: int, day: int, hour: int = 9) -> dt.datetime:
    """A time of `YEAR` in Hà Nội."""
    return dt.datetime(YEAR, month, day, hour, tzinfo=HCM)


@dataclass(frozen=True)
class History:
    """Four dossiers of 2025: three of Hà Nội's People's Committee (March: one online and early, one on time; April:
    one late) and one online of the Ministry of Public Security's C06 (May, not finished); the early one is rated."""

    hanoi: Agency
    c06: Agency


def send_events(root: str, events: list[sync.EventIn]) -> None:
    """Send `events` through the status sync as the agency `root`'s one-stop system; each must be applied."""
    agency = Agency.objects.get(code=root)
    source = sync.SyncSource(agency_id=agency.pk, allowed_agency_ids=frozenset(agency_tree_ids(agency.pk)))
    results = sync.ingest(source=source, events=events)
    assert {r.outcome for r in results} == {"applied"}


def dossier_events(
    code: str, channel: int, received: dt.datetime, due: dt.datetime, finished: dt.datetime | None
) -> list[sync.EventIn]:
    """The events of a dossier of the fully online procedure: submitted, accepted, processing and, when `finished`
    is given, its result ready."""
    record = DossierRecord(
        code=code, procedure_code="1.001456", channel=channel, due_at=due, applicant_name="Lê An"
    )
    events = [
        sync.EventIn(
            f"{code}-1", code, Status.SUBMITTED, received - dt.timedelta(minutes=30), dossier=record
        ),
        sync.EventIn(f"{code}-2", code, Status.ACCEPTED, received),
        sync.EventIn(f"{code}-4", code, Status.PROCESSING, received + dt.timedelta(hours=1)),
    ]
    if finished is not None:
        events.append(sync.EventIn(f"{code}-9", code, Status.RESULT_READY, finished))
    return events


def make_history() -> History:
    """The four dossiers of `History`, synced, rated and rolled up."""
    make_procedure()  # 1.001456, offered fully online
    send_events(
        "UBND-01",
        dossier_events("HN-250303-0001", 2, local(3, 3), local(3, 10, 17), local(3, 5))
        + dossier_events("HN-250304-0001", 1, local(3, 4), local(3, 6, 17), local(3, 6, 10))
        + dossier_events("HN-250401-0001", 1, local(4, 1), local(4, 3, 17), local(4, 10)),
    )
    send_events("C06", dossier_events("C06-250502-0001", 2, local(5, 2), local(5, 9, 17), None))
    dossier_services.rate_dossier(
        dossier=Dossier.objects.get(code="HN-250303-0001"), scores=[2] * 8 + [1], convenience=2, overall=2
    )
    stats_services.roll_up()
    return History(Agency.objects.get(code="UBND-01"), Agency.objects.get(code="C06"))
