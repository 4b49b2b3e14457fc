"""Writes on feedback and petitions: receipt (validation, tracking code, attachments), triage by the portal's
operators (accept, refuse, merge, forward), handling by the agency (transfer, answer), publication of the
redacted answer, the sender's rating, and Open311 clients.

Every write runs in one transaction holding the feedback's row lock; every state change goes through
`states.move`, writes a `FeedbackEvent`, and, when a person acts, an audit record. The sender is told through
`notices.py`, in the same transaction (outbox).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from dichvucong.accounts.models import AccountKind, User
from dichvucong.core import audit
from dichvucong.core.errors import DomainError, FieldError, Forbidden, NotFound, ValidationFailed
from dichvucong.core.scope import AgencyScope
from dichvucong.core.text import fold
from dichvucong.dossiers import deadlines
from dichvucong.feedback import indexing, notices, redaction, selectors, states
from dichvucong.feedback.models import (
    Action,
    Feedback,
    FeedbackAttachment,
    FeedbackEvent,
    FeedbackRating,
    Open311Client,
    Satisfaction,
    Status,
)
from dichvucong.feedback.validation import Checked, validate
from dichvucong.organisations.models import Agency

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_ATTEMPTS = 8
REASON_MAX = 2000
ANSWER_MAX = 20000
COMMENT_MAX = 2000


@dataclass(frozen=True)
class Submission:
    """What a sender files, from any channel (web form, Open311, the call centre)."""

    topic: str
    kind: str
    title: str
    content: str
    sender_name: str
    sender_address: str
    sender_phone: str
    sender_email: str = ""
    sender_kind: str = "citizen"
    organisation_name: str = ""
    procedure_code: str = ""
    dossier_code: str = ""
    unit_code: str = ""
    agency_code: str = ""
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    consent_to_publish: bool = False
    channel: str = "web"
    client: Open311Client | None = None
    device_id: str = ""
    account_id: str = ""
    media_url: str = ""


# --- helpers ----------------------------------------------------------------------------------------------------


def new_code(at: dt.datetime) -> str:
    """`PAKN-YYMMDD-XXXXXX`: the local date and six random Crockford base32 characters."""
    suffix = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
    return f"PAKN-{deadlines.local(at):%y%m%d}-{suffix}"


def forward_due(received_at: dt.datetime) -> dt.datetime:
    """When the portal must have forwarded feedback received at `received_at` (national calendar)."""
    calendar = selectors.national_calendar(received_at)
    return deadlines.due_at(calendar, received_at, settings.FEEDBACK_FORWARD_WORKING_DAYS, "working_days")


def handling_due(agency: Agency, forwarded_at: dt.datetime) -> dt.datetime:
    """When `agency` must answer feedback forwarded to it at `forwarded_at` (its own calendar)."""
    calendar = selectors.agency_calendar(agency, forwarded_at)
    return deadlines.due_at(calendar, forwarded_at, settings.FEEDBACK_HANDLING_WORKING_DAYS, "working_days")


def is_operator(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_active", False)
        and (user.is_superuser or user.kind == AccountKind.OPERATOR)
    )


def _require_operator(actor: Any) -> None:
    if not is_operator(actor):
        raise Forbidden(_("Chỉ quản trị viên Cổng được phân loại và chuyển phản ánh, kiến nghị."))


def _locked(feedback_id: int, scope: AgencyScope | None = None) -> Feedback:
    """The feedback, row-locked; NotFound when it does not exist or lies outside `scope`."""
    feedback = Feedback.objects.select_for_update().filter(pk=feedback_id).first()
    if feedback is None or (scope is not None and not scope.allows(feedback.agency_id)):
        raise NotFound(_("Không tìm thấy phản ánh, kiến nghị."))
    return feedback


def _require_status(feedback: Feedback, allowed: frozenset[str], target: str) -> None:
    if feedback.status not in allowed:
        raise states.TransitionNotAllowed(
            _("Phản ánh %(code)s đang ở trạng thái “%(current)s”, không thể chuyển sang “%(target)s”.")
            % {
                "code": feedback.code,
                "current": Status(feedback.status).label,
                "target": Status(target).label,
            }
        )


def _event(
    feedback: Feedback,
    action: str,
    at: dt.datetime,
    *,
    actor: User | None = None,
    from_agency: Agency | None = None,
    to_agency: Agency | None = None,
    note: str = "",
) -> FeedbackEvent:
    return FeedbackEvent.objects.create(
        feedback=feedback,
        at=at,
        action=action,
        actor=actor,
        from_agency=from_agency,
        to_agency=to_agency,
        note=note,
    )


def _audit(action: str, actor: User, request: HttpRequest | None, feedback: Feedback, **detail: Any) -> None:
    audit.record(
        f"feedback.{action}",
        actor=actor,
        request=request,
        target=feedback,
        detail={"code": feedback.code, "status": feedback.status, **detail},
    )


def _active_agency(agency_id: int) -> Agency:
    agency = Agency.objects.filter(pk=agency_id, is_active=True).select_related("parent").first()
    if agency is None:
        raise NotFound(_("Không tìm thấy cơ quan được chọn."))
    return agency


def _required_text(value: str, column: str, message: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(errors=[_field(column, message)], summary=message)
    if len(text) > limit:
        problem = _("Tối đa %(limit)s ký tự.") % {"limit": limit}
        raise ValidationFailed(errors=[_field(column, problem)], summary=problem)
    return text


def _field(column: str, message: str) -> FieldError:
    return FieldError(None, column, message)


# --- receipt ----------------------------------------------------------------------------------------------------


def submit_feedback(
    *,
    submission: Submission,
    user: User | None = None,
    attachments: Sequence[UploadedFile] = (),
    now: dt.datetime | None = None,
) -> Feedback:
    """Receive feedback: check everything at once (`ValidationFailed` lists every problem), give the tracking
    code, keep the attachments, record the receipt and tell the sender the code."""
    now = now or timezone.now()
    checked: Checked = validate(submission, user=user, attachments=attachments)
    with transaction.atomic():
        feedback = _create_with_code(submission, checked, user, now)
        for item in checked.files:
            FeedbackAttachment.objects.create(
                feedback=feedback,
                title=item.title,
                content_type=item.content_type,
                size=len(item.content),
                file=ContentFile(item.content, name=item.storage_name),
            )
        _event(feedback, Action.RECEIVED, now, note=str(Status(Status.RECEIVED).label))
        notices.received(feedback, now=now)
    return feedback


def _create_with_code(
    submission: Submission, checked: Checked, user: User | None, now: dt.datetime
) -> Feedback:
    values = {
        "topic": submission.topic,
        "kind": submission.kind,
        "title": submission.title.strip(),
        "content": submission.content.strip(),
        "procedure_code": submission.procedure_code.strip(),
        "dossier": checked.dossier,
        "unit": checked.unit,
        "address": submission.address.strip(),
        "latitude": submission.latitude,
        "longitude": submission.longitude,
        "suggested_agency": checked.agency,
        "sender_kind": submission.sender_kind,
        "sender_name": " ".join(submission.sender_name.split()),
        "organisation_name": submission.organisation_name.strip(),
        "sender_address": submission.sender_address.strip(),
        "sender_phone": checked.phone,
        "sender_email": submission.sender_email.strip(),
        "user": user if user is not None and user.is_authenticated else None,
        "consent_to_publish": submission.consent_to_publish,
        "channel": submission.channel,
        "client": submission.client,
        "device_id": submission.device_id.strip(),
        "account_id": submission.account_id.strip(),
        "media_url": submission.media_url.strip(),
        "status": Status.RECEIVED,
        "received_at": now,
        "forward_due_at": forward_due(now),
    }
    values["search_text"] = fold(
        " ".join(
            str(values[name])
            for name in (
                "title",
                "content",
                "procedure_code",
                "sender_name",
                "organisation_name",
                "sender_phone",
            )
        )
        + (f" {checked.unit.name}" if checked.unit else "")
        + (f" {checked.dossier.code}" if checked.dossier else "")
    )
    for attempt in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                return Feedback.objects.create(code=new_code(now), **values)
        except IntegrityError:
            if attempt == CODE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


# --- triage by the portal's operators -----------------------------------------------------------------------------


def accept(
    *, feedback_id: int, actor: User, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> Feedback:
    """Classify as within the portal's remit: it waits to be forwarded."""
    _require_operator(actor)
    now = now or timezone.now()
    with transaction.atomic():
        feedback = _locked(feedback_id)
        _require_status(feedback, frozenset({Status.RECEIVED}), Status.ACCEPTED)
        feedback.save(update_fields=states.move(feedback, Status.ACCEPTED, now))
        _event(feedback, Action.ACCEPTED, now, actor=actor)
        _audit("accepted", actor, request, feedback)
    return feedback


def refuse(
    *,
    feedback_id: int,
    actor: User,
    reason: str,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Feedback:
    """Not accepted (outside the remit of feedback, e.g. a complaint or a denunciation), with a reason the
    sender is told."""
    _require_operator(actor)
    now = now or timezone.now()
    reason = _required_text(reason, "reason", _("Vui lòng nêu lý do không tiếp nhận."), REASON_MAX)
    with transaction.atomic():
        feedback = _locked(feedback_id)
        changed = states.move(feedback, Status.REFUSED, now)
        feedback.refusal_reason = reason
        feedback.save(update_fields=[*changed, "refusal_reason"])
        _event(feedback, Action.REFUSED, now, actor=actor, note=reason)
        _audit("refused", actor, request, feedback, reason=reason)
        notices.refused(feedback, now=now)
    return feedback


def merge(
    *,
    feedback_id: int,
    into_code: str,
    actor: User,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Feedback:
    """A duplicate of open feedback `into_code`: closed here, its sender told the answer when the other gets
    one. Feedback already merged into this one follows it."""
    _require_operator(actor)
    now = now or timezone.now()
    with transaction.atomic():
        target_id = (
            Feedback.objects.filter(code=into_code.strip().upper()).values_list("pk", flat=True).first()
        )
        if target_id is None or target_id == feedback_id:
            raise NotFound(_("Không tìm thấy phản ánh %(code)s để gộp vào.") % {"code": into_code.strip()})
        # Both rows locked, in id order so that two merges cannot wait on each other.
        rows = {
            f.pk: f
            for f in Feedback.objects.select_for_update()
            .filter(pk__in=[feedback_id, target_id])
            .order_by("pk")
        }
        if feedback_id not in rows:
            raise NotFound(_("Không tìm thấy phản ánh, kiến nghị."))
        feedback, target = rows[feedback_id], rows[target_id]
        if target.status not in states.OPEN:
            raise DomainError(
                _("Chỉ gộp được vào phản ánh đang xử lý; phản ánh %(code)s đang ở trạng thái “%(status)s”.")
                % {"code": target.code, "status": Status(target.status).label}
            )
        changed = states.move(feedback, Status.MERGED, now)
        feedback.merged_into = target
        feedback.save(update_fields=[*changed, "merged_into"])
        Feedback.objects.filter(merged_into=feedback).update(merged_into=target, updated_at=now)
        _event(feedback, Action.MERGED, now, actor=actor, note=target.code)
        _audit("merged", actor, request, feedback, into=target.code)
        notices.merged(feedback, target, now=now)
    return feedback


def forward(
    *,
    feedback_id: int,
    agency_id: int,
    actor: User,
    note: str = "",
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Feedback:
    """Send to the competent agency, which must answer within the handling time on its calendar."""
    _require_operator(actor)
    now = now or timezone.now()
    with transaction.atomic():
        feedback = _locked(feedback_id)
        _require_status(feedback, states.TRIAGE, Status.HANDLING)
        agency = _active_agency(agency_id)
        changed = states.move(feedback, Status.HANDLING, now)
        feedback.agency = agency
        feedback.due_at = handling_due(agency, now)
        feedback.save(update_fields=[*changed, "agency", "due_at"])
        _event(feedback, Action.FORWARDED, now, actor=actor, to_agency=agency, note=note.strip()[:REASON_MAX])
        _audit("forwarded", actor, request, feedback, agency=agency.code, due_at=feedback.due_at.isoformat())
        notices.forwarded(feedback, agency, now=now)
        notices.handlers(feedback, agency, transferred=False, now=now)
    return feedback


# --- handling by the agency ---------------------------------------------------------------------------------------


def transfer(
    *,
    feedback_id: int,
    agency_id: int,
    actor: User,
    scope: AgencyScope,
    reason: str,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Feedback:
    """The handling agency passes the feedback to another agency it finds competent, with a reason. The new
    agency gets the full handling time again unless `FEEDBACK_TRANSFER_RESTARTS_CLOCK` is off."""
    now = now or timezone.now()
    reason = _required_text(reason, "reason", _("Vui lòng nêu lý do chuyển cơ quan khác."), REASON_MAX)
    with transaction.atomic():
        feedback = _locked(feedback_id, scope)
        _require_status(feedback, frozenset({Status.HANDLING}), Status.HANDLING)
        agency = _active_agency(agency_id)
        if agency.pk == feedback.agency_id:
            raise DomainError(_("Phản ánh đang do chính cơ quan này xử lý."))
        previous = feedback.agency
        changed = states.move(feedback, Status.HANDLING, now)
        feedback.agency = agency
        if settings.FEEDBACK_TRANSFER_RESTARTS_CLOCK:
            feedback.due_at = handling_due(agency, now)
        feedback.save(update_fields=[*changed, "agency", "due_at"])
        _event(
            feedback,
            Action.TRANSFERRED,
            now,
            actor=actor,
            from_agency=previous,
            to_agency=agency,
            note=reason,
        )
        _audit("transferred", actor, request, feedback, agency=agency.code, reason=reason)
        notices.forwarded(feedback, agency, now=now)
        notices.handlers(feedback, agency, transferred=True, now=now)
    return feedback


def answer(
    *,
    feedback_id: int,
    actor: User,
    scope: AgencyScope,
    text: str,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Feedback:
    """The agency's answer: sent in full to the sender and to the senders of the feedback merged into this one."""
    now = now or timezone.now()
    text = _required_text(text, "text", _("Vui lòng nhập nội dung trả lời."), ANSWER_MAX)
    with transaction.atomic():
        feedback = _locked(feedback_id, scope)
        changed = states.move(feedback, Status.ANSWERED, now)
        feedback.answer = text
        feedback.answered_by = actor
        feedback.answering_agency_id = feedback.agency_id
        feedback.save(update_fields=[*changed, "answer", "answered_by", "answering_agency"])
        _event(feedback, Action.ANSWERED, now, actor=actor, from_agency=feedback.agency, note=text[:300])
        _audit("answered", actor, request, feedback)
        notices.answered(feedback, now=now)
    return feedback


def publish(
    *,
    feedback_id: int,
    actor: User,
    scope: AgencyScope,
    public_title: str,
    public_content: str,
    public_answer: str,
    public_interest: bool = False,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Feedback:
    """Publish the answer: with the sender's consent or in the public interest, texts written without personal
    data (checked: `ValidationFailed` lists each item still there), then found by the catalogue's search."""
    now = now or timezone.now()
    texts = {
        "public_title": (public_title or "").strip(),
        "public_content": (public_content or "").strip(),
        "public_answer": (public_answer or "").strip(),
    }
    with transaction.atomic():
        feedback = _locked(feedback_id, scope)
        _require_status(feedback, frozenset({Status.ANSWERED}), Status.PUBLISHED)
        if not (feedback.consent_to_publish or public_interest):
            raise DomainError(
                _(
                    "Người gửi không đồng ý công khai. Chỉ công khai khi vì lợi ích chung, và cần ghi rõ "
                    "điều đó."
                )
            )
        missing = [
            _field(column, _("Vui lòng nhập nội dung này.")) for column, value in texts.items() if not value
        ]
        if len(texts["public_title"]) > 300:
            missing.append(_field("public_title", _("Tối đa %(limit)s ký tự.") % {"limit": 300}))
        if missing:
            raise ValidationFailed(errors=missing, summary=_("Vui lòng nhập đủ nội dung công khai."))
        redaction.ensure_clean(feedback, **texts)
        changed = states.move(feedback, Status.PUBLISHED, now)
        feedback.public_title = texts["public_title"]
        feedback.public_content = texts["public_content"]
        feedback.public_answer = texts["public_answer"]
        feedback.public_interest = bool(public_interest)
        feedback.save(update_fields=[*changed, *texts, "public_interest"])
        _event(feedback, Action.PUBLISHED, now, actor=actor)
        _audit("published", actor, request, feedback, public_interest=feedback.public_interest)
        indexing.index_feedback(feedback)
        notices.published(feedback, now=now)
    return feedback


def rate(
    *, feedback_id: int, satisfaction: str, comment: str = "", now: dt.datetime | None = None
) -> FeedbackRating:
    """The sender's rating of the answer (the caller has checked it is the sender); rating again replaces it."""
    now = now or timezone.now()
    if satisfaction not in Satisfaction.values:
        message = _("Vui lòng chọn mức độ hài lòng.")
        raise ValidationFailed(errors=[_field("satisfaction", message)], summary=message)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        message = _("Tối đa %(limit)s ký tự.") % {"limit": COMMENT_MAX}
        raise ValidationFailed(errors=[_field("comment", message)], summary=message)
    with transaction.atomic():
        feedback = _locked(feedback_id)
        if feedback.status not in states.ANSWERED:
            raise states.TransitionNotAllowed(
                _("Chỉ đánh giá được khi phản ánh %(code)s đã có kết quả xử lý.") % {"code": feedback.code}
            )
        rating, _created = FeedbackRating.objects.update_or_create(
            feedback=feedback, defaults={"satisfaction": satisfaction, "comment": comment, "rated_at": now}
        )
        _event(feedback, Action.RATED, now, note=str(Satisfaction(satisfaction).label))
        Feedback.objects.filter(pk=feedback.pk).update(updated_at=now)
    return rating


# --- Open311 clients ----------------------------------------------------------------------------------------------


def create_open311_client(
    *,
    name: str,
    contact_email: str = "",
    actor: User | None,
    request: HttpRequest | None = None,
    key: str = "",
) -> tuple[Open311Client, str]:
    """Register an application allowed to file feedback through Open311; returns it and its API key, shown
    once (only its digest is kept). `key` is for the demo's fixed key only."""
    if actor is not None:
        _require_operator(actor)
    name = _required_text(name, "name", _("Vui lòng nhập tên ứng dụng."), 200)
    api_key = key or f"{secrets.token_hex(6)}.{secrets.token_urlsafe(32)}"
    prefix = api_key.partition(".")[0]
    with transaction.atomic():
        client = Open311Client.objects.create(
            name=name,
            contact_email=contact_email.strip(),
            key_prefix=prefix,
            key_hash=selectors.key_digest(api_key),
        )
        if actor is not None:
            audit.record("feedback.open311_client_created", actor=actor, request=request, target=client)
    return client, api_key
