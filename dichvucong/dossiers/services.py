"""Writes on dossiers made on the portal: submission (code, appointment, delivery through the outbox),
delivery receipts, results, ratings and notifications. The status sync of every dossier is in `sync.py`."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dichvucong.accounts.models import User
from dichvucong.core import outbox
from dichvucong.core.errors import DomainError, NotFound
from dichvucong.dossiers import deadlines
from dichvucong.dossiers.models import (
    AgencyIntegration,
    Channel,
    Dossier,
    DossierCounter,
    DossierDocument,
    DossierEvent,
    Notification,
    Origin,
    Rating,
    Status,
    StoredDocument,
)
from dichvucong.organisations.models import Agency

DELIVER_TOPIC = "dossiers.deliver"
EMAIL_TOPIC = "notify.email"
SMS_TOPIC = "notify.sms"
RATING_CRITERIA = 9
CHANNEL_KEYS = {Channel.IN_PERSON: "in_person", Channel.ONLINE: "online", Channel.POST: "post"}


@dataclass(frozen=True)
class Applicant:
    name: str
    id_number: str
    kind: int = 1
    email: str = ""
    phone: str = ""
    address: str = ""


@dataclass(frozen=True)
class Attachment:
    """A document of the personal store given for one slot of the e-form."""

    slot: str
    name: str
    document_id: int


def agency_code_for_dossiers(agency: Agency) -> str:
    """The first part of a dossier code: the agency's identification code (Circular 10/2016/TT-BTTTT), or its
    register code while operators have not set one."""
    return agency.identification_code or agency.code


def new_dossier_code(agency: Agency, at: dt.datetime) -> str:
    """`<agency code>-YYMMDD-NNNN`, the counter per agency reset each day (local date). Call inside the
    transaction that creates the dossier: the counter row stays locked until it commits."""
    prefix = agency_code_for_dossiers(agency)
    day = deadlines.local(at).date()
    counter, _created = DossierCounter.objects.get_or_create(agency_code=prefix, day=day)
    DossierCounter.objects.filter(pk=counter.pk).update(value=F("value") + 1)
    value = DossierCounter.objects.values_list("value", flat=True).get(pk=counter.pk)
    return f"{prefix}-{day:%y%m%d}-{value:04d}"


def _method(procedure: Any, channel: int) -> dict[str, Any]:
    key = CHANNEL_KEYS.get(Channel(channel), "online")
    methods = procedure.methods or []
    for method in methods:
        if method.get("channel") == key:
            return dict(method)
    return dict(methods[0]) if methods else {}


def appointment_for(agency: Agency, method: dict[str, Any], received_at: dt.datetime) -> dt.datetime | None:
    """When the result is promised, by the method's time limit and the agency's working calendar."""
    from dichvucong.organisations.selectors import working_calendar

    limit = method.get("time_limit")
    if limit in (None, ""):
        return None
    return deadlines.due_at(
        working_calendar(agency), received_at, int(limit), method.get("time_unit") or "working_days"
    )


@transaction.atomic
def submit_dossier(
    *,
    owner: User,
    procedure: Any,
    agency: Agency,
    applicant: Applicant,
    summary: str,
    form_data: dict[str, Any],
    attachments: Sequence[Attachment] = (),
    channel: int = Channel.ONLINE,
    now: dt.datetime | None = None,
) -> Dossier:
    """Create a dossier from a validated e-form: its code, its appointment date, its documents, its first
    event, the delivery to the agency's one-stop system (outbox) and the owner's notice, in one transaction."""
    now = now or timezone.now()
    method = _method(procedure, channel)
    code = new_dossier_code(agency, now)
    due = appointment_for(agency, method, now)
    fees = [
        {
            "MaLePhi": fee.get("code", ""),
            "SoTien": int(fee.get("amount") or 0),
            "MoTa": fee.get("description", ""),
        }
        for fee in method.get("fees", [])
    ]
    dossier = Dossier.objects.create(
        code=code,
        agency=agency,
        procedure_code=procedure.code,
        procedure_name=procedure.name,
        field_name=", ".join(f.name for f in procedure.fields.all()),
        origin=Origin.PORTAL,
        channel=channel,
        owner=owner,
        applicant_kind=applicant.kind,
        applicant_name=applicant.name,
        applicant_id_number=applicant.id_number,
        applicant_email=applicant.email,
        applicant_phone=applicant.phone,
        summary=summary,
        status=Status.SUBMITTED,
        status_at=now,
        status_event=f"portal-{code}-01",
        submitted_at=now,
        due_at=due,
        original_due_at=due,
        details={
            "form": form_data,
            "fees": fees,
            "address": applicant.address,
            "time_limit": {
                "value": method.get("time_limit"),
                "unit": method.get("time_unit", ""),
                "text": method.get("time_limit_text", ""),
            },
            "procedure_version": procedure.version,
        },
    )
    documents = {
        d.pk: d
        for d in StoredDocument.objects.filter(owner=owner, pk__in=[a.document_id for a in attachments])
    }
    missing = [a for a in attachments if a.document_id not in documents]
    if missing:
        raise NotFound(_("Không tìm thấy giấy tờ đã chọn trong kho của bạn."))
    DossierDocument.objects.bulk_create(
        DossierDocument(
            dossier=dossier,
            kind=DossierDocument.Kind.SUBMITTED,
            slot=a.slot,
            name=a.name,
            document=documents[a.document_id],
        )
        for a in attachments
    )
    DossierEvent.objects.create(
        agency=agency,
        event_id=f"portal-{code}-01",
        dossier=dossier,
        status=Status.SUBMITTED,
        occurred_at=now,
        unit=_("Cổng Dịch vụ công quốc gia"),
        content=_("Nộp hồ sơ trực tuyến"),
        source=DossierEvent.Source.PORTAL,
        recorded_at=now,
    )
    outbox.enqueue(topic=DELIVER_TOPIC, key=code, payload={"dossier_code": code})
    notify(
        user=owner,
        dossier=dossier,
        key=f"{code}:submitted",
        title=_("Đã nộp hồ sơ %(code)s") % {"code": code},
        body=_("Hồ sơ %(procedure)s đã được gửi tới %(agency)s.")
        % {"procedure": procedure.name, "agency": agency.name},
        now=now,
    )
    return dossier


def record_delivery(*, code: str, at: dt.datetime, integration_id: int | None = None) -> None:
    """The agency's one-stop system took the dossier (idempotent: the first delivery time stays)."""
    Dossier.objects.filter(code=code, delivered_at__isnull=True).update(delivered_at=at)
    if integration_id is not None:
        AgencyIntegration.objects.filter(pk=integration_id).update(last_delivered_at=at, last_error="")


def store_document(
    *,
    owner: User | None,
    title: str,
    content: bytes,
    filename: str,
    content_type: str,
    source: str = StoredDocument.Source.UPLOAD,
) -> StoredDocument:
    """Keep a file in a person's document store (checked by the caller: type by content, size)."""
    document = StoredDocument(
        owner=owner,
        title=title[:255],
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        source=source,
    )
    document.file.save(filename, ContentFile(content), save=False)
    document.save()
    return document


@transaction.atomic
def add_result(
    *, dossier: Dossier, name: str, code: str, content: bytes, filename: str, content_type: str
) -> DossierDocument:
    """A result document sent by the agency, kept in the owner's document store. The same file sent twice is
    kept once."""
    digest = hashlib.sha256(content).hexdigest()
    existing = (
        DossierDocument.objects.select_related("document")
        .filter(dossier=dossier, kind=DossierDocument.Kind.RESULT, document__sha256=digest)
        .first()
    )
    if existing is not None:
        return existing
    stored = store_document(
        owner=dossier.owner,
        title=name,
        content=content,
        filename=filename,
        content_type=content_type,
        source=StoredDocument.Source.RESULT,
    )
    result = DossierDocument.objects.create(
        dossier=dossier, kind=DossierDocument.Kind.RESULT, name=name[:500], code=code[:60], document=stored
    )
    if dossier.owner is not None:
        notify(
            user=dossier.owner,
            dossier=dossier,
            key=f"{dossier.code}:result:{digest[:16]}",
            title=_("Có kết quả hồ sơ %(code)s") % {"code": dossier.code},
            body=_("Kết quả “%(name)s” đã có trong kho giấy tờ của bạn.") % {"name": name},
        )
    return result


def _check_score(value: Any, allowed: range, label: str) -> int:
    if not isinstance(value, int) or value not in allowed:
        raise DomainError(_("%(label)s: chọn một mức đánh giá.") % {"label": label})
    return value


@transaction.atomic
def rate_dossier(
    *, dossier: Dossier, scores: Sequence[int], convenience: int, overall: int, comment: str = ""
) -> Rating:
    """The applicant's rating, once per dossier, after the result (status 9 or 10): nine criteria 2/1/0
    (DOMAIN.md) and two questions (2 very satisfied, 1 satisfied, 0 not satisfied)."""
    if dossier.status not in (Status.RESULT_READY, Status.RESULT_RETURNED):
        raise DomainError(_("Chỉ đánh giá được hồ sơ đã có kết quả."))
    if len(scores) != RATING_CRITERIA:
        raise DomainError(_("Cần đánh giá đủ 9 tiêu chí."))
    checked = [_check_score(s, range(3), _("Tiêu chí %(n)d") % {"n": i + 1}) for i, s in enumerate(scores)]
    rating = Rating(
        dossier=dossier,
        agency_id=dossier.agency_id,
        procedure_code=dossier.procedure_code,
        scores=checked,
        total=sum(checked),
        convenience=_check_score(convenience, range(3), _("Mức độ thuận tiện")),
        overall=_check_score(overall, range(3), _("Mức độ hài lòng chung")),
        comment=comment.strip()[:2000],
    )
    try:
        with transaction.atomic():
            rating.save()
    except IntegrityError as exc:
        raise DomainError(_("Hồ sơ này đã được đánh giá.")) from exc
    return rating


def notify(
    *,
    user: User,
    dossier: Dossier | None,
    key: str,
    title: str,
    body: str,
    now: dt.datetime | None = None,
) -> Notification | None:
    """An in-app notice, with e-mail and SMS copies through the outbox; once per key (retries send nothing
    more). Returns None when the notice was given before."""
    notification, created = Notification.objects.get_or_create(
        key=key[:120],
        defaults={
            "user": user,
            "dossier": dossier,
            "title": title[:300],
            "body": body,
            "created_at": now or timezone.now(),
        },
    )
    if not created:
        return None
    if user.email:
        outbox.enqueue(topic=EMAIL_TOPIC, key=key, payload={"to": user.email, "subject": title, "body": body})
    if user.phone:
        outbox.enqueue(topic=SMS_TOPIC, key=key, payload={"to": user.phone, "text": title})
    return notification


def notify_status(*, dossier_id: int, code: str, owner_id: int, status: int, event_id: str) -> None:
    """Tell the owner of a portal dossier its new status (called by the sync for each changed dossier)."""
    user = User.objects.filter(pk=owner_id).first()
    if user is None:
        return
    label = Status(status).label
    notify(
        user=user,
        dossier=Dossier(pk=dossier_id, code=code),
        key=f"{code}:{event_id}",
        title=_("Hồ sơ %(code)s: %(status)s") % {"code": code, "status": label},
        body=_("Trạng thái mới của hồ sơ %(code)s: %(status)s.") % {"code": code, "status": label},
    )


def notify_statuses(changes: Sequence[tuple[int, str, int, int, str]]) -> None:
    """`notify_status` for many (dossier id, code, owner id, status, event id) at once, as the status sync needs
    it for a batch: the same notices and e-mail/SMS copies, in a handful of queries whatever the number."""
    users = {
        u.pk: u for u in User.objects.filter(pk__in={c[2] for c in changes}).only("id", "email", "phone")
    }
    now = timezone.now()
    wanted: dict[str, tuple[tuple[int, str, int, int, str], User]] = {}
    for change in changes:
        user = users.get(change[2])
        if user is not None:
            wanted[f"{change[1]}:{change[4]}"[:120]] = (change, user)
    known = set(Notification.objects.filter(key__in=list(wanted)).values_list("key", flat=True))
    notices, messages = [], []
    for key, ((dossier_id, code, _owner, status, _event), user) in wanted.items():
        if key in known:
            continue
        label = Status(status).label
        title = _("Hồ sơ %(code)s: %(status)s") % {"code": code, "status": label}
        body = _("Trạng thái mới của hồ sơ %(code)s: %(status)s.") % {"code": code, "status": label}
        notices.append(
            Notification(
                user=user, dossier_id=dossier_id, key=key, title=title[:300], body=body, created_at=now
            )
        )
        if user.email:
            messages.append((EMAIL_TOPIC, key, {"to": user.email, "subject": title, "body": body}))
        if user.phone:
            messages.append((SMS_TOPIC, key, {"to": user.phone, "text": title}))
    Notification.objects.bulk_create(notices, ignore_conflicts=True)
    outbox.enqueue_many(messages)


def mark_notifications_read(*, user: User, ids: Sequence[int] | None = None) -> int:
    queryset = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(pk__in=ids)
    return queryset.update(read_at=timezone.now())
