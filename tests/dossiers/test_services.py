"""Submitting a dossier: its code by the national rule, its appointment in working days (15:00 rule, weekends,
Tết), one dossier however often it is submitted; ratings; notifications once per event."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dichvucong.core.errors import DomainError
from dichvucong.core.models import OutboxMessage
from dichvucong.dossiers import drafts, selectors, services
from dichvucong.dossiers.models import Dossier, Notification, Rating
from dichvucong.organisations.models import Agency
from tests.conftest import make_citizen, make_procedure
from tests.dossiers.factories import (
    BA_DINH,
    MONDAY_9AM,
    birth_procedure_with_eform,
    citizen_with_address,
    filled_draft,
    submitted_dossier,
)

pytestmark = pytest.mark.django_db
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(autouse=True)
def _setup(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OUTBOX_DISPATCH = "none"


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A local time in Hà Nội."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=HANOI)


def close_of(year: int, month: int, day: int) -> dt.datetime:
    return at(year, month, day, 17, 0)


def submit(procedure: Any, agency: Any, now: dt.datetime, owner: Any = None) -> Dossier:
    return services.submit_dossier(
        owner=owner or make_citizen(),
        procedure=procedure,
        agency=agency,
        applicant=services.Applicant(name="Nguyễn Văn An", id_number="001093054321"),
        summary="Hồ sơ thử",
        form_data={},
        now=now,
    )


def online_procedure(limit: int, unit: str = "working_days") -> Any:
    from dichvucong.catalogue.selectors import procedure_get

    make_procedure(methods=[{"channel": "online", "time_limit": limit, "time_unit": unit}])
    return procedure_get("1.001456")


@pytest.fixture
def commune() -> Agency:
    return Agency.objects.get(code=f"UBND-{BA_DINH}")


# --- codes -----------------------------------------------------------------------------------------------------


def test_the_code_is_the_agency_code_the_local_date_and_a_daily_counter(commune: Agency) -> None:
    procedure = online_procedure(1)
    owner = make_citizen()
    first = submit(procedure, commune, at(2026, 11, 2, 9), owner)
    second = submit(procedure, commune, at(2026, 11, 2, 23, 59), owner)
    assert (first.code, second.code) == (f"UBND-{BA_DINH}-261102-0001", f"UBND-{BA_DINH}-261102-0002")
    # 00:30 in Hà Nội is still 2 November in UTC: the local date counts, and the counter starts again.
    assert submit(procedure, commune, at(2026, 11, 3, 0, 30), owner).code == f"UBND-{BA_DINH}-261103-0001"
    other = Agency.objects.get(code="UBND-01")
    assert submit(procedure, other, at(2026, 11, 2, 10), owner).code == "UBND-01-261102-0001"


def test_the_identification_code_of_circular_10_is_used_when_set(commune: Agency) -> None:
    commune.identification_code = "000.17.22.H56"
    commune.save()
    dossier = submit(online_procedure(1), commune, at(2021, 5, 31, 9))
    assert dossier.code == "000.17.22.H56-210531-0001"


# --- appointments ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "limit", "due"),
    [
        (at(2026, 11, 2, 9), 1, close_of(2026, 11, 2)),  # Monday morning, one working day: the same day
        (at(2026, 11, 2, 14, 59), 1, close_of(2026, 11, 2)),
        (at(2026, 11, 2, 15, 0), 1, close_of(2026, 11, 3)),  # from 15:00 the next working day counts
        (at(2026, 11, 6, 15, 30), 1, close_of(2026, 11, 9)),  # Friday after 15:00: Monday
        (at(2026, 11, 7, 10), 1, close_of(2026, 11, 9)),  # Saturday: Monday
        (at(2026, 11, 2, 9), 8, close_of(2026, 11, 11)),
        (at(2026, 11, 23, 9), 2, close_of(2026, 11, 25)),  # 24 November, Vietnamese Culture Day, is off
        (at(2026, 2, 12, 10), 3, close_of(2026, 2, 23)),  # Tết 2026: 16-20 February off
        (at(2026, 2, 13, 15, 30), 1, close_of(2026, 2, 23)),  # Friday before Tết, after 15:00
    ],
)
def test_the_appointment_counts_working_days(
    commune: Agency, received: dt.datetime, limit: int, due: dt.datetime
) -> None:
    dossier = submit(online_procedure(limit), commune, received)
    assert dossier.due_at == due and dossier.original_due_at == due
    assert dossier.submitted_at == received and dossier.status == 1


def test_a_procedure_without_a_time_limit_has_no_appointment(commune: Agency) -> None:
    make_procedure(methods=[{"channel": "online", "time_limit": None}])
    from dichvucong.catalogue.selectors import procedure_get

    assert submit(procedure_get("1.001456"), commune, at(2026, 11, 2, 9)).due_at is None


def test_the_online_method_gives_the_time_limit_and_fees(commune: Agency) -> None:
    from dichvucong.catalogue.selectors import procedure_get

    make_procedure()  # in person 200.000 đ, online 160.000 đ, both 8 working days
    dossier = submit(procedure_get("1.001456"), commune, at(2026, 11, 2, 9))
    assert dossier.details["fees"] == [
        {"MaLePhi": "", "SoTien": 160000, "MoTa": "Lệ phí cấp hộ chiếu trực tuyến"}
    ]
    assert dossier.details["time_limit"]["value"] == 8


# --- one dossier, its first event, its delivery, its notice ----------------------------------------------------


def test_a_submission_records_the_first_event_the_delivery_and_the_notice() -> None:
    birth_procedure_with_eform()
    user = citizen_with_address()
    dossier = submitted_dossier(user)
    assert [(e.status, e.source) for e in selectors.timeline(dossier)] == [(1, "portal")]
    messages = {m.topic: m for m in OutboxMessage.objects.all()}
    assert messages["dossiers.deliver"].key == dossier.code
    assert messages["notify.email"].payload["to"] == user.email
    assert messages["notify.sms"].payload["to"] == user.phone
    notice = Notification.objects.get(user=user)
    assert notice.title == f"Đã nộp hồ sơ {dossier.code}" and notice.dossier == dossier


def test_a_draft_submitted_twice_is_one_dossier() -> None:
    birth_procedure_with_eform()
    draft = filled_draft(citizen_with_address())
    first = drafts.submit(draft=draft, now=MONDAY_9AM)
    second = drafts.submit(draft=draft, now=MONDAY_9AM + dt.timedelta(minutes=1))
    assert first.pk == second.pk and Dossier.objects.count() == 1
    assert OutboxMessage.objects.filter(topic="dossiers.deliver").count() == 1


# --- ratings ---------------------------------------------------------------------------------------------------


def finished(dossier: Dossier, status: int = 9) -> Dossier:
    Dossier.objects.filter(pk=dossier.pk).update(status=status)
    dossier.refresh_from_db()
    return dossier


def test_a_dossier_is_rated_once_after_its_result() -> None:
    birth_procedure_with_eform()
    dossier = submitted_dossier(citizen_with_address())
    scores = [2, 2, 1, 2, 2, 2, 1, 2, 2]
    with pytest.raises(DomainError) as caught:
        services.rate_dossier(dossier=dossier, scores=scores, convenience=2, overall=2)
    assert caught.value.message == "Chỉ đánh giá được hồ sơ đã có kết quả."
    rating = services.rate_dossier(
        dossier=finished(dossier), scores=scores, convenience=2, overall=1, comment=" Tốt "
    )
    assert (rating.total, rating.overall, rating.comment) == (16, 1, "Tốt")
    assert rating.agency_id == dossier.agency_id and rating.procedure_code == "1.001193"
    with pytest.raises(DomainError) as caught:
        services.rate_dossier(dossier=dossier, scores=scores, convenience=2, overall=2)
    assert caught.value.message == "Hồ sơ này đã được đánh giá."
    assert Rating.objects.count() == 1


@pytest.mark.parametrize(
    ("scores", "convenience", "message"),
    [
        ([2] * 8, 2, "Cần đánh giá đủ 9 tiêu chí."),
        ([2] * 8 + [3], 2, "Tiêu chí 9: chọn một mức đánh giá."),
        ([2] * 9, -1, "Mức độ thuận tiện: chọn một mức đánh giá."),
    ],
)
def test_a_rating_has_nine_criteria_scored_two_one_or_zero(
    scores: list[int], convenience: int, message: str
) -> None:
    birth_procedure_with_eform()
    dossier = finished(submitted_dossier(citizen_with_address()), status=10)
    with pytest.raises(DomainError) as caught:
        services.rate_dossier(dossier=dossier, scores=scores, convenience=convenience, overall=2)
    assert caught.value.message == message


def test_rating_averages_per_agency_and_procedure() -> None:
    birth_procedure_with_eform()
    user = citizen_with_address()
    first = finished(submitted_dossier(user))
    second = finished(submitted_dossier(user, now=MONDAY_9AM + dt.timedelta(hours=1)), status=10)
    services.rate_dossier(dossier=first, scores=[2] * 9, convenience=2, overall=2)
    services.rate_dossier(dossier=second, scores=[1] * 9, convenience=1, overall=0)
    by_agency = selectors.rating_averages(by="agency")
    assert by_agency == [
        {
            "agency__name": "Ủy ban nhân dân phường Ba Đình",
            "ratings": 2,
            "average_total": 13.5,
            "average_convenience": 1.5,
            "average_overall": 1.0,
        }
    ]
    assert selectors.rating_averages(by="procedure")[0]["procedure_code"] == "1.001193"


# --- notifications ---------------------------------------------------------------------------------------------


def test_a_notice_is_given_once_per_key_in_app_by_email_and_by_sms() -> None:
    user = make_citizen()
    first = services.notify(
        user=user, dossier=None, key="X-1:ev-2", title="Hồ sơ X-1: Được tiếp nhận", body="…"
    )
    again = services.notify(
        user=user, dossier=None, key="X-1:ev-2", title="Hồ sơ X-1: Được tiếp nhận", body="…"
    )
    assert first is not None and again is None
    assert Notification.objects.filter(user=user).count() == 1
    assert sorted(OutboxMessage.objects.values_list("topic", "key")) == [
        ("notify.email", "X-1:ev-2"),
        ("notify.sms", "X-1:ev-2"),
    ]


def test_a_person_without_email_gets_no_email() -> None:
    user = make_citizen(email="")
    services.notify(user=user, dossier=None, key="k", title="t", body="b")
    assert list(OutboxMessage.objects.values_list("topic", flat=True)) == ["notify.sms"]


def test_a_status_change_tells_the_owner_and_notices_are_marked_read() -> None:
    birth_procedure_with_eform()
    user = citizen_with_address()
    dossier = submitted_dossier(user)
    for _ in range(2):
        services.notify_status(
            dossier_id=dossier.pk, code=dossier.code, owner_id=user.pk, status=2, event_id="ev-7"
        )
    titles = list(selectors.notifications(user).values_list("title", flat=True))
    assert titles.count(f"Hồ sơ {dossier.code}: Được tiếp nhận") == 1
    assert selectors.unread_notifications(user) == 2
    assert services.mark_notifications_read(user=user, ids=[selectors.notifications(user).first().pk]) == 1
    assert selectors.unread_notifications(user) == 1
    assert services.mark_notifications_read(user=user) == 1
    assert selectors.unread_notifications(user) == 0
