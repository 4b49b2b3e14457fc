"""Officer API for the help desk: tickets (calls and questions) of the agencies in scope, one ticket with what
was said and done on it, logging a call (which opens a ticket), and the answer, hand-over and resolution.

Same sign-in as the rest of the officer API (`officer.OfficerSession`: staff session with the second factor,
CSRF for writes). A ticket is in an officer's scope when the agency handling it or the desk that opened it is;
any other answers 404, as if it did not exist. Reading needs `support.view_ticket`, logging a call
`support.add_ticket`, the actions `support.change_ticket`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.responses import Status as Reply
from pydantic import Field as PydanticField

from dichvucong.core.admin_mixins import request_scope
from dichvucong.core.errors import FieldError, ValidationFailed
from dichvucong.organisations.models import Agency
from dichvucong.support import selectors, services
from dichvucong.support.models import Ticket, TicketChannel, TicketEntry

from .officer import OfficerSession, require_permission
from .schemas import Problem

router = Router(tags=["officer-support"], auth=OfficerSession())

VIEW = "support.view_ticket"
ADD = "support.add_ticket"
CHANGE = "support.change_ticket"
PAGE_MAX = 200


# --- schemas ---------------------------------------------------------------------------------------------------


class TicketItem(Schema):
    code: str
    channel: str
    topic: str
    subject: str
    status: str
    caller_name: str
    caller_phone: str
    agency: str
    desk_agency: str
    created_at: dt.datetime
    updated_at: dt.datetime
    resolved_at: dt.datetime | None


class TicketPage(Schema):
    items: list[TicketItem]
    next_offset: int | None = PydanticField(description="offset của trang sau; null: hết danh sách")


class EntryOut(Schema):
    at: dt.datetime
    kind: str
    author: str | None
    text: str
    duration_seconds: int | None
    from_agency: str | None
    to_agency: str | None


class TicketDetail(TicketItem):
    description: str
    caller_email: str
    procedure_code: str
    dossier_code: str
    payment_reference: str
    feedback_code: str
    resolution: str
    entries: list[EntryOut]


class CallIn(Schema):
    channel: str = PydanticField(TicketChannel.PHONE, description="phone | email")
    topic: str = PydanticField(
        description="procedure | dossier | payment | feedback | account | technical | other"
    )
    subject: str = PydanticField(max_length=300)
    description: str = PydanticField("", max_length=5000)
    caller_name: str = PydanticField("", max_length=200)
    caller_phone: str = PydanticField("", max_length=30)
    caller_email: str = PydanticField("", max_length=254)
    procedure_code: str = PydanticField("", max_length=20)
    dossier_code: str = PydanticField("", max_length=60)
    payment_reference: str = PydanticField("", max_length=40)
    feedback_code: str = PydanticField("", max_length=24)
    call_duration_seconds: int | None = PydanticField(None, ge=0)


class TextIn(Schema):
    text: str = PydanticField(max_length=5000)


class HandOverIn(Schema):
    agency: str = PydanticField(max_length=40, description="mã cơ quan nhận")
    reason: str = PydanticField(max_length=5000)


class ResolveIn(Schema):
    resolution: str = PydanticField(max_length=5000)


# --- mapping ---------------------------------------------------------------------------------------------------


def _item_fields(ticket: Ticket) -> dict[str, Any]:
    return {
        "code": ticket.code,
        "channel": ticket.channel,
        "topic": ticket.topic,
        "subject": ticket.subject,
        "status": ticket.status,
        "caller_name": ticket.caller_name,
        "caller_phone": ticket.caller_phone,
        "agency": ticket.agency.code,
        "desk_agency": ticket.desk_agency.code,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "resolved_at": ticket.resolved_at,
    }


def _entry(entry: TicketEntry) -> EntryOut:
    return EntryOut(
        at=entry.at,
        kind=entry.kind,
        author=entry.author.username if entry.author else None,
        text=entry.text,
        duration_seconds=entry.duration_seconds,
        from_agency=entry.from_agency.code if entry.from_agency else None,
        to_agency=entry.to_agency.code if entry.to_agency else None,
    )


def _detail(ticket: Ticket) -> TicketDetail:
    ticket = Ticket.objects.select_related("agency", "desk_agency").get(pk=ticket.pk)  # as it is now
    return TicketDetail(
        **_item_fields(ticket),
        description=ticket.description,
        caller_email=ticket.caller_email,
        procedure_code=ticket.procedure_code,
        dossier_code=ticket.dossier_code,
        payment_reference=ticket.payment_reference,
        feedback_code=ticket.feedback_code,
        resolution=ticket.resolution,
        entries=[_entry(e) for e in selectors.entries(ticket)],
    )


def _ticket(request: HttpRequest, code: str, permission: str) -> Ticket:
    """The ticket in scope (404 before 403, so that an unknown code tells nothing), then the permission."""
    ticket = selectors.ticket_get_in_scope(request_scope(request), code)
    require_permission(request, permission)
    return ticket


# --- operations ------------------------------------------------------------------------------------------------


@router.get(
    "/officer/tickets",
    response={200: TicketPage, 401: Problem, 403: Problem, 422: Problem},
    summary="Yêu cầu hỗ trợ trong phạm vi (mới nhất trước)",
)
def tickets(
    request: HttpRequest,
    q: str = Query("", max_length=200, description="mã yêu cầu, số điện thoại, mã liên quan hoặc từ khóa"),
    status: str = Query("", max_length=16),
    topic: str = Query("", max_length=16),
    channel: str = Query("", max_length=8),
    limit: int = Query(50, ge=1, le=PAGE_MAX),
    offset: int = Query(0, ge=0, le=100_000),
) -> TicketPage:
    require_permission(request, VIEW)
    found = selectors.tickets_in_scope(
        request_scope(request), q=q, status=status, topic=topic, channel=channel
    )
    rows = list(found[offset : offset + limit + 1])
    return TicketPage(
        items=[TicketItem(**_item_fields(t)) for t in rows[:limit]],
        next_offset=offset + limit if len(rows) > limit else None,
    )


@router.get(
    "/officer/tickets/{code}",
    response={200: TicketDetail, 401: Problem, 403: Problem, 404: Problem},
    summary="Một yêu cầu hỗ trợ và diễn biến",
)
def ticket(request: HttpRequest, code: str) -> TicketDetail:
    return _detail(_ticket(request, code, VIEW))


@router.post(
    "/officer/tickets",
    response={201: TicketDetail, 401: Problem, 403: Problem, 422: Problem},
    summary="Ghi nhận cuộc gọi (mở yêu cầu hỗ trợ)",
)
def log_call(request: HttpRequest, body: CallIn) -> Reply[TicketDetail]:
    require_permission(request, ADD)
    opened = services.open_ticket(**body.dict(), actor=request.user, request=request)
    return Reply(201, _detail(opened))


@router.post(
    "/officer/tickets/{code}/reply",
    response={200: TicketDetail, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Trả lời người dân",
)
def reply(request: HttpRequest, code: str, body: TextIn) -> TicketDetail:
    found = _ticket(request, code, CHANGE)
    services.reply(
        ticket_id=found.pk, actor=request.user, scope=request_scope(request), text=body.text, request=request
    )
    return _detail(found)


@router.post(
    "/officer/tickets/{code}/hand-over",
    response={200: TicketDetail, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Chuyển yêu cầu đến cơ quan có thẩm quyền",
)
def hand_over(request: HttpRequest, code: str, body: HandOverIn) -> TicketDetail:
    found = _ticket(request, code, CHANGE)
    agency = Agency.objects.filter(code=body.agency).first()
    if agency is None:
        raise ValidationFailed(
            errors=[FieldError(None, "agency", f"Không có cơ quan mã “{body.agency}”.")],
            summary="Cơ quan nhận không hợp lệ.",
        )
    services.hand_over(
        ticket_id=found.pk,
        agency_id=agency.pk,
        actor=request.user,
        scope=request_scope(request),
        reason=body.reason,
        request=request,
    )
    # Shown as it is now, even when the officer handed it to an agency outside their scope.
    return _detail(found)


@router.post(
    "/officer/tickets/{code}/resolve",
    response={200: TicketDetail, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Giải quyết yêu cầu",
)
def resolve(request: HttpRequest, code: str, body: ResolveIn) -> TicketDetail:
    found = _ticket(request, code, CHANGE)
    services.resolve(
        ticket_id=found.pk,
        actor=request.user,
        scope=request_scope(request),
        resolution=body.resolution,
        request=request,
    )
    return _detail(found)
