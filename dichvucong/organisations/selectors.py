"""Reads of the register of agencies and administrative units."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from dichvucong.core.calendar import WorkingCalendar
from dichvucong.core.errors import NotFound
from dichvucong.core.scope import AgencyScope
from dichvucong.core.text import fold

from .models import AdministrativeUnit, Agency, AgencyLevel, CalendarException, UnitLevel


def agency_list(
    *, level: str | None = None, province: str | None = None, q: str | None = None
) -> QuerySet[Agency]:
    agencies = Agency.objects.filter(is_active=True).select_related("province", "parent")
    if level:
        agencies = agencies.filter(level=level)
    if province:
        agencies = agencies.filter(province__code=province)
    if q:
        agencies = agencies.filter(Q(name_folded__contains=fold(q)) | Q(code__iexact=q.strip()))
    return agencies.order_by("level", "code")


def central_agencies() -> QuerySet[Agency]:
    return agency_list(level=AgencyLevel.CENTRAL)


def ministries() -> QuerySet[Agency]:
    """The active central agencies at the top of their tree (ministries, ministry-level and government agencies,
    state enterprises), by name: the units the statistics count a central agency's figures for."""
    return central_agencies().filter(parent__isnull=True).order_by("name")


def agency_find(pk: int) -> Agency | None:
    """The agency of this id, active or not, or None."""
    return Agency.objects.filter(pk=pk).first()


def provincial_committees() -> QuerySet[Agency]:
    return agency_list(level=AgencyLevel.PROVINCE).filter(kind="peoples_committee")


def agency_get(code: str) -> Agency:
    try:
        return Agency.objects.select_related("parent", "province", "administrative_unit").get(code=code)
    except Agency.DoesNotExist as exc:
        raise NotFound(f"Không tìm thấy cơ quan có mã {code}.") from exc


def province_list() -> QuerySet[AdministrativeUnit]:
    return AdministrativeUnit.objects.filter(level=UnitLevel.PROVINCE).order_by("code")


def unit_list(*, parent: str | None = None, q: str | None = None) -> QuerySet[AdministrativeUnit]:
    units = AdministrativeUnit.objects.all()
    units = units.filter(parent__code=parent) if parent else units.filter(level=UnitLevel.PROVINCE)
    if q:
        units = units.filter(name_folded__contains=fold(q))
    return units.order_by("code")


def unit_get(code: str) -> AdministrativeUnit:
    try:
        return AdministrativeUnit.objects.select_related("parent").get(code=code)
    except AdministrativeUnit.DoesNotExist as exc:
        raise NotFound(f"Không tìm thấy đơn vị hành chính có mã {code}.") from exc


def working_calendar(
    agency: Agency, *, start: dt.date | None = None, end: dt.date | None = None
) -> WorkingCalendar:
    """The agency's working calendar: its office hours, public holidays, and the exceptions (national ones, then
    the agency's own, which win) between `start` and `end` (default: this year and the next)."""
    return working_calendars([agency], start=start, end=end)[agency.pk]


def working_calendars(
    agencies: Iterable[Agency], *, start: dt.date | None = None, end: dt.date | None = None
) -> dict[int, WorkingCalendar]:
    """`working_calendar` of many agencies at once (one query), by agency id."""
    today = dt.date.today()
    start = start or dt.date(today.year, 1, 1)
    end = end or dt.date(today.year + 1, 12, 31)
    agencies = list(agencies)
    exceptions = list(
        CalendarException.objects.filter(
            Q(agency__isnull=True) | Q(agency__in=[a.pk for a in agencies]), date__gte=start, date__lte=end
        )
    )
    national = [e for e in exceptions if e.agency_id is None]
    own: dict[int, list[CalendarException]] = {}
    for exception in exceptions:
        if exception.agency_id is not None:
            own.setdefault(exception.agency_id, []).append(exception)
    return {a.pk: _calendar(a, national + own.get(a.pk, [])) for a in agencies}


def _calendar(agency: Agency, exceptions: list[CalendarException]) -> WorkingCalendar:
    off: dict[dt.date, str] = {}
    worked: dict[dt.date, str] = {}
    # National exceptions first, then the agency's own, which override them.
    for exception in sorted(exceptions, key=lambda e: (e.agency_id is not None, e.date)):
        (worked if exception.is_working_day else off)[exception.date] = exception.reason
        (off if exception.is_working_day else worked).pop(exception.date, None)
    return WorkingCalendar(
        morning=(agency.morning_start, agency.morning_end),
        afternoon=(agency.afternoon_start, agency.afternoon_end),
        receipt_cutoff=agency.receipt_cutoff,
        works_saturday_morning=agency.works_saturday_morning,
        extra_days_off=off,
        extra_working_days=worked,
    )


def parent_ids(agency_ids: Iterable[int]) -> dict[int, int | None]:
    """The parent of each agency (None for one at the top); ids of no agency are left out. One query, none for
    no ids."""
    ids = set(agency_ids)
    if not ids:
        return {}
    return dict(Agency.objects.filter(pk__in=ids).values_list("pk", "parent_id"))


# --- reads for officers, limited to their agency scope ---------------------------------------------------------


def agencies_in_scope(scope: AgencyScope) -> QuerySet[Agency]:
    return scope.filter(Agency.objects.select_related("province", "parent"), "id").order_by("level", "code")


def agency_in_scope(scope: AgencyScope, code: str) -> Agency:
    """An agency the officer may see; one outside their scope is "not found", like one that does not exist."""
    try:
        return agencies_in_scope(scope).get(code=code)
    except Agency.DoesNotExist as exc:
        raise NotFound(f"Không tìm thấy cơ quan có mã {code}.") from exc


def calendar_exceptions(agency: Agency) -> QuerySet[CalendarException]:
    return CalendarException.objects.filter(agency=agency).order_by("date")
