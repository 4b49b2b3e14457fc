"""Time limits of dossiers (DOMAIN.md): working days, office hours, the 15:00 rule, and the clock paused while a
supplement is awaited. Pure functions over a `WorkingCalendar`; times are aware datetimes, reasoned about in
Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings

from dichvucong.core.calendar import WorkingCalendar

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(LOCAL)


def first_counted_day(calendar: WorkingCalendar, received_at: dt.datetime) -> dt.date:
    """The first day the time limit counts: the day of receipt if it is a working day and the dossier came before
    the agency's cut-off (15:00 by default), otherwise the next working day."""
    moment = local(received_at)
    day = moment.date()
    if calendar.is_working_day(day) and moment.time() < calendar.receipt_cutoff:
        return day
    return calendar.next_working_day(day)


def _close_of(calendar: WorkingCalendar, day: dt.date) -> dt.datetime:
    end = calendar.morning[1] if day.weekday() == 5 else calendar.afternoon[1]
    return dt.datetime.combine(day, end, tzinfo=LOCAL)


def _add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def _add_office_hours(calendar: WorkingCalendar, start: dt.datetime, hours: int) -> dt.datetime:
    """`hours` of office time after `start` (time outside office hours does not count)."""
    remaining = dt.timedelta(hours=hours)
    moment = local(start)
    while True:
        day = moment.date()
        if calendar.is_working_day(day):
            periods = [calendar.morning] if day.weekday() == 5 else [calendar.morning, calendar.afternoon]
            for opens, closes in periods:
                begin = max(moment, dt.datetime.combine(day, opens, tzinfo=LOCAL))
                end = dt.datetime.combine(day, closes, tzinfo=LOCAL)
                if begin >= end:
                    continue
                if begin + remaining <= end:
                    return begin + remaining
                remaining -= end - begin
        moment = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=LOCAL)


def due_at(calendar: WorkingCalendar, received_at: dt.datetime, limit: int, unit: str) -> dt.datetime:
    """The appointment (ngày hẹn trả) for a dossier received at `received_at` with a time limit of `limit`
    `unit`s ("working_days", "days", "hours", "months"): the close of office on the last day of the limit.

    Whether the first counted day is day 1 of the limit (so that "1 working day" means the same day, as the
    birth registration's "ngay trong ngày" reads) or the limit starts the day after is not settled by a
    published text we could find (?): `DOSSIER_RECEIPT_DAY_COUNTS` (default True) chooses.
    """
    limit = max(limit, 0)
    if unit == "hours":
        start = local(received_at)
        if not calendar.is_office_hours(start) or start.time() >= calendar.receipt_cutoff:
            start = dt.datetime.combine(
                first_counted_day(calendar, received_at), calendar.morning[0], tzinfo=LOCAL
            )
        return _add_office_hours(calendar, start, limit)
    first = first_counted_day(calendar, received_at)
    offset = limit - 1 if settings.DOSSIER_RECEIPT_DAY_COUNTS else limit
    offset = max(offset, 0)
    if unit == "working_days":
        last = calendar.add_working_days(first, offset)
    elif unit == "months":
        last = _add_months(first, limit) - dt.timedelta(days=1 if settings.DOSSIER_RECEIPT_DAY_COUNTS else 0)
    else:  # calendar days: a limit that ends on a day off ends on the next working day
        last = first + dt.timedelta(days=offset)
    if not calendar.is_working_day(last):
        last = calendar.next_working_day(last)
    return _close_of(calendar, last)


def paused_working_days(calendar: WorkingCalendar, pauses: Iterable[tuple[dt.datetime, dt.datetime]]) -> int:
    """Working days spent waiting for supplements: for each pause (from the request to the next status), the
    working days from the day of the request up to, not including, the day the wait ended."""
    total = 0
    for start, end in pauses:
        day, last = local(start).date(), local(end).date()
        while day < last:
            if calendar.is_working_day(day):
                total += 1
            day += dt.timedelta(days=1)
    return total


def extend(calendar: WorkingCalendar, due: dt.datetime, working_days: int) -> dt.datetime:
    """`due` moved by `working_days` working days, at the same time of day."""
    if working_days <= 0:
        return due
    moment = local(due)
    day = calendar.add_working_days(moment.date(), working_days)
    return dt.datetime.combine(day, moment.time(), tzinfo=LOCAL)


def supplement_pauses(timeline: Iterable[tuple[dt.datetime, int]]) -> list[tuple[dt.datetime, dt.datetime]]:
    """From a dossier's (time, status) events in time order, the intervals during which a supplement was
    awaited (status 5 until the next event of another status). A pause still open is not counted yet."""
    pauses: list[tuple[dt.datetime, dt.datetime]] = []
    started: dt.datetime | None = None
    for moment, status in timeline:
        if status == 5:
            if started is None:
                started = moment
        elif started is not None:
            pauses.append((started, moment))
            started = None
    return pauses


def outcome(finished_at: dt.datetime | None, due: dt.datetime | None) -> str:
    """Early, on time or late ("early", "on_time", "late") for statistics and form 06: early if finished before the due day, on time
    on it, late after; "" when either is unknown."""
    if finished_at is None or due is None:
        return ""
    finished_day, due_day = local(finished_at).date(), local(due).date()
    if finished_at > due:
        return "late"
    return "early" if finished_day < due_day else "on_time"
