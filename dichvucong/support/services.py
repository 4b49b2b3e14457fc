"""Writes of the help desk: opening a ticket (a call taken by an agent, a question asked on the site), what is
said and done on it (calls, notes, replies, hand-over to the competent agency, resolution, reopening), the asker
following up from the site, and turning a good question into one of the catalogue's questions and answers.

Rules kept here:
- a ticket is with one agency at a time; the desk that opened it keeps seeing it. An officer acts on a ticket
  when either agency is in their scope, otherwise NotFound (its existence is not revealed);
- each action is allowed only in some statuses (`states.ALLOWED`, one table);
- every agent's or officer's action is written as an entry of the ticket and to the audit log, in the same
  transaction; what the asker is told goes through the outbox in that transaction too.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from dichvucong.accounts.selectors import agency_scope
from dichvucong.catalogue import selectors as catalogue
from dichvucong.catalogue import services as catalogue_services
from dichvucong.catalogue.models import Faq
from dichvucong.catalogue.records import FaqRecord
from dichvucong.core import audit
from dichvucong.core.errors import DomainError, FieldError, Forbidden, NotFound
from dichvucong.core.scope import AgencyScope
from dichvucong.core.text import fold
from dichvucong.organisations.models import Agency

from . import notices, selectors, states, validation
from .models import EntryKind, Ticket, TicketChannel, TicketEntry, TicketStatus, TicketTopic

# Crockford's base32 without look-alikes (no I, L, O, U): codes people read out on the phone.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LOCAL_TZ = timezone.get_fixed_timezone(7 * 60)

ADD = "support.add_ticket"
CHANGE = "support.change_ticket"


def new_code(now: datetime) -> str:
    """HT-YYMMDD-XXXXXX: the local day it was opened and six random characters, unique."""
    day = timezone.localtime(now, LOCAL_TZ).strftime("%y%m%d")
    while True:
        code = f"HT-{day}-{''.join(secrets.choice(_CODE_ALPHABET) for _ in range(6))}"
        if not Ticket.objects.filter(code=code).exists():
            return code


def _require(actor: Any, permission: str) -> None:
    if actor is None or not actor.has_perm(permission):
        raise Forbidden(_("Vai trò của bạn không cho phép thao tác này."))


def _desk_agency() -> Agency:
    agency = Agency.objects.filter(code=settings.SUPPORT_DESK_AGENCY_CODE).first()
    if agency is None:
        raise DomainError(_("Chưa cấu hình cơ quan của tổng đài hỗ trợ (SUPPORT_DESK_AGENCY_CODE)."))
    return agency


def _ticket_for(scope: AgencyScope, ticket_id: int, action: str) -> Ticket:
    """The ticket, locked for the change, if `scope` may see it (else NotFound) and its status allows `action`."""
    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None or not selectors.is_visible(scope, ticket):
        raise NotFound(_("Không tìm thấy yêu cầu hỗ trợ."))
    states.check(ticket, action)
    return ticket


def _entry(ticket: Ticket, kind: str, now: datetime, *, author: Any = None, **fields: Any) -> TicketEntry:
    return TicketEntry.objects.create(ticket=ticket, kind=kind, at=now, author=author, **fields)


def _touch(ticket: Ticket, now: datetime, *fields: str) -> None:
    ticket.updated_at = now
    ticket.save(update_fields=[*fields, "updated_at"])


_SEARCHED = [
    "code",
    "caller_name",
    "caller_phone",
    "caller_email",
    "procedure_code",
    "dossier_code",
    "payment_reference",
    "feedback_code",
    "subject",
    "description",
]


def _search_text(ticket: Ticket) -> str:
    return fold(" ".join(str(getattr(ticket, name)) for name in _SEARCHED))


# --- opening a ticket ------------------------------------------------------------------------------------------


def open_ticket(
    *,
    channel: str,
    topic: str,
    subject: str,
    description: str = "",
    caller_name: str = "",
    caller_phone: str = "",
    caller_email: str = "",
    user: Any = None,
    procedure_code: str = "",
    dossier_code: str = "",
    payment_reference: str = "",
    feedback_code: str = "",
    actor: Any = None,
    call_duration_seconds: int | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Open a ticket: a call an agent (`actor`) takes, or a question asked on the site (no actor; `user` when
    signed in). Every problem is reported at once (ValidationFailed, one FieldError per field). The ticket is
    with the help desk (SUPPORT_DESK_AGENCY_CODE), or with the agent's own agency when they have one; the asker
    on the site is told its code."""
    now = now or timezone.now()
    if actor is not None:
        _require(actor, ADD)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    errors: list[FieldError] = []
    if channel not in TicketChannel.values:
        errors.append(FieldError(None, "channel", _("Kênh tiếp nhận không hợp lệ.")))
    elif channel == TicketChannel.PHONE and actor is None:
        errors.append(FieldError(None, "channel", _("Cuộc gọi chỉ do điện thoại viên ghi nhận.")))
    if topic not in TicketTopic.values:
        errors.append(FieldError(None, "topic", _("Vui lòng chọn chủ đề cần hỗ trợ.")))
    subject = validation.text(subject, "subject", _("Vui lòng nhập nội dung cần hỗ trợ."), errors, limit=300)
    description = (description or "").strip()
    if len(description) > validation.TEXT_MAX:
        errors.append(FieldError(None, "description", _("Tối đa %(n)d ký tự.") % {"n": validation.TEXT_MAX}))
    caller_name = " ".join((caller_name or "").split())
    phone, email = validation.contacts(
        channel=channel,
        caller_name=caller_name,
        caller_phone=caller_phone,
        caller_email=caller_email,
        user=user,
        actor=actor,
        errors=errors,
    )
    validation.duration(call_duration_seconds, errors, "call_duration_seconds")
    codes = validation.linked_codes(
        procedure_code=(procedure_code or "").strip(),
        dossier_code=(dossier_code or "").strip(),
        payment_reference=(payment_reference or "").strip(),
        feedback_code=(feedback_code or "").strip(),
        user=user,
        web=actor is None,
        errors=errors,
    )
    validation.raise_errors(errors)

    desk = _desk_agency()
    if actor is not None and getattr(actor, "agency_id", None):
        desk = actor.agency
    with transaction.atomic():
        ticket = Ticket(
            code=new_code(now),
            channel=channel,
            topic=topic,
            subject=subject,
            description=description,
            caller_name=caller_name,
            caller_phone=phone,
            caller_email=email,
            user=user,
            status=TicketStatus.OPEN,
            agency=desk,
            desk_agency=desk,
            assignee=actor,
            opened_by=actor if actor is not None else user,
            created_at=now,
            updated_at=now,
            **codes,
        )
        ticket.search_text = _search_text(ticket)
        ticket.save()
        if channel == TicketChannel.PHONE:
            _entry(
                ticket,
                EntryKind.CALL_IN,
                now,
                author=actor,
                text=description or subject,
                duration_seconds=call_duration_seconds,
            )
        else:
            _entry(ticket, EntryKind.MESSAGE, now, author=actor or user, text=description or subject)
        if actor is not None:
            audit.record(
                "support.ticket_opened",
                actor=actor,
                request=request,
                target=ticket,
                detail={"channel": channel, "topic": topic},
            )
        if channel == TicketChannel.WEB:
            notices.tell_asker(
                ticket,
                key=f"support:{ticket.code}:opened",
                title=_("Cổng DVC đã nhận yêu cầu hỗ trợ %(code)s") % {"code": ticket.code},
                body=_(
                    "Cổng Dịch vụ công đã nhận câu hỏi của bạn: “%(subject)s”. Mã yêu cầu: %(code)s. "
                    "Xem trả lời tại %(url)s"
                )
                % {"subject": subject, "code": ticket.code, "url": notices.ticket_url(ticket)},
                now=now,
            )
    return ticket


# --- agents and officers ---------------------------------------------------------------------------------------


def log_call(
    *,
    ticket_id: int,
    actor: Any,
    scope: AgencyScope,
    text: str,
    duration_seconds: int | None = None,
    outgoing: bool = False,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> TicketEntry:
    """Record another call on the ticket: the person calling again, or the agent calling them back."""
    now = now or timezone.now()
    _require(actor, CHANGE)
    errors: list[FieldError] = []
    text = validation.text(text, "text", _("Vui lòng ghi nội dung cuộc gọi."), errors)
    validation.duration(duration_seconds, errors, "duration_seconds")
    with transaction.atomic():
        ticket = _ticket_for(scope, ticket_id, "log_call")
        validation.raise_errors(errors)
        kind = EntryKind.CALL_OUT if outgoing else EntryKind.CALL_IN
        entry = _entry(ticket, kind, now, author=actor, text=text, duration_seconds=duration_seconds)
        _touch(ticket, now)
        audit.record(
            "support.call_logged", actor=actor, request=request, target=ticket, detail={"kind": kind}
        )
    return entry


def add_note(
    *,
    ticket_id: int,
    actor: Any,
    scope: AgencyScope,
    text: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> TicketEntry:
    """An internal note (never shown to the asker)."""
    now = now or timezone.now()
    _require(actor, CHANGE)
    errors: list[FieldError] = []
    text = validation.text(text, "text", _("Vui lòng nhập ghi chú."), errors)
    with transaction.atomic():
        ticket = _ticket_for(scope, ticket_id, "note")
        validation.raise_errors(errors)
        entry = _entry(ticket, EntryKind.NOTE, now, author=actor, text=text)
        _touch(ticket, now)
        audit.record("support.note_added", actor=actor, request=request, target=ticket)
    return entry


def reply(
    *,
    ticket_id: int,
    actor: Any,
    scope: AgencyScope,
    text: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> TicketEntry:
    """Answer the person who asked; they are told (notice, e-mail, SMS) and read it on the ticket's page."""
    now = now or timezone.now()
    _require(actor, CHANGE)
    errors: list[FieldError] = []
    text = validation.text(text, "text", _("Vui lòng nhập nội dung trả lời."), errors)
    with transaction.atomic():
        ticket = _ticket_for(scope, ticket_id, "reply")
        validation.raise_errors(errors)
        entry = _entry(ticket, EntryKind.REPLY, now, author=actor, text=text)
        _touch(ticket, now)
        audit.record("support.replied", actor=actor, request=request, target=ticket)
        notices.tell_asker(
            ticket,
            key=f"support:{ticket.code}:{entry.pk}",
            title=_("Yêu cầu hỗ trợ %(code)s đã có trả lời") % {"code": ticket.code},
            body=_("%(text)s\n\nXem tại %(url)s") % {"text": text, "url": notices.ticket_url(ticket)},
            now=now,
        )
    return entry


def hand_over(
    *,
    ticket_id: int,
    agency_id: int,
    actor: Any,
    scope: AgencyScope,
    reason: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> TicketEntry:
    """Hand the ticket to the competent agency (any agency: the desk's scope is not the limit). The desk keeps
    seeing it; the new agency's officers who handle tickets are told."""
    now = now or timezone.now()
    _require(actor, CHANGE)
    errors: list[FieldError] = []
    reason = validation.text(reason, "reason", _("Vui lòng ghi lý do chuyển."), errors)
    target = Agency.objects.filter(pk=agency_id).first()
    if target is None:
        errors.append(FieldError(None, "agency", _("Vui lòng chọn cơ quan nhận.")))
    with transaction.atomic():
        ticket = _ticket_for(scope, ticket_id, "hand_over")
        if target is not None and target.pk == ticket.agency_id:
            errors.append(FieldError(None, "agency", _("Yêu cầu đang ở cơ quan này.")))
        validation.raise_errors(errors)
        assert target is not None
        source = ticket.agency_id
        entry = _entry(
            ticket,
            EntryKind.HANDOVER,
            now,
            author=actor,
            text=reason,
            from_agency_id=source,
            to_agency=target,
        )
        ticket.agency = target
        ticket.status = TicketStatus.HANDED_OVER
        ticket.assignee = None
        _touch(ticket, now, "agency", "status", "assignee")
        audit.record(
            "support.handed_over",
            actor=actor,
            request=request,
            target=ticket,
            detail={"from": source, "to": target.pk, "reason": reason[:500]},
        )
        notices.tell_officers(
            target,
            permission=CHANGE,
            key=f"support:{ticket.code}:{entry.pk}",
            title=_("Yêu cầu hỗ trợ %(code)s được chuyển đến %(agency)s")
            % {"code": ticket.code, "agency": target.name},
            body=_("%(subject)s\n\nLý do chuyển: %(reason)s") % {"subject": ticket.subject, "reason": reason},
            now=now,
        )
    return entry


def resolve(
    *,
    ticket_id: int,
    actor: Any,
    scope: AgencyScope,
    resolution: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Close the ticket with what was done or answered; the asker is told."""
    now = now or timezone.now()
    _require(actor, CHANGE)
    errors: list[FieldError] = []
    resolution = validation.text(resolution, "resolution", _("Vui lòng ghi kết quả giải quyết."), errors)
    with transaction.atomic():
        ticket = _ticket_for(scope, ticket_id, "resolve")
        validation.raise_errors(errors)
        entry = _entry(ticket, EntryKind.RESOLVED, now, author=actor, text=resolution)
        ticket.status = TicketStatus.RESOLVED
        ticket.resolution = resolution
        ticket.resolved_at = now
        _touch(ticket, now, "status", "resolution", "resolved_at")
        audit.record("support.resolved", actor=actor, request=request, target=ticket)
        notices.tell_asker(
            ticket,
            key=f"support:{ticket.code}:{entry.pk}",
            title=_("Yêu cầu hỗ trợ %(code)s đã được giải quyết") % {"code": ticket.code},
            body=_("%(text)s\n\nXem tại %(url)s") % {"text": resolution, "url": notices.ticket_url(ticket)},
            now=now,
        )
    return ticket


def reopen(
    *,
    ticket_id: int,
    actor: Any,
    scope: AgencyScope,
    reason: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Open a resolved ticket again, with the agency that had it."""
    now = now or timezone.now()
    _require(actor, CHANGE)
    errors: list[FieldError] = []
    reason = validation.text(reason, "reason", _("Vui lòng ghi lý do mở lại."), errors)
    with transaction.atomic():
        ticket = _ticket_for(scope, ticket_id, "reopen")
        validation.raise_errors(errors)
        _entry(ticket, EntryKind.REOPENED, now, author=actor, text=reason)
        ticket.status = states.reopened_status(ticket)
        ticket.resolved_at = None
        _touch(ticket, now, "status", "resolved_at")
        audit.record(
            "support.reopened", actor=actor, request=request, target=ticket, detail={"reason": reason[:500]}
        )
    return ticket


# --- the person who asked --------------------------------------------------------------------------------------


def add_message(
    *,
    ticket_id: int,
    text: str,
    user: Any = None,
    phone: str = "",
    email: str = "",
    now: datetime | None = None,
) -> TicketEntry:
    """The asker adds to their question from the site (signed in as its owner, or with the phone number or
    e-mail address it was opened with). A message on a resolved ticket opens it again."""
    now = now or timezone.now()
    errors: list[FieldError] = []
    text = validation.text(text, "text", _("Vui lòng nhập nội dung."), errors)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None:
            raise NotFound(_("Không tìm thấy yêu cầu hỗ trợ."))
        # The same rule as reading it: anything else is NotFound.
        selectors.ticket_for_asker(ticket.code, user=user, phone=phone, email=email)
        states.check(ticket, "message")
        validation.raise_errors(errors)
        author = user if user is not None and getattr(user, "is_authenticated", False) else None
        entry = _entry(ticket, EntryKind.MESSAGE, now, author=author, text=text)
        fields = []
        if ticket.status == TicketStatus.RESOLVED:
            _entry(ticket, EntryKind.REOPENED, now, text=_("Người dân gửi thêm thông tin."))
            ticket.status = states.reopened_status(ticket)
            ticket.resolved_at = None
            fields = ["status", "resolved_at"]
        _touch(ticket, now, *fields)
    return entry


# --- the catalogue's questions and answers ---------------------------------------------------------------------


def publish_as_faq(
    *,
    ticket_id: int,
    actor: Any,
    question: str,
    answer: str,
    scope: AgencyScope | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> Faq:
    """A portal operator turns a good question into one of the catalogue's questions and answers (saved and
    indexed by the catalogue's own service), linked to the ticket's procedure. Publishing again updates it."""
    now = now or timezone.now()
    scope = scope or agency_scope(actor)
    if actor is None or not scope.is_everything or not actor.has_perm("catalogue.add_faq"):
        raise Forbidden(_("Chỉ quản trị viên Cổng được đăng câu hỏi thường gặp."))
    errors: list[FieldError] = []
    question = validation.text(question, "question", _("Vui lòng nhập câu hỏi."), errors, limit=2000)
    answer = validation.text(answer, "answer", _("Vui lòng nhập câu trả lời."), errors)
    for column, value in (("question", question), ("answer", answer)):
        if value and len(value) < 5:
            errors.append(FieldError(None, column, _("Tối thiểu 5 ký tự.")))
    with transaction.atomic():
        ticket = _ticket_for(scope, ticket_id, "publish_faq")
        errors += validation.personal_data(ticket, {"question": question, "answer": answer})
        validation.raise_errors(errors)
        procedure = None
        if ticket.procedure_code:
            procedure = catalogue.procedures_by_codes([ticket.procedure_code])
        linked = procedure[0] if procedure else None
        first_field = linked.fields.order_by("name").first() if linked is not None else None
        record = FaqRecord(
            code=f"HD-{ticket.code}",
            question=question,
            answer=answer,
            procedures=[linked.code] if linked is not None else [],
            field=first_field.name if first_field is not None else "",
            agency=linked.managing_agency.code if linked is not None else "",
            source=_("Tổng đài hỗ trợ Cổng Dịch vụ công"),
        )
        outcome = catalogue_services.save_faq(record=record)
        faq = Faq.objects.get(code=record.code)
        _entry(
            ticket,
            EntryKind.NOTE,
            now,
            author=actor,
            text=_("Đã đăng thành câu hỏi thường gặp %(code)s.") % {"code": faq.code},
        )
        _touch(ticket, now)
        audit.record(
            "support.faq_published",
            actor=actor,
            request=request,
            target=ticket,
            detail={"faq": faq.code, "outcome": outcome},
        )
    return faq
