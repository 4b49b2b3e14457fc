"""Public read API of agencies and administrative units."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field as PydanticField

from dichvucong.core.errors import DomainError
from dichvucong.organisations import selectors
from dichvucong.organisations.models import Agency

from .schemas import AgencyDetail, AgencyItem, AgencyList, DayOff, Problem, UnitItem, UnitList

router = Router(tags=["organisations"])


class AgencyParams(Schema):
    q: str = PydanticField("", max_length=200)
    level: str | None = None
    province: str | None = PydanticField(None, pattern=r"^\d{2}$")
    limit: int = PydanticField(50, ge=1, le=settings.API_MAX_LIMIT)
    offset: int = PydanticField(0, ge=0)


def _item(agency: Agency) -> dict[str, object]:
    return {
        "code": agency.code,
        "name": agency.name,
        "name_en": agency.name_en,
        "level": agency.level,
        "kind": agency.kind,
        "sector": agency.sector,
        "parent": agency.parent.code if agency.parent else None,
        "province": agency.province.code if agency.province else None,
        "identification_code": agency.identification_code,
    }


@router.get("/agencies", response={200: AgencyList, 422: Problem}, summary="Danh mục cơ quan")
def list_agencies(request: HttpRequest, params: Query[AgencyParams]) -> AgencyList:
    agencies = selectors.agency_list(level=params.level, province=params.province, q=params.q or None)
    page = list(agencies[params.offset : params.offset + params.limit])
    return AgencyList(items=[AgencyItem(**_item(a)) for a in page], count=agencies.count())  # type: ignore[arg-type]


@router.get("/agencies/{code}", response={200: AgencyDetail, 404: Problem}, summary="Một cơ quan")
def get_agency(request: HttpRequest, code: str) -> AgencyDetail:
    agency = selectors.agency_get(code)
    hours = [
        f"{agency.morning_start:%H:%M}-{agency.morning_end:%H:%M}",
        f"{agency.afternoon_start:%H:%M}-{agency.afternoon_end:%H:%M}",
    ]
    return AgencyDetail(
        **_item(agency),  # type: ignore[arg-type]
        address=agency.address,
        phone=agency.phone,
        email=agency.email,
        website=agency.website,
        office_hours=hours,
        receipt_cutoff=f"{agency.receipt_cutoff:%H:%M}",
        works_saturday_morning=agency.works_saturday_morning,
    )


class DaysOffParams(Schema):
    start: dt.date
    end: dt.date


@router.get(
    "/agencies/{code}/days-off",
    response={200: list[DayOff], 404: Problem, 422: Problem},
    summary="Ngày nghỉ của cơ quan (lễ, Tết, cuối tuần, ngày nghỉ bù)",
)
def days_off(request: HttpRequest, code: str, params: Query[DaysOffParams]) -> list[DayOff]:
    if params.end < params.start or (params.end - params.start).days > 366:
        raise DomainError("Khoảng ngày không hợp lệ: “end” phải sau “start” và không quá 366 ngày.")
    calendar = selectors.working_calendar(selectors.agency_get(code), start=params.start, end=params.end)
    return [DayOff(date=day, reason=reason) for day, reason in calendar.days_off(params.start, params.end)]


class UnitParams(Schema):
    parent: str | None = PydanticField(None, pattern=r"^\d{2}$", description="mã tỉnh: danh sách xã, phường")
    q: str = PydanticField("", max_length=200)
    limit: int = PydanticField(100, ge=1, le=5000)
    offset: int = PydanticField(0, ge=0)


@router.get("/administrative-units", response={200: UnitList, 422: Problem}, summary="Đơn vị hành chính")
def list_units(request: HttpRequest, params: Query[UnitParams]) -> UnitList:
    units = selectors.unit_list(parent=params.parent, q=params.q or None).select_related("parent")
    page = units[params.offset : params.offset + params.limit]
    return UnitList(
        items=[
            UnitItem(
                code=u.code,
                name=u.name,
                level=u.level,
                division_type=u.division_type,
                parent=u.parent.code if u.parent else None,
            )
            for u in page
        ],
        count=units.count(),
    )


@router.get(
    "/administrative-units/{code}", response={200: UnitItem, 404: Problem}, summary="Một đơn vị hành chính"
)
def get_unit(request: HttpRequest, code: str) -> UnitItem:
    unit = selectors.unit_get(code)
    return UnitItem(
        code=unit.code,
        name=unit.name,
        level=unit.level,
        division_type=unit.division_type,
        parent=unit.parent.code if unit.parent else None,
    )
