"""Late dossiers: finding those that passed their appointment (and telling their owners once), and the
agency's apology with a new date (form 04).

Overdue is derived (DOMAIN.md: past the appointment and not finished); `overdue_notified_at` only records that
a lateness was noticed, so that the periodic detection tells each owner once per appointment missed.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from dichvucong.accounts.models import User
from dichvucong.accounts.roles import Role
from dichvucong.core import audit
from dichvucong.core.errors import DomainError
from dichvucong.dossiers import deadlines, printing, services, sync
from dichvucong.dossiers.models import OPEN_STATUSES, Apology, Dossier, Origin

BATCH_SIZE = 1000
REASON_MAX = 2000


def _when(moment: dt.datetime) -> str:
    return f"{deadlines.local(moment):%H:%M} ngày {deadlines.local(moment):%d/%m/%Y}"


def overdue_candidates(now: dt.datetime) -> QuerySet[Dossier]:
    """Open dossiers past their appointment and not noticed yet. The filter on the open statuses repeats the
    predicate of the partial index `dossier_open_due_idx`, so that PostgreSQL can prove the query lies within
    the index and read only its range of past dates."""
    return Dossier.objects.filter(status__in=OPEN_STATUSES, due_at__lt=now, overdue_notified_at__isnull=True)


def _overdue_key(dossier: Dossier) -> str:
    # One notice per appointment missed: a dossier late again after an apology is told again.
    due = deadlines.local(dossier.due_at) if dossier.due_at else None
    return f"{dossier.code}:overdue" + (f":{due:%Y%m%d%H%M}" if due else "")


def _notice_overdue(dossier: Dossier, owner: User, now: dt.datetime) -> None:
    assert dossier.due_at is not None
    services.notify(
        user=owner,
        dossier=dossier,
        key=_overdue_key(dossier),
        title=_("Hồ sơ %(code)s đã quá hạn trả kết quả") % {"code": dossier.code},
        body=_(
            "Hồ sơ %(procedure)s (mã %(code)s) đã quá thời hạn hẹn trả kết quả lúc %(due)s. Cơ quan giải quyết "
            "sẽ gửi văn bản xin lỗi nêu rõ lý do và thời hạn trả kết quả mới."
        )
        % {
            "procedure": dossier.procedure_name or dossier.procedure_code,
            "code": dossier.code,
            "due": _when(dossier.due_at),
        },
        now=now,
    )


def _process_batch(ids: list[int], now: dt.datetime) -> int:
    """Mark one batch and notify the owners of its portal dossiers, in one transaction (the e-mail and SMS
    copies go through the outbox with it). Rows another run holds are skipped: that run handles them."""
    with transaction.atomic():
        dossiers = list(
            overdue_candidates(now)
            .filter(id__in=ids)
            .select_for_update(skip_locked=True)
            .only("id", "code", "origin", "owner_id", "due_at", "procedure_code", "procedure_name")
            .order_by("id")
        )
        if not dossiers:
            return 0
        Dossier.objects.filter(id__in=[d.pk for d in dossiers]).update(overdue_notified_at=now)
        owners = User.objects.in_bulk(
            {d.owner_id for d in dossiers if d.origin == Origin.PORTAL and d.owner_id is not None}
        )
        for dossier in dossiers:
            owner = (
                owners.get(dossier.owner_id) if dossier.origin == Origin.PORTAL and dossier.owner_id else None
            )
            if owner is not None:
                _notice_overdue(dossier, owner, now)
    return len(dossiers)


def detect_overdue(*, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Find open dossiers past their appointment that were not noticed yet, mark them (`overdue_notified_at`)
    and tell the owners of portal dossiers (in-app, e-mail, SMS), once. Returns how many were marked.

    Runs on a table of tens of millions: it walks the partial index `dossier_open_due_idx` in (due date, id)
    order, a batch at a time, each batch a short transaction; running it twice, or two at once, notifies once.
    """
    now = now or timezone.now()
    marked = 0
    after: tuple[dt.datetime, int] | None = None
    while True:
        candidates = overdue_candidates(now)
        if after is not None:
            # Keyset on (due_at, id); `due_at >= x` keeps the walk an index range scan.
            candidates = candidates.filter(due_at__gte=after[0]).exclude(due_at=after[0], id__lte=after[1])
        rows = list(candidates.order_by("due_at", "id").values_list("due_at", "id")[:batch_size])
        if not rows:
            return marked
        marked += _process_batch([pk for _due, pk in rows], now)
        last_due, last_id = rows[-1]
        assert last_due is not None  # due_at < now excludes NULL
        after = (last_due, last_id)
        if len(rows) < batch_size:
            return marked


# --- apology (form 04) -----------------------------------------------------------------------------------------


def _check_new_date(dossier: Dossier, new_due_at: dt.datetime, now: dt.datetime) -> None:
    from dichvucong.organisations.selectors import working_calendar

    if new_due_at.tzinfo is None:
        raise DomainError(_("Thời hạn trả kết quả mới phải ghi rõ múi giờ."))
    current = dossier.due_at
    if current is not None and new_due_at <= current:
        raise DomainError(
            _("Thời hạn trả kết quả mới phải sau thời hạn hiện tại (%(due)s).") % {"due": _when(current)}
        )
    if new_due_at <= now:
        raise DomainError(_("Thời hạn trả kết quả mới phải ở thời điểm sau hiện tại."))
    moment = deadlines.local(new_due_at)
    day = moment.date()
    calendar = working_calendar(dossier.agency, start=day, end=day)
    off = calendar.day_off_reason(day)
    if off:
        raise DomainError(
            _("Ngày %(day)s là ngày nghỉ của cơ quan (%(reason)s); hãy chọn một ngày làm việc.")
            % {"day": f"{day:%d/%m/%Y}", "reason": off}
        )
    periods = [calendar.morning] if day.weekday() == 5 else [calendar.morning, calendar.afternoon]
    # The close of office counts: appointments are set at it (deadlines.due_at).
    if not any(opens <= moment.time() <= closes for opens, closes in periods):
        hours = ", ".join(f"{opens:%H:%M}–{closes:%H:%M}" for opens, closes in periods)
        raise DomainError(
            _("Giờ hẹn trả kết quả phải trong giờ làm việc của cơ quan (%(hours)s).") % {"hours": hours}
        )


def _signer_title(actor: User) -> str:
    roles = set(actor.officer_roles.values_list("role", flat=True)) if actor.pk else set()
    if Role.HEAD in roles:
        return str(Role.HEAD.label)
    return str(Role.HANDLER.label)


@transaction.atomic
def issue_apology(
    *,
    dossier: Dossier,
    reason: str,
    new_due_at: dt.datetime,
    actor: User,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
) -> Apology:
    """The agency apologises for a late dossier (form 04): states the reason and a new appointment, later than
    the current one, on a working day of the agency within its office hours. The dossier's appointment becomes
    the new date, its lateness may be noticed again, and the owner is told (in-app, e-mail and SMS) with the
    link to the letter. Audited as "dossier.apology"."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Cần nêu lý do chậm trả kết quả."))
    if len(reason) > REASON_MAX:
        raise DomainError(_("Lý do dài quá %(n)d ký tự.") % {"n": REASON_MAX})
    locked = Dossier.objects.select_for_update(of=("self",)).select_related("agency").get(pk=dossier.pk)
    if locked.status not in OPEN_STATUSES:
        raise DomainError(_("Chỉ gửi văn bản xin lỗi cho hồ sơ đang được giải quyết."))
    _check_new_date(locked, new_due_at, now)
    apology = Apology.objects.create(
        dossier=locked,
        reason=reason,
        old_due_at=locked.due_at,
        new_due_at=new_due_at,
        signer_name=(actor.full_name or actor.username)[:200],
        signer_title=_signer_title(actor),
        created_by=actor,
        created_at=now,
    )
    # recompute_due reads the apologies; it leaves alone the dossiers whose date the agency's system sets, or
    # that never had one, so the new date is set directly on those.
    sync.recompute_due([locked.pk])
    Dossier.objects.filter(pk=locked.pk).exclude(due_at__gte=new_due_at).update(due_at=new_due_at)
    Dossier.objects.filter(pk=locked.pk).update(overdue_notified_at=None)
    locked.refresh_from_db(fields=["due_at", "overdue_notified_at"])
    audit.record(
        "dossier.apology",
        actor=actor,
        request=request,
        target=locked,
        detail={
            "apology": apology.pk,
            "old_due_at": apology.old_due_at.astimezone(dt.UTC).isoformat() if apology.old_due_at else None,
            "new_due_at": new_due_at.astimezone(dt.UTC).isoformat(),
            "reason": reason[:500],
        },
    )
    if locked.owner_id is not None:
        _notice_apology(locked, locked.owner_id, apology, now)
    return apology


def _notice_apology(dossier: Dossier, owner_id: int, apology: Apology, now: dt.datetime) -> None:
    owner = User.objects.filter(pk=owner_id).first()
    if owner is None:
        return
    services.notify(
        user=owner,
        dossier=dossier,
        key=f"{dossier.code}:apology:{apology.pk}",
        title=_("Văn bản xin lỗi và hẹn lại ngày trả kết quả hồ sơ %(code)s") % {"code": dossier.code},
        body=_(
            "%(agency)s xin lỗi vì chưa trả kết quả hồ sơ %(code)s đúng hẹn. Lý do: %(reason)s "
            "Thời hạn trả kết quả mới: %(due)s. Văn bản xin lỗi: %(url)s"
        )
        % {
            "agency": dossier.agency.name,
            "code": dossier.code,
            "reason": apology.reason.rstrip(".") + ".",
            "due": _when(apology.new_due_at),
            "url": printing.form_url(dossier, "04"),
        },
        now=now,
    )
