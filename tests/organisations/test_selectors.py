import datetime as dt

import pytest

from dichvucong.organisations.models import Agency, CalendarException
from dichvucong.organisations.selectors import agency_list, working_calendar

pytestmark = pytest.mark.django_db


def test_agency_calendar_uses_its_hours_and_exceptions_the_agencys_own_winning() -> None:
    agency = Agency.objects.get(code="UBND-01")
    agency.works_saturday_morning = True
    agency.save()
    CalendarException.objects.create(date=dt.date(2026, 12, 31), is_working_day=False, reason="Nghỉ cả nước")
    CalendarException.objects.create(
        agency=agency, date=dt.date(2026, 12, 31), is_working_day=True, reason="Trực"
    )
    CalendarException.objects.create(date=dt.date(2026, 12, 30), is_working_day=False, reason="Nghỉ cả nước")
    calendar = working_calendar(agency, start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 31))
    assert calendar.is_working_day(dt.date(2026, 12, 31))
    assert calendar.day_off_reason(dt.date(2026, 12, 30)) == "Nghỉ cả nước"
    assert calendar.is_working_day(dt.date(2026, 12, 5))  # a Saturday
    other = working_calendar(
        Agency.objects.get(code="UBND-79"), start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 31)
    )
    assert not other.is_working_day(dt.date(2026, 12, 31))


def test_agency_list_finds_by_name_without_diacritics() -> None:
    assert "CA-79" in {a.code for a in agency_list(q="cong an thanh pho ho chi minh")}
