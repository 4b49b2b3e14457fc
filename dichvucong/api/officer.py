"""API for agency officers (cán bộ): their agencies, days off, catalogue entries and audit log.

Signed in with the portal's staff session (password and second factor) — the same session as the back office —
and CSRF-protected for writes. Every read goes through a selector filtered by the officer's agency scope;
what is outside it answers 404, as if it did not exist. Writes need the role's permission and are audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.security import SessionAuth
from pydantic import Field as PydanticField

from dichvucong.catalogue import selectors as catalogue
from dichvucong.core.admin_mixins import request_scope
from dichvucong.core.errors import Forbidden
from dichvucong.core.scope import AgencyScope
from dichvucong.organisations import selectors as organisations
from dichvucong.organisations import services as organisation_services
from dichvucong.organisations.models import Agency

from .schemas import Problem


class OfficerSession(SessionAuth):
    """A signed-in officer or operator who passed the second factor (django-otp)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or not getattr(user, "is_staff_member", False):
            return None
        is_verified = getattr(user, "is_verified", None)
        return user if is_verified is not None and is_verified() else None


router = Router(tags=["officer"], auth=OfficerSession())


def _scope(request: HttpRequest) -> AgencyScope:
    return request_scope(request)


def require_permission(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise Forbidden("Vai trò của bạn không cho phép thao tác này.")


class Me(Schema):
    username: str
    full_name: str
    kind: str
    agency: str | None
    roles: list[str]
    agencies_in_scope: int | None = PydanticField(description="số cơ quan trong phạm vi; null: mọi cơ quan")


class OfficerAgency(Schema):
    code: str
    name: str
    level: str
    parent: str | None
    province: str | None
    address: str
    phone: str
    email: str
    website: str
    office_hours: list[str]
    receipt_cutoff: str
    works_saturday_morning: bool


class AgencyChanges(Schema):
    address: str | None = PydanticField(None, max_length=255)
    phone: str | None = PydanticField(None, max_length=40)
    email: str | None = PydanticField(None, max_length=254)
    website: str | None = PydanticField(None, max_length=200)
    morning_start: dt.time | None = None
    morning_end: dt.time | None = None
    afternoon_start: dt.time | None = None
    afternoon_end: dt.time | None = None
    receipt_cutoff: dt.time | None = None
    works_saturday_morning: bool | None = None


class CalendarDay(Schema):
    date: dt.date
    is_working_day: bool
    reason: str = PydanticField(max_length=255)


class OfficerProcedure(Schema):
    code: str
    version: int
    status: str
    name: str
    managing_agency: str
    published_at: dt.datetime | None


class OfficerFaq(Schema):
    code: str
    question: str
    agency: str | None
    field: str | None
    updated_at: dt.datetime


class AuditItem(Schema):
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_label: str
    detail: dict[str, Any]


def _agency(agency: Agency) -> OfficerAgency:
    return OfficerAgency(
        code=agency.code,
        name=agency.name,
        level=agency.level,
        parent=agency.parent.code if agency.parent else None,
        province=agency.province.code if agency.province else None,
        address=agency.address,
        phone=agency.phone,
        email=agency.email,
        website=agency.website,
        office_hours=[
            f"{agency.morning_start:%H:%M}-{agency.morning_end:%H:%M}",
            f"{agency.afternoon_start:%H:%M}-{agency.afternoon_end:%H:%M}",
        ],
        receipt_cutoff=f"{agency.receipt_cutoff:%H:%M}",
        works_saturday_morning=agency.works_saturday_morning,
    )


@router.get("/officer/me", response={200: Me, 401: Problem}, summary="Cán bộ đang đăng nhập")
def me(request: HttpRequest) -> Me:
    user: Any = request.user
    scope = _scope(request)
    return Me(
        username=user.username,
        full_name=user.full_name,
        kind=user.kind,
        agency=user.agency.code if user.agency_id else None,
        roles=sorted(user.officer_roles.values_list("role", flat=True)),
        agencies_in_scope=None if scope.agency_ids is None else len(scope.agency_ids),
    )


@router.get(
    "/officer/agencies", response={200: list[OfficerAgency], 401: Problem}, summary="Cơ quan trong phạm vi"
)
def agencies(request: HttpRequest, limit: int = 100, offset: int = 0) -> list[OfficerAgency]:
    limit = max(1, min(limit, 500))
    page = organisations.agencies_in_scope(_scope(request))[offset : offset + limit]
    return [_agency(a) for a in page]


@router.get("/officer/agencies/{code}", response={200: OfficerAgency, 401: Problem, 404: Problem})
def agency(request: HttpRequest, code: str) -> OfficerAgency:
    return _agency(organisations.agency_in_scope(_scope(request), code))


@router.patch(
    "/officer/agencies/{code}",
    response={200: OfficerAgency, 401: Problem, 403: Problem, 404: Problem, 422: Problem},
    summary="Sửa liên hệ, giờ làm việc của cơ quan",
)
def update_agency(request: HttpRequest, code: str, changes: AgencyChanges) -> OfficerAgency:
    found = organisations.agency_in_scope(_scope(request), code)
    require_permission(request, "organisations.change_agency")
    updated = organisation_services.update_agency_contacts(
        agency=found, actor=request.user, request=request, changes=changes.dict(exclude_none=True)
    )
    return _agency(updated)


@router.get(
    "/officer/agencies/{code}/calendar",
    response={200: list[CalendarDay], 401: Problem, 404: Problem},
    summary="Ngày nghỉ, ngày làm bù riêng của cơ quan",
)
def calendar(request: HttpRequest, code: str) -> list[CalendarDay]:
    found = organisations.agency_in_scope(_scope(request), code)
    return [
        CalendarDay(date=e.date, is_working_day=e.is_working_day, reason=e.reason)
        for e in organisations.calendar_exceptions(found)
    ]


@router.put(
    "/officer/agencies/{code}/calendar/{day}",
    response={200: CalendarDay, 401: Problem, 403: Problem, 404: Problem, 422: Problem},
    summary="Đặt một ngày nghỉ (hoặc làm bù) của cơ quan",
)
def set_day(request: HttpRequest, code: str, day: dt.date, body: CalendarDay) -> CalendarDay:
    found = organisations.agency_in_scope(_scope(request), code)
    require_permission(request, "organisations.change_calendarexception")
    saved = organisation_services.set_calendar_exception(
        agency=found,
        actor=request.user,
        request=request,
        date=day,
        is_working_day=body.is_working_day,
        reason=body.reason,
    )
    return CalendarDay(date=saved.date, is_working_day=saved.is_working_day, reason=saved.reason)


@router.delete(
    "/officer/agencies/{code}/calendar/{day}",
    response={204: None, 401: Problem, 403: Problem, 404: Problem},
    summary="Bỏ một ngày ngoại lệ của cơ quan",
)
def remove_day(request: HttpRequest, code: str, day: dt.date) -> HttpResponse:
    found = organisations.agency_in_scope(_scope(request), code)
    require_permission(request, "organisations.delete_calendarexception")
    organisation_services.remove_calendar_exception(
        agency=found, actor=request.user, request=request, date=day
    )
    return HttpResponse(status=204)


@router.get(
    "/officer/procedures",
    response={200: list[OfficerProcedure], 401: Problem},
    summary="Thủ tục do cơ quan quản lý",
)
def procedures(
    request: HttpRequest, status: str | None = None, limit: int = 100, offset: int = 0
) -> list[OfficerProcedure]:
    limit = max(1, min(limit, 500))
    page = catalogue.procedures_in_scope(_scope(request), status=status)[offset : offset + limit]
    return [_procedure(p) for p in page]


def _procedure(p: Any) -> OfficerProcedure:
    return OfficerProcedure(
        code=p.code,
        version=p.version,
        status=p.status,
        name=p.name,
        managing_agency=p.managing_agency.code,
        published_at=p.published_at,
    )


@router.get(
    "/officer/procedures/{code}",
    response={200: list[OfficerProcedure], 401: Problem, 404: Problem},
    summary="Các phiên bản",
)
def procedure(request: HttpRequest, code: str) -> list[OfficerProcedure]:
    return [_procedure(p) for p in catalogue.procedure_versions_in_scope(_scope(request), code)]


@router.get("/officer/faqs", response={200: list[OfficerFaq], 401: Problem}, summary="Hỏi đáp của cơ quan")
def faqs(request: HttpRequest, limit: int = 100, offset: int = 0) -> list[OfficerFaq]:
    limit = max(1, min(limit, 500))
    return [_faq(f) for f in catalogue.faqs_in_scope(_scope(request))[offset : offset + limit]]


def _faq(faq: Any) -> OfficerFaq:
    return OfficerFaq(
        code=faq.code,
        question=faq.question,
        agency=faq.agency.code if faq.agency else None,
        field=faq.field.slug if faq.field else None,
        updated_at=faq.updated_at,
    )


@router.get("/officer/faqs/{code}", response={200: OfficerFaq, 401: Problem, 404: Problem})
def faq(request: HttpRequest, code: str) -> OfficerFaq:
    return _faq(catalogue.faq_in_scope(_scope(request), code))


@router.get(
    "/officer/audit-events", response={200: list[AuditItem], 401: Problem, 403: Problem}, summary="Nhật ký"
)
def audit_events(
    request: HttpRequest, action: str | None = None, limit: int = 100, offset: int = 0
) -> list[AuditItem]:
    from dichvucong.accounts import selectors as accounts

    require_permission(request, "core.view_auditevent")
    limit = max(1, min(limit, 500))
    events = accounts.audit_events(_scope(request), action=action)[offset : offset + limit]
    return [
        AuditItem(
            at=e.at,
            actor=e.actor_label,
            action=e.action,
            object_type=e.object_type,
            object_label=e.object_label,
            detail=e.detail,
        )
        for e in events
    ]
