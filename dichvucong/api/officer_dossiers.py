"""API for agency officers: the dossiers of their agencies, their processing steps, the apology for a late
dossier (form 04) and the printable forms.

Same sign-in as the rest of the officer API (`officer.OfficerSession`: staff session with the second factor,
CSRF for writes). Every dossier is read through the officer's agency scope: a dossier outside it answers 404,
as if it did not exist. Reading needs `dossiers.view_dossier`, the apology `dossiers.add_apology`.

The dossier table holds tens of millions of rows: the list pages by keyset on the id (newest first, `cursor`
from the previous page), never counts, and leaves the `details` JSON out.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.responses import Status as Reply
from pydantic import Field as PydanticField

from dichvucong.core.admin_mixins import request_scope
from dichvucong.core.errors import DomainError, NotFound
from dichvucong.dossiers import deadlines, printing
from dichvucong.dossiers.models import OPEN_STATUSES, Apology, Dossier, Status
from dichvucong.dossiers.overdue import REASON_MAX, issue_apology
from dichvucong.dossiers.selectors import dossier_in_scope, dossiers_in_scope

from .officer import OfficerSession, require_permission
from .schemas import Problem

router = Router(tags=["officer"], auth=OfficerSession())

VIEW = "dossiers.view_dossier"
APOLOGISE = "dossiers.add_apology"
PAGE_MAX = 200
FORM_NAMES = {
    "01": "giay-tiep-nhan",
    "02": "yeu-cau-bo-sung",
    "03": "tu-choi-tiep-nhan",
    "04": "van-ban-xin-loi",
    "06": "phieu-kiem-soat",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
PDF_RESPONSE = {
    "responses": {
        "200": {
            "description": "Biểu mẫu (PDF)",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


# --- schemas ---------------------------------------------------------------------------------------------------


class DossierItem(Schema):
    code: str
    procedure_code: str
    procedure_name: str
    agency: str
    agency_name: str
    applicant_name: str
    channel: int
    origin: str
    status: int
    status_label: str
    submitted_at: dt.datetime | None
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    overdue: bool


class DossierPage(Schema):
    items: list[DossierItem]
    next_cursor: str | None = PydanticField(description="con trỏ của trang sau; null: hết danh sách")


class DossierStep(Schema):
    occurred_at: dt.datetime
    status: int
    status_label: str
    unit: str
    actor_name: str
    actor_title: str
    content: str
    step_started_at: dt.datetime | None
    step_due_at: dt.datetime | None


class DossierDocumentOut(Schema):
    kind: str
    name: str
    code: str


class ApologyOut(Schema):
    id: int
    created_at: dt.datetime
    reason: str
    old_due_at: dt.datetime | None
    new_due_at: dt.datetime
    signer_name: str
    signer_title: str


class DossierDetail(DossierItem):
    field_name: str
    applicant_kind: int
    applicant_id_number: str
    applicant_email: str
    applicant_phone: str
    summary: str
    original_due_at: dt.datetime | None
    delivered_at: dt.datetime | None
    overdue_notified_at: dt.datetime | None
    documents: list[DossierDocumentOut]
    events: list[DossierStep]
    apologies: list[ApologyOut]
    forms: list[str] = PydanticField(description="các biểu mẫu in được: 01, 02, 03, 04, 06")


class ApologyIn(Schema):
    reason: str = PydanticField(min_length=1, max_length=REASON_MAX)
    new_due_at: dt.datetime = PydanticField(description="giờ Việt Nam khi không ghi múi giờ")


class ApologyCreated(ApologyOut):
    dossier_due_at: dt.datetime | None
    form_url: str


# --- mapping ---------------------------------------------------------------------------------------------------


def _is_overdue(dossier: Dossier, now: dt.datetime) -> bool:
    return bool(dossier.status in OPEN_STATUSES and dossier.due_at and dossier.due_at < now)


def _item_fields(dossier: Dossier, now: dt.datetime) -> dict[str, Any]:
    return {
        "code": dossier.code,
        "procedure_code": dossier.procedure_code,
        "procedure_name": dossier.procedure_name,
        "agency": dossier.agency.code,
        "agency_name": dossier.agency.name,
        "applicant_name": dossier.applicant_name,
        "channel": dossier.channel,
        "origin": dossier.origin,
        "status": dossier.status,
        "status_label": str(Status(dossier.status).label),
        "submitted_at": dossier.submitted_at,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "finished_at": dossier.finished_at,
        "returned_at": dossier.returned_at,
        "overdue": _is_overdue(dossier, now),
    }


def _apology(apology: Apology) -> dict[str, Any]:
    return {
        "id": apology.pk,
        "created_at": apology.created_at,
        "reason": apology.reason,
        "old_due_at": apology.old_due_at,
        "new_due_at": apology.new_due_at,
        "signer_name": apology.signer_name,
        "signer_title": apology.signer_title,
    }


def _detail(dossier: Dossier) -> DossierDetail:
    events = list(dossier.events.all())
    apologies = list(dossier.apologies.all())
    statuses = {event.status for event in events}
    forms = ["01"]
    forms += ["02"] if Status.SUPPLEMENT_REQUESTED in statuses else []
    forms += ["03"] if Status.REFUSED in statuses else []
    forms += ["04"] if apologies else []
    forms.append("06")
    return DossierDetail(
        **_item_fields(dossier, timezone.now()),
        field_name=dossier.field_name,
        applicant_kind=dossier.applicant_kind,
        applicant_id_number=dossier.applicant_id_number,
        applicant_email=dossier.applicant_email,
        applicant_phone=dossier.applicant_phone,
        summary=dossier.summary,
        original_due_at=dossier.original_due_at,
        delivered_at=dossier.delivered_at,
        overdue_notified_at=dossier.overdue_notified_at,
        documents=[
            DossierDocumentOut(kind=d.kind, name=d.name, code=d.code) for d in dossier.documents.all()
        ],
        events=[
            DossierStep(
                occurred_at=e.occurred_at,
                status=e.status,
                status_label=str(Status(e.status).label),
                unit=e.unit,
                actor_name=e.actor_name,
                actor_title=e.actor_title,
                content=e.content,
                step_started_at=e.step_started_at,
                step_due_at=e.step_due_at,
            )
            for e in events
        ],
        apologies=[ApologyOut(**_apology(a)) for a in apologies],
        forms=forms,
    )


def _cursor(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    if not value.isdigit() or len(value) > 19:
        raise DomainError("Con trỏ trang (cursor) không hợp lệ; dùng giá trị next_cursor của trang trước.")
    return int(value)


# --- operations ------------------------------------------------------------------------------------------------


@router.get(
    "/officer/dossiers",
    response={200: DossierPage, 400: Problem, 401: Problem, 403: Problem, 422: Problem},
    summary="Hồ sơ của các cơ quan trong phạm vi (mới nhất trước)",
)
def dossiers(
    request: HttpRequest,
    status: int | None = Query(None, ge=1, le=10, description="TrangThaiHoSo 1–10"),
    overdue: bool | None = Query(None, description="true: chỉ hồ sơ quá hạn; false: không quá hạn"),
    procedure_code: str | None = Query(None, max_length=20),
    cursor: str | None = Query(None, max_length=20, description="next_cursor của trang trước"),
    limit: int = Query(50, ge=1, le=PAGE_MAX),
) -> DossierPage:
    require_permission(request, VIEW)
    now = timezone.now()
    page = dossiers_in_scope(
        request_scope(request), status=status, overdue=overdue, procedure_code=procedure_code, now=now
    )
    after = _cursor(cursor)
    if after is not None:
        page = page.filter(id__lt=after)
    rows = list(page[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return DossierPage(
        items=[DossierItem(**_item_fields(d, now)) for d in rows],
        next_cursor=str(rows[-1].pk) if more else None,
    )


@router.get(
    "/officer/dossiers/{code}",
    response={200: DossierDetail, 401: Problem, 403: Problem, 404: Problem},
    summary="Một hồ sơ, các bước xử lý và văn bản xin lỗi",
)
def dossier(request: HttpRequest, code: str) -> DossierDetail:
    found = dossier_in_scope(request_scope(request), code, full=True)
    require_permission(request, VIEW)
    return _detail(found)


@router.post(
    "/officer/dossiers/{code}/apology",
    response={201: ApologyCreated, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem},
    summary="Gửi văn bản xin lỗi và hẹn lại ngày trả kết quả (mẫu 04)",
)
def apologise(request: HttpRequest, code: str, body: ApologyIn) -> Reply[ApologyCreated]:
    found = dossier_in_scope(request_scope(request), code)
    require_permission(request, APOLOGISE)
    new_due_at = body.new_due_at
    if new_due_at.tzinfo is None:
        new_due_at = new_due_at.replace(tzinfo=deadlines.LOCAL)
    apology = issue_apology(
        dossier=found,
        reason=body.reason,
        new_due_at=new_due_at,
        actor=request.user,  # type: ignore[arg-type]  # OfficerSession lets only signed-in staff through
        request=request,
    )
    found.refresh_from_db(fields=["due_at"])
    return Reply(
        201,
        ApologyCreated(
            **_apology(apology),
            dossier_due_at=found.due_at,
            form_url=request.path.rsplit("/", 1)[0] + "/forms/04",
        ),
    )


@router.get(
    "/officer/dossiers/{code}/forms/{form}",
    response={401: Problem, 403: Problem, 404: Problem},
    summary="In biểu mẫu của hồ sơ: 01, 02, 03, 04, 06 (PDF)",
    openapi_extra=PDF_RESPONSE,
)
def form(request: HttpRequest, code: str, form: str) -> HttpResponse:
    found = dossier_in_scope(request_scope(request), code)
    require_permission(request, VIEW)
    if form not in FORM_NAMES:
        raise NotFound(f"Không có biểu mẫu số {form[:4]}; các mẫu in được: 01, 02, 03, 04, 06.")
    content = printing.form_pdf(found, form)
    response = HttpResponse(content, content_type="application/pdf")
    filename = f"{_UNSAFE.sub('_', found.code)}-mau-{form}-{FORM_NAMES[form]}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
