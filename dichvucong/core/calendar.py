"""Working days and office hours, for appointment dates and deadlines.

Public holidays (Tết included, with the substitute days the government announces) come from the `holidays`
package; Saturdays and Sundays are days off unless an agency works on Saturday mornings; an agency or the
government can add exceptions (an extra day off, or a weekend day worked in exchange for a bridge holiday).
This module knows no models: `organisations.selectors.working_calendar(agency)` builds one for an agency.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache

import holidays


@cache
def _public_holidays(year: int) -> Mapping[dt.date, str]:
    return dict(holidays.country_holidays("VN", years=[year], language="vi"))


def public_holiday(day: dt.date) -> str | None:
    """The name of the Vietnamese public holiday on `day`, if any."""
    return _public_holidays(day.year).get(day)


@dataclass(frozen=True)
class WorkingCalendar:
    morning: tuple[dt.time, dt.time] = (dt.time(7, 0), dt.time(11, 30))
    afternoon: tuple[dt.time, dt.time] = (dt.time(13, 30), dt.time(17, 0))
    receipt_cutoff: dt.time = dt.time(15, 0)
    works_saturday_morning: bool = False
    # date → reason: days off beyond public holidays, and days worked although they would be off.
    extra_days_off: Mapping[dt.date, str] = field(default_factory=dict)
    extra_working_days: Mapping[dt.date, str] = field(default_factory=dict)

    def day_off_reason(self, day: dt.date) -> str | None:
        """Why `day` is not a working day, or None if it is one."""
        if day in self.extra_working_days:
            return None
        if day in self.extra_days_off:
            return self.extra_days_off[day]
        holiday = public_holiday(day)
        if holiday:
            return holiday
        if day.weekday() == 6 or (day.weekday() == 5 and not self.works_saturday_morning):
            return "Chủ nhật" if day.weekday() == 6 else "Thứ bảy"
        return None

    def is_working_day(self, day: dt.date) -> bool:
        return self.day_off_reason(day) is None

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        day += dt.timedelta(days=1)
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date `days` working days after `start` (start itself not counted)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        for _ in range(days):
            day = self.next_working_day(day)
        return day

    def days_off(self, start: dt.date, end: dt.date) -> Iterator[tuple[dt.date, str]]:
        """Every day from `start` to `end` inclusive that is not a working day, with its reason."""
        day = start
        while day <= end:
            reason = self.day_off_reason(day)
            if reason:
                yield day, reason
            day += dt.timedelta(days=1)

    def is_office_hours(self, moment: dt.datetime) -> bool:
        """`moment` is a local (Asia/Ho_Chi_Minh) time within a working day's office hours."""
        if not self.is_working_day(moment.date()):
            return False
        now = moment.time()
        if moment.weekday() == 5:  # a working Saturday is a morning only
            return self.morning[0] <= now < self.morning[1]
        return self.morning[0] <= now < self.morning[1] or self.afternoon[0] <= now < self.afternoon[1]
