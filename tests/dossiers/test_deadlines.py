"""Time limits: working days, the 15:00 rule, office hours, Tết, and the clock paused during supplements."""

from __future__ import annotations

import datetime as dt

import pytest

from dichvucong.core.calendar import WorkingCalendar
from dichvucong.dossiers import deadlines
from dichvucong.dossiers.deadlines import LOCAL

CAL = WorkingCalendar()


def at(y: int, m: int, d: int, h: int = 9, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=LOCAL)


def test_one_working_day_before_the_cutoff_is_the_same_day() -> None:
    assert deadlines.due_at(CAL, at(2026, 11, 2, 14, 59), 1, "working_days") == at(2026, 11, 2, 17)


def test_after_the_cutoff_counting_starts_the_next_working_day() -> None:
    assert deadlines.due_at(CAL, at(2026, 11, 2, 15, 0), 1, "working_days") == at(2026, 11, 3, 17)


def test_friday_after_the_cutoff_counts_from_monday() -> None:
    assert deadlines.due_at(CAL, at(2026, 11, 6, 16), 3, "working_days") == at(2026, 11, 11, 17)


def test_a_dossier_received_on_sunday_counts_from_monday() -> None:
    assert deadlines.first_counted_day(CAL, at(2026, 11, 8, 10)) == dt.date(2026, 11, 9)


def test_tet_holidays_are_not_working_days() -> None:
    # Tết Đinh Mùi: the holidays from the `holidays` package run from 4 to 10 February 2027 (Thursday to
    # Wednesday). Received Wednesday 3rd: day 1 is the 3rd, then the 11th, 12th, 15th and 16th.
    assert deadlines.due_at(CAL, at(2027, 2, 3, 9), 5, "working_days") == at(2027, 2, 16, 17)


def test_calendar_days_ending_on_a_day_off_end_on_the_next_working_day() -> None:
    # 2 November 2026 (Monday) + 6 calendar days counted from day 1 ends on Saturday 7th → Monday 9th.
    assert deadlines.due_at(CAL, at(2026, 11, 2), 6, "days") == at(2026, 11, 9, 17)


def test_hours_count_office_time_only() -> None:
    # 16:00 Monday is after the cut-off: counting starts Tuesday 07:00; 4.5 h in the morning and 3.5 h from
    # 13:30 end at 17:00.
    assert deadlines.due_at(CAL, at(2026, 11, 2, 16), 8, "hours") == at(2026, 11, 3, 17)


def test_months() -> None:
    # 30 January + 1 month is 28 February (clamped); the receipt day counts, so the last day is the 27th.
    assert deadlines.due_at(CAL, at(2026, 1, 30), 1, "months").date() == dt.date(2026, 2, 27)


@pytest.mark.parametrize(("counts", "expected"), [(True, 4), (False, 5)])
def test_whether_the_receipt_day_counts_is_a_setting(settings, counts: bool, expected: int) -> None:
    settings.DOSSIER_RECEIPT_DAY_COUNTS = counts
    assert deadlines.due_at(CAL, at(2026, 11, 2), 4, "working_days").day == 2 + expected - 1


def test_the_clock_pauses_while_a_supplement_is_awaited() -> None:
    timeline = [(at(2026, 11, 2), 2), (at(2026, 11, 3), 5), (at(2026, 11, 5, 10), 4), (at(2026, 11, 6), 5)]
    pauses = deadlines.supplement_pauses(timeline)
    assert pauses == [(at(2026, 11, 3), at(2026, 11, 5, 10))]  # the open pause is not counted yet
    waited = deadlines.paused_working_days(CAL, pauses)
    assert waited == 2
    assert deadlines.extend(CAL, at(2026, 11, 6, 17), waited) == at(2026, 11, 10, 17)


def test_outcome_early_on_time_late() -> None:
    due = at(2026, 11, 6, 17)
    assert deadlines.outcome(at(2026, 11, 5, 10), due) == "early"
    assert deadlines.outcome(at(2026, 11, 6, 10), due) == "on_time"
    assert deadlines.outcome(at(2026, 11, 9, 8), due) == "late"
    assert deadlines.outcome(None, due) == ""
