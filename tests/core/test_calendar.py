import datetime as dt

from dichvucong.core.calendar import WorkingCalendar, public_holiday

D = dt.date


def test_tet_and_national_day_are_public_holidays() -> None:
    assert public_holiday(D(2026, 2, 17)) == "Tết Nguyên Đán"
    assert public_holiday(D(2026, 9, 2)) == "Quốc khánh"
    assert public_holiday(D(2026, 3, 10)) is None


def test_weekends_and_holidays_are_not_working_days() -> None:
    calendar = WorkingCalendar()
    assert calendar.is_working_day(D(2026, 11, 23))  # Monday
    assert calendar.day_off_reason(D(2026, 11, 28)) == "Thứ bảy"
    assert calendar.day_off_reason(D(2026, 11, 29)) == "Chủ nhật"
    assert not calendar.is_working_day(D(2026, 2, 18))


def test_working_days_skip_tet() -> None:
    calendar = WorkingCalendar()
    # Friday 13 Feb 2026 + 1 working day: Tết runs from Mon 16 to Fri 20 February.
    assert calendar.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 23)
    assert calendar.add_working_days(D(2026, 2, 13), 0) == D(2026, 2, 13)


def test_exceptions_add_days_off_and_working_days() -> None:
    calendar = WorkingCalendar(
        extra_days_off={D(2026, 2, 13): "Nghỉ bù Tết"}, extra_working_days={D(2026, 2, 28): "Làm bù"}
    )
    assert calendar.day_off_reason(D(2026, 2, 13)) == "Nghỉ bù Tết"
    assert calendar.is_working_day(D(2026, 2, 28))
    assert calendar.next_working_day(D(2026, 2, 12)) == D(2026, 2, 23)


def test_saturday_morning_agencies() -> None:
    calendar = WorkingCalendar(works_saturday_morning=True)
    assert calendar.is_working_day(D(2026, 11, 28))
    assert calendar.is_office_hours(dt.datetime(2026, 11, 28, 9, 0))
    assert not calendar.is_office_hours(dt.datetime(2026, 11, 28, 14, 0))


def test_office_hours() -> None:
    calendar = WorkingCalendar()
    assert calendar.is_office_hours(dt.datetime(2026, 11, 23, 7, 0))
    assert not calendar.is_office_hours(dt.datetime(2026, 11, 23, 12, 0))
    assert calendar.is_office_hours(dt.datetime(2026, 11, 23, 16, 59))
    assert not calendar.is_office_hours(dt.datetime(2026, 11, 23, 17, 0))


def test_days_off_lists_reasons() -> None:
    days = dict(WorkingCalendar().days_off(D(2026, 4, 25), D(2026, 5, 3)))
    assert days[D(2026, 4, 30)] == "Ngày Chiến thắng"
    assert days[D(2026, 5, 1)] == "Ngày Quốc tế Lao động"
    assert D(2026, 4, 28) not in days
