"""Officer API for feedback (phản ánh, kiến nghị): the feedback of the agencies in scope, one feedback with its
whole timeline, and the workflow steps — the handling agency answers, transfers and publishes; the portal's
operators also accept, refuse, merge and forward.

Same sign-in as the rest of the officer API (`officer.OfficerSession`: staff session with the second factor,
CSRF for writes). Feedback is found through the officer's scope first: outside it (and unforwarded feedback, for
officers) answers 404, as if it did not exist; then the role is checked (403); then the service, which answers
409 on a wrong state and 422 with the fields at fault (personal data left in a text to publish, for one).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field as PydanticField

from dichvucong.core.admin_mixins import request_scope
from dichvucong.core.errors import FieldError, Forbidden, NotFound, ValidationFailed
from dichvucong.feedback import redaction, selectors, services, states
from dichvucong.feedback.models import Feedback, Status
from dichvucong.organisations import selectors as organisations
from dichvucong.organisations.models import Agency

from .officer import OfficerSession, require_permission
from .schemas import Problem

router = Router(tags=["officer-feedback"], auth=OfficerSession())

VIEW = "feedback.view_feedback"
CHANGE = "feedback.change_feedback"
PAGE_MAX = 200
TEXT_MAX = 20000
BASE = "/officer/feedback"
READ_ERRORS: dict[int, Any] = {401: Problem, 403: Problem, 404: Problem}
WRITE_ERRORS: dict[int, Any] = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    422: Problem,
}


# --- schemas ---------------------------------------------------------------------------------------------------


class FeedbackItem(Schema):
    code: str = PydanticField(description="mã phản ánh (mã tra cứu), ví dụ PAKN-261123-7K3QX9")
    title: str
    topic: str = PydanticField(description="nhóm nội dung: procedure, regulation, official, initiative")
    kind: str = PydanticField(description="loại phản ánh, kiến nghị (Nghị định 20/2008/NĐ-CP)")
    kind_label: str
    status: str = PydanticField(
        description="received, accepted, refused, merged, handling, answered, published"
    )
    status_label: str
    channel: str = PydanticField(description="kênh tiếp nhận: web, open311, call_centre")
    agency: str | None = PydanticField(description="mã cơ quan đang xử lý; null: chưa chuyển xử lý")
    agency_name: str | None
    received_at: dt.datetime
    deadline: dt.datetime = PydanticField(
        description="hạn hiện tại: hạn chuyển xử lý khi chưa chuyển, hạn trả lời khi đã chuyển"
    )
    overdue: bool = PydanticField(description="đã quá hạn chuyển xử lý hoặc quá hạn trả lời")


class FeedbackPage(Schema):
    items: list[FeedbackItem]
    total: int = PydanticField(description="số phản ánh khớp điều kiện")
    next_offset: int | None = PydanticField(description="offset của trang sau; null: hết danh sách")


class FeedbackStep(Schema):
    at: dt.datetime
    action: str
    action_label: str
    actor: str | None = PydanticField(description="tên đăng nhập của người thực hiện; null: hệ thống")
    from_agency: str | None
    to_agency: str | None
    note: str = PydanticField(description="lý do, ghi chú, đoạn đầu câu trả lời, người được nhắc")


class FeedbackAlertOut(Schema):
    stage: str = PydanticField(description="triage_overdue, due_soon, overdue, escalated")
    stage_label: str
    deadline: dt.datetime
    agency: str | None
    recipients: list[str] = PydanticField(description="tên đăng nhập của những người được nhắc")
    sent_at: dt.datetime


class AttachmentOut(Schema):
    id: int
    title: str
    content_type: str
    size: int = PydanticField(description="dung lượng (byte)")


class RatingOut(Schema):
    satisfaction: str
    satisfaction_label: str
    comment: str
    rated_at: dt.datetime


class FeedbackDetail(FeedbackItem):
    content: str
    sender_kind: str
    sender_name: str
    organisation_name: str
    sender_address: str
    sender_phone: str
    sender_email: str
    consent_to_publish: bool = PydanticField(description="người gửi đồng ý công khai")
    public_interest: bool = PydanticField(description="công khai vì lợi ích chung (không có đồng ý)")
    procedure_code: str
    dossier_code: str | None
    unit: str | None = PydanticField(description="mã đơn vị hành chính nơi xảy ra")
    unit_name: str | None
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    suggested_agency: str | None = PydanticField(description="cơ quan người gửi nêu")
    forward_due_at: dt.datetime
    forwarded_at: dt.datetime | None
    due_at: dt.datetime | None
    answered_at: dt.datetime | None
    published_at: dt.datetime | None
    refusal_reason: str
    merged_into: str | None
    answer: str
    answered_by: str | None
    answering_agency: str | None
    public_title: str
    public_content: str
    public_answer: str
    attachments: list[AttachmentOut]
    events: list[FeedbackStep] = PydanticField(description="toàn bộ quá trình xử lý, kể cả nhắc hạn")
    alerts: list[FeedbackAlertOut]
    rating: RatingOut | None
    actions: list[str] = PydanticField(
        description="các thao tác người gọi được thực hiện ở trạng thái hiện tại"
    )


class PublicationDraft(Schema):
    consent_to_publish: bool
    public_title: str = PydanticField(description="tiêu đề gợi ý, đã ẩn thông tin cá nhân tìm thấy")
    public_content: str
    public_answer: str


class AnswerIn(Schema):
    text: str = PydanticField(max_length=TEXT_MAX, description="kết quả xử lý, gửi đầy đủ cho người phản ánh")


class TransferIn(Schema):
    agency: str = PydanticField(max_length=40, description="mã cơ quan nhận")
    reason: str = PydanticField(max_length=TEXT_MAX, description="lý do chuyển (bắt buộc)")


class PublishIn(Schema):
    public_title: str = PydanticField(
        max_length=300, description="tiêu đề công khai, không có thông tin cá nhân"
    )
    public_content: str = PydanticField(max_length=TEXT_MAX, description="nội dung phản ánh công khai")
    public_answer: str = PydanticField(max_length=TEXT_MAX, description="kết quả xử lý công khai")
    public_interest: bool = PydanticField(
        False, description="công khai vì lợi ích chung khi người gửi không đồng ý công khai"
    )


class RefuseIn(Schema):
    reason: str = PydanticField(
        max_length=TEXT_MAX, description="lý do không tiếp nhận, gửi cho người phản ánh"
    )


class MergeIn(Schema):
    into_code: str = PydanticField(max_length=24, description="mã phản ánh được giữ lại")


class ForwardIn(Schema):
    agency: str = PydanticField(max_length=40, description="mã cơ quan có thẩm quyền")
    note: str = PydanticField("", max_length=TEXT_MAX, description="ghi chú cho cơ quan xử lý")


# --- mapping ---------------------------------------------------------------------------------------------------


def _code(agency: Agency | None) -> str | None:
    return agency.code if agency is not None else None


def _deadline(feedback: Feedback) -> dt.datetime:
    return feedback.due_at if feedback.agency_id is not None and feedback.due_at else feedback.forward_due_at


def _item_fields(feedback: Feedback, now: dt.datetime) -> dict[str, Any]:
    return {
        "code": feedback.code,
        "title": feedback.title,
        "topic": feedback.topic,
        "kind": feedback.kind,
        "kind_label": str(feedback.get_kind_display()),
        "status": feedback.status,
        "status_label": str(feedback.get_status_display()),
        "channel": feedback.channel,
        "agency": _code(feedback.agency),
        "agency_name": feedback.agency.name if feedback.agency else None,
        "received_at": feedback.received_at,
        "deadline": _deadline(feedback),
        "overdue": selectors.is_overdue(feedback, now),
    }


def _actions(request: HttpRequest, feedback: Feedback) -> list[str]:
    if not request.user.has_perm(CHANGE):
        return []
    status = feedback.status
    found = []
    if request_scope(request).is_everything:
        found += [name for name, target in (("accept", Status.ACCEPTED),) if states.can_move(status, target)]
        if status in states.TRIAGE:
            found += ["refuse", "merge", "forward"]
    if status == Status.HANDLING:
        found += ["answer", "transfer"]
    if status == Status.ANSWERED:
        found.append("publish")
    return found


def _detail(request: HttpRequest, feedback: Feedback) -> FeedbackDetail:
    related = (
        Feedback.objects.select_related(
            "agency", "suggested_agency", "unit", "dossier", "merged_into", "answered_by", "answering_agency"
        )
        .prefetch_related("attachments", "alerts__agency")
        .get(pk=feedback.pk)
    )
    rating = getattr(related, "rating", None)
    return FeedbackDetail(
        **_item_fields(related, timezone.now()),
        content=related.content,
        sender_kind=related.sender_kind,
        sender_name=related.sender_name,
        organisation_name=related.organisation_name,
        sender_address=related.sender_address,
        sender_phone=related.sender_phone,
        sender_email=related.sender_email,
        consent_to_publish=related.consent_to_publish,
        public_interest=related.public_interest,
        procedure_code=related.procedure_code,
        dossier_code=related.dossier.code if related.dossier else None,
        unit=related.unit.code if related.unit else None,
        unit_name=related.unit.name if related.unit else None,
        address=related.address,
        latitude=related.latitude,
        longitude=related.longitude,
        suggested_agency=_code(related.suggested_agency),
        forward_due_at=related.forward_due_at,
        forwarded_at=related.forwarded_at,
        due_at=related.due_at,
        answered_at=related.answered_at,
        published_at=related.published_at,
        refusal_reason=related.refusal_reason,
        merged_into=related.merged_into.code if related.merged_into else None,
        answer=related.answer,
        answered_by=related.answered_by.username if related.answered_by else None,
        answering_agency=_code(related.answering_agency),
        public_title=related.public_title,
        public_content=related.public_content,
        public_answer=related.public_answer,
        attachments=[
            AttachmentOut(id=a.pk, title=a.title, content_type=a.content_type, size=a.size)
            for a in related.attachments.all()
        ],
        events=[
            FeedbackStep(
                at=e.at,
                action=e.action,
                action_label=str(e.get_action_display()),
                actor=e.actor.username if e.actor else None,
                from_agency=_code(e.from_agency),
                to_agency=_code(e.to_agency),
                note=e.note,
            )
            for e in selectors.timeline(related, public=False)
        ],
        alerts=[
            FeedbackAlertOut(
                stage=a.stage,
                stage_label=str(a.get_stage_display()),
                deadline=a.deadline,
                agency=_code(a.agency),
                recipients=[str(r) for r in a.recipients or []],
                sent_at=a.sent_at,
            )
            for a in related.alerts.all()
        ],
        rating=RatingOut(
            satisfaction=rating.satisfaction,
            satisfaction_label=str(rating.get_satisfaction_display()),
            comment=rating.comment,
            rated_at=rating.rated_at,
        )
        if rating is not None
        else None,
        actions=_actions(request, related),
    )


def _found(request: HttpRequest, code: str, permission: str, *, operators: bool = False) -> Feedback:
    """Scope first (404 outside it, whatever the role), then the role (403); triage is for operators only (the
    service checks it again)."""
    feedback = selectors.feedback_get_in_scope(request_scope(request), code)
    require_permission(request, permission)
    if operators and not request_scope(request).is_everything:
        raise Forbidden("Chỉ quản trị viên Cổng được phân loại và chuyển phản ánh, kiến nghị.")
    return feedback


def _agency(code: str) -> Agency:
    try:
        return organisations.agency_get(code.strip().upper())
    except NotFound:
        message = f"Không có cơ quan mã {code.strip()[:40]}."
        raise ValidationFailed(errors=[FieldError(None, "agency", message)], summary=message) from None


# --- reads -----------------------------------------------------------------------------------------------------


@router.get(
    BASE,
    response={200: FeedbackPage, 401: Problem, 403: Problem, 422: Problem},
    summary="Phản ánh, kiến nghị của các cơ quan trong phạm vi (mới nhất trước)",
)
def feedback_list(
    request: HttpRequest,
    status: str | None = Query(None, max_length=16, description="trạng thái: received, handling, answered…"),
    q: str | None = Query(None, max_length=200, description="mã phản ánh hoặc từ khóa"),
    overdue: bool = Query(False, description="true: chỉ phản ánh quá hạn"),
    limit: int = Query(50, ge=1, le=PAGE_MAX),
    offset: int = Query(0, ge=0),
) -> FeedbackPage:
    require_permission(request, VIEW)
    if status and status not in Status.values:
        message = "Trạng thái không hợp lệ; dùng một trong: " + ", ".join(Status.values) + "."
        raise ValidationFailed(errors=[FieldError(None, "status", message)], summary=message)
    now = timezone.now()
    found = selectors.feedback_in_scope(
        request_scope(request), status=status or "", q=q or "", overdue=overdue, now=now
    )
    total = found.count()
    rows = list(found[offset : offset + limit])
    return FeedbackPage(
        items=[FeedbackItem(**_item_fields(f, now)) for f in rows],
        total=total,
        next_offset=offset + limit if offset + limit < total else None,
    )


@router.get(
    BASE + "/{code}",
    response={200: FeedbackDetail, **READ_ERRORS},
    summary="Một phản ánh: nội dung, người gửi, toàn bộ quá trình xử lý, nhắc hạn, kết quả, đánh giá",
)
def feedback_detail(request: HttpRequest, code: str) -> FeedbackDetail:
    return _detail(request, _found(request, code, VIEW))


@router.get(
    BASE + "/{code}/publication",
    response={200: PublicationDraft, **READ_ERRORS},
    summary="Nội dung công khai gợi ý (đã ẩn thông tin cá nhân tìm thấy), để cán bộ soát lại",
)
def publication_draft(request: HttpRequest, code: str) -> PublicationDraft:
    feedback = _found(request, code, VIEW)
    return PublicationDraft(
        consent_to_publish=feedback.consent_to_publish,
        public_title=feedback.public_title or redaction.suggest(feedback, feedback.title),
        public_content=feedback.public_content or redaction.suggest(feedback, feedback.content),
        public_answer=feedback.public_answer or redaction.suggest(feedback, feedback.answer),
    )


# --- the handling agency ---------------------------------------------------------------------------------------


@router.post(
    BASE + "/{code}/answer",
    response={200: FeedbackDetail, **WRITE_ERRORS},
    summary="Trả lời (kết quả xử lý gửi người phản ánh)",
)
def answer(request: HttpRequest, code: str, body: AnswerIn) -> FeedbackDetail:
    feedback = _found(request, code, CHANGE)
    done = services.answer(
        feedback_id=feedback.pk,
        actor=request.user,  # type: ignore[arg-type]  # OfficerSession lets only signed-in staff through
        scope=request_scope(request),
        text=body.text,
        request=request,
    )
    return _detail(request, done)


@router.post(
    BASE + "/{code}/transfer",
    response={200: FeedbackDetail, **WRITE_ERRORS},
    summary="Chuyển sang cơ quan khác (có lý do)",
)
def transfer(request: HttpRequest, code: str, body: TransferIn) -> FeedbackDetail:
    feedback = _found(request, code, CHANGE)
    done = services.transfer(
        feedback_id=feedback.pk,
        agency_id=_agency(body.agency).pk,
        actor=request.user,  # type: ignore[arg-type]
        scope=request_scope(request),
        reason=body.reason,
        request=request,
    )
    return _detail(request, done)


@router.post(
    BASE + "/{code}/publish",
    response={200: FeedbackDetail, **WRITE_ERRORS},
    summary="Công khai kết quả (Cổng kiểm tra nội dung không còn thông tin cá nhân)",
)
def publish(request: HttpRequest, code: str, body: PublishIn) -> FeedbackDetail:
    feedback = _found(request, code, CHANGE)
    done = services.publish(
        feedback_id=feedback.pk,
        actor=request.user,  # type: ignore[arg-type]
        scope=request_scope(request),
        public_title=body.public_title,
        public_content=body.public_content,
        public_answer=body.public_answer,
        public_interest=body.public_interest,
        request=request,
    )
    return _detail(request, done)


# --- the portal's operators ------------------------------------------------------------------------------------


@router.post(
    BASE + "/{code}/accept",
    response={200: FeedbackDetail, **WRITE_ERRORS},
    summary="Tiếp nhận (quản trị viên Cổng)",
)
def accept(request: HttpRequest, code: str) -> FeedbackDetail:
    feedback = _found(request, code, CHANGE, operators=True)
    done = services.accept(feedback_id=feedback.pk, actor=request.user, request=request)  # type: ignore[arg-type]
    return _detail(request, done)


@router.post(
    BASE + "/{code}/refuse",
    response={200: FeedbackDetail, **WRITE_ERRORS},
    summary="Không tiếp nhận, có lý do (quản trị viên Cổng)",
)
def refuse(request: HttpRequest, code: str, body: RefuseIn) -> FeedbackDetail:
    feedback = _found(request, code, CHANGE, operators=True)
    done = services.refuse(
        feedback_id=feedback.pk,
        actor=request.user,  # type: ignore[arg-type]
        reason=body.reason,
        request=request,
    )
    return _detail(request, done)


@router.post(
    BASE + "/{code}/merge",
    response={200: FeedbackDetail, **WRITE_ERRORS},
    summary="Gộp vào phản ánh trùng (quản trị viên Cổng)",
)
def merge(request: HttpRequest, code: str, body: MergeIn) -> FeedbackDetail:
    feedback = _found(request, code, CHANGE, operators=True)
    done = services.merge(
        feedback_id=feedback.pk,
        into_code=body.into_code,
        actor=request.user,  # type: ignore[arg-type]
        request=request,
    )
    return _detail(request, done)


@router.post(
    BASE + "/{code}/forward",
    response={200: FeedbackDetail, **WRITE_ERRORS},
    summary="Chuyển cơ quan có thẩm quyền xử lý (quản trị viên Cổng)",
)
def forward(request: HttpRequest, code: str, body: ForwardIn) -> FeedbackDetail:
    feedback = _found(request, code, CHANGE, operators=True)
    done = services.forward(
        feedback_id=feedback.pk,
        agency_id=_agency(body.agency).pk,
        actor=request.user,  # type: ignore[arg-type]
        note=body.note,
        request=request,
    )
    return _detail(request, done)
