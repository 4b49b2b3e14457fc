"""Late dossiers: each lateness is noticed once and its owner told once; the apology (form 04) moves the
appointment, only to a later working time of the agency, is audited, and lets a new lateness be noticed. Time
moves through `now=`, never by sleeping."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from dichvucong.core.errors import DomainError
from dichvucong.core.models import AuditEvent, OutboxMessage
from dichvucong.dossiers import overdue, sync
from dichvucong.dossiers.deadlines import LOCAL
from dichvucong.dossiers.models import Apology, Dossier, Notification
from dichvucong.organisations.models import Agency, CalendarException
from tests.conftest import make_officer, on_postgres
from tests.dossiers.factories import (
    MONDAY_9AM,
    birth_procedure_with_eform,
    citizen_with_address,
    submitted_dossier,
)

pytestmark = pytest.mark.django_db
COMMUNE = "UBND-00004"
DUE = dt.datetime(2026, 11, 2, 17, 0, tzinfo=LOCAL)  # the birth registration's appointment: same day, 17:00


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A local time in Hà Nội, in 2026."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LOCAL)


@pytest.fixture(autouse=True)
def _setup(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OUTBOX_DISPATCH = "none"


@pytest.fixture
def dossier() -> Dossier:
    birth_procedure_with_eform()
    submitted = submitted_dossier(citizen_with_address())
    assert submitted.due_at == DUE and submitted.agency.code == COMMUNE
    return submitted


@pytest.fixture
def handler() -> Any:
    return make_officer(COMMUNE, username="canbo-tuphap", roles=("handler",), full_name="Lê Thị Hoa")


def counter_dossier(code: str, due_at: dt.datetime | None, status: int = 2) -> Dossier:
    return Dossier.objects.create(
        code=code,
        agency=Agency.objects.get(code=COMMUNE),
        origin="agency",
        channel=1,
        status=status,
        status_at=MONDAY_9AM,
        due_at=due_at,
        original_due_at=due_at,
    )


def overdue_notices(dossier: Dossier) -> list[Notification]:
    return list(Notification.objects.filter(dossier=dossier, key__startswith=f"{dossier.code}:overdue"))


# --- detection -------------------------------------------------------------------------------------------------


def test_a_dossier_is_overdue_only_after_its_appointment(dossier: Dossier) -> None:
    assert overdue.detect_overdue(now=DUE - dt.timedelta(minutes=1)) == 0
    assert overdue.detect_overdue(now=DUE) == 0  # due at 17:00 means on time at 17:00
    assert overdue.detect_overdue(now=DUE + dt.timedelta(minutes=1)) == 1
    dossier.refresh_from_db()
    assert dossier.overdue_notified_at == DUE + dt.timedelta(minutes=1)


def test_a_lateness_is_detected_once_and_the_owner_told_once(dossier: Dossier) -> None:
    later = DUE + dt.timedelta(hours=1)
    assert overdue.detect_overdue(now=later) == 1
    assert overdue.detect_overdue(now=later) == 0
    assert overdue.detect_overdue(now=later + dt.timedelta(days=3)) == 0
    [notice] = overdue_notices(dossier)
    assert notice.user_id == dossier.owner_id
    assert "quá hạn" in notice.title and "17:00 ngày 02/11/2026" in notice.body
    copies = OutboxMessage.objects.filter(key=notice.key)
    assert sorted(copies.values_list("topic", flat=True)) == ["notify.email", "notify.sms"]


def test_counter_dossiers_are_marked_without_a_notice_and_finished_ones_are_left(dossier: Dossier) -> None:
    counter = counter_dossier("H01-261102-0101", DUE - dt.timedelta(days=1))
    finished = counter_dossier("H01-261102-0102", DUE - dt.timedelta(days=1), status=9)
    undated = counter_dossier("H01-261102-0103", None)
    assert overdue.detect_overdue(now=DUE + dt.timedelta(hours=1)) == 2
    marked = set(Dossier.objects.filter(overdue_notified_at__isnull=False).values_list("code", flat=True))
    assert marked == {dossier.code, counter.code}
    assert not overdue_notices(counter) and not overdue_notices(finished) and not overdue_notices(undated)
    assert len(overdue_notices(dossier)) == 1


def test_detection_walks_every_batch_including_equal_due_dates() -> None:
    codes = [f"H01-261102-{n:04d}" for n in range(1, 8)]
    for n, code in enumerate(codes):
        counter_dossier(code, DUE - dt.timedelta(hours=n // 3))  # three share each due date
    assert overdue.detect_overdue(now=DUE + dt.timedelta(hours=1), batch_size=2) == 7
    assert not Dossier.objects.filter(overdue_notified_at__isnull=True).exists()


def test_the_periodic_task_runs_the_detection(dossier: Dossier) -> None:
    from dichvucong.dossiers import tasks

    assert tasks.detect_overdue.name == "dichvucong.dossiers.tasks.detect_overdue"
    assert tasks.detect_overdue() == 1  # the clock is past 2 November 2026
    assert tasks.detect_overdue() == 0


@pytest.mark.postgres
def test_the_detection_query_reads_the_partial_index_of_open_dossiers() -> None:
    if not on_postgres():
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    counter_dossier("H01-261102-0001", DUE)
    now = DUE + dt.timedelta(hours=1)
    first = overdue.overdue_candidates(now).order_by("due_at", "id").values_list("due_at", "id")[:1000]
    following = (
        overdue.overdue_candidates(now)
        .filter(due_at__gte=DUE)
        .exclude(due_at=DUE, id__lte=1)
        .order_by("due_at", "id")
        .values_list("due_at", "id")[:1000]
    )
    with connection.cursor() as cursor:
        # A handful of rows would be read sequentially; what matters is that the index applies at all.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plans = [first.explain(), following.explain()]
    for plan in plans:
        assert "dossier_open_due_idx" in plan, plan


# --- apology ---------------------------------------------------------------------------------------------------


def test_an_apology_moves_the_appointment_and_tells_the_owner(dossier: Dossier, handler: Any) -> None:
    overdue.detect_overdue(now=DUE + dt.timedelta(hours=1))
    new_due = at(11, 4, 17)
    apology = overdue.issue_apology(
        dossier=dossier,
        reason="Cần xác minh thông tin người mẹ với bệnh viện",
        new_due_at=new_due,
        actor=handler,
        now=at(11, 3, 8),
    )
    dossier.refresh_from_db()
    assert dossier.due_at == new_due and dossier.original_due_at == DUE
    assert dossier.overdue_notified_at is None
    assert (apology.old_due_at, apology.new_due_at, apology.created_by_id) == (DUE, new_due, handler.pk)
    assert (apology.signer_name, apology.signer_title) == ("Lê Thị Hoa", "Cán bộ xử lý hồ sơ")
    notice = Notification.objects.get(key=f"{dossier.code}:apology:{apology.pk}")
    assert "17:00 ngày 04/11/2026" in notice.body and "Cần xác minh thông tin người mẹ" in notice.body
    assert f"/{dossier.code}/" in notice.body and notice.body.rstrip().endswith("/04/")
    email = OutboxMessage.objects.get(key=notice.key, topic="notify.email")
    assert email.payload["to"] == "an.nguyen@example.vn" and email.payload["body"] == notice.body
    assert OutboxMessage.objects.filter(key=notice.key, topic="notify.sms").exists()


def test_an_apology_is_audited(dossier: Dossier, handler: Any) -> None:
    apology = overdue.issue_apology(
        dossier=dossier,
        reason="Chờ kết quả xác minh",
        new_due_at=at(11, 4, 9),
        actor=handler,
        now=at(11, 3, 8),
    )
    event = AuditEvent.objects.get(action="dossier.apology")
    assert (event.actor_id, event.object_type, event.object_id) == (
        handler.pk,
        "dossiers.dossier",
        str(dossier.pk),
    )
    assert event.agency_id == dossier.agency_id
    assert event.detail == {
        "apology": apology.pk,
        "old_due_at": "2026-11-02T10:00:00+00:00",
        "new_due_at": "2026-11-04T02:00:00+00:00",
        "reason": "Chờ kết quả xác minh",
    }


def test_a_dossier_late_again_after_an_apology_is_noticed_again(dossier: Dossier, handler: Any) -> None:
    assert overdue.detect_overdue(now=at(11, 2, 18)) == 1
    overdue.issue_apology(
        dossier=dossier, reason="Chờ xác minh", new_due_at=at(11, 4, 17), actor=handler, now=at(11, 3, 8)
    )
    assert overdue.detect_overdue(now=at(11, 4, 16)) == 0
    assert overdue.detect_overdue(now=at(11, 4, 18)) == 1
    assert overdue.detect_overdue(now=at(11, 5, 8)) == 0
    assert len(overdue_notices(dossier)) == 2


def test_a_supplement_synced_after_the_apology_keeps_the_later_date(dossier: Dossier, handler: Any) -> None:
    overdue.issue_apology(
        dossier=dossier, reason="Chờ xác minh", new_due_at=at(11, 10, 17), actor=handler, now=at(11, 3, 8)
    )
    source = sync.SyncSource(agency_id=dossier.agency_id, allowed_agency_ids=frozenset({dossier.agency_id}))
    sync.ingest(
        source=source,
        events=[
            sync.EventIn(event_id="bs-1", dossier_code=dossier.code, status=5, occurred_at=at(11, 3, 9)),
            sync.EventIn(event_id="bs-2", dossier_code=dossier.code, status=4, occurred_at=at(11, 5, 9)),
        ],
        now=at(11, 5, 10),
    )
    dossier.refresh_from_db()
    assert dossier.due_at == at(11, 10, 17)  # two working days of waiting move 2 Nov to 4 Nov: earlier


def test_an_apology_for_a_dossier_the_agency_dates_itself_sets_the_new_date(handler: Any) -> None:
    counter = counter_dossier("H01-261102-0201", DUE)
    Dossier.objects.filter(pk=counter.pk).update(details={"due_from_agency": True})
    overdue.issue_apology(
        dossier=counter, reason="Chờ xác minh", new_due_at=at(11, 4, 9), actor=handler, now=at(11, 3, 8)
    )
    counter.refresh_from_db()
    assert counter.due_at == at(11, 4, 9)


@pytest.mark.parametrize(
    ("new_due_at", "message"),
    [
        (DUE - dt.timedelta(days=1), "phải sau thời hạn hiện tại (17:00 ngày 02/11/2026)"),
        (DUE, "phải sau thời hạn hiện tại"),
        (at(11, 7, 9), "Ngày 07/11/2026 là ngày nghỉ của cơ quan (Thứ bảy)"),
        (at(11, 8, 9), "ngày nghỉ của cơ quan (Chủ nhật)"),
        (dt.datetime(2027, 1, 1, 9, 0, tzinfo=LOCAL), "Ngày 01/01/2027 là ngày nghỉ"),
        (at(11, 4, 12), "trong giờ làm việc của cơ quan (07:00–11:30, 13:30–17:00)"),
        (at(11, 4, 17, 1), "trong giờ làm việc"),
        (at(11, 4, 6, 59), "trong giờ làm việc"),
    ],
)
def test_an_apology_is_refused_for_an_earlier_date_or_a_time_off(
    dossier: Dossier, handler: Any, new_due_at: dt.datetime, message: str
) -> None:
    with pytest.raises(DomainError, match=re.escape(message)):
        overdue.issue_apology(
            dossier=dossier, reason="Chờ xác minh", new_due_at=new_due_at, actor=handler, now=at(11, 3, 8)
        )
    dossier.refresh_from_db()
    assert dossier.due_at == DUE
    assert not Apology.objects.exists() and not AuditEvent.objects.filter(action="dossier.apology").exists()


def test_an_apology_is_refused_on_the_agencys_own_day_off(dossier: Dossier, handler: Any) -> None:
    CalendarException.objects.create(
        agency=dossier.agency, date=dt.date(2026, 11, 4), is_working_day=False, reason="Kiểm kê"
    )
    with pytest.raises(DomainError, match="Kiểm kê"):
        overdue.issue_apology(
            dossier=dossier, reason="Chờ xác minh", new_due_at=at(11, 4, 9), actor=handler, now=at(11, 3, 8)
        )


def test_an_apology_needs_a_reason_an_open_dossier_and_a_date_ahead(dossier: Dossier, handler: Any) -> None:
    with pytest.raises(DomainError, match="lý do"):
        overdue.issue_apology(dossier=dossier, reason="   ", new_due_at=at(11, 4, 9), actor=handler)
    with pytest.raises(DomainError, match="sau hiện tại"):
        overdue.issue_apology(
            dossier=dossier, reason="Chờ xác minh", new_due_at=at(11, 4, 9), actor=handler, now=at(11, 4, 10)
        )
    Dossier.objects.filter(pk=dossier.pk).update(status=9)
    with pytest.raises(DomainError, match="đang được giải quyết"):
        overdue.issue_apology(dossier=dossier, reason="Chờ xác minh", new_due_at=at(11, 4, 9), actor=handler)
    assert not Apology.objects.exists()
