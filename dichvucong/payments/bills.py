"""Bills: looked up by code from the agency that issued them, or made by the portal for the fees of its own
dossiers. Both end as one `Bill` row per biller and reference, which orders then pay.

Look-up (`lookup_bill`): the code is normalised the way people type it (spaces dropped, upper case, dashes
unified; Vietnamese letters kept: ``123/qđ-xphc`` → ``123/QĐ-XPHC``), then asked of the active billers of the
group that have an adapter, in the order of their codes; the first that knows the code wins. (Each group has one
biller per province in practice; a caller that knows which one, e.g. from a form, passes `biller`.) How a biller
matches a code is its own affair: sandbox-billers also finds ``123/QD-XPHC`` typed without diacritics. The
biller's answer creates or refreshes the row, under these rules:
- a bill the portal knows to be paid stays paid, whatever the biller says (its webhook may still be on the way);
- a bill made on the portal or sent by an agency (not `LOOKUP`) is never rewritten by a look-up;
- the biller may change an open bill's amount (a fine reduced on appeal, a late-payment surcharge) and the new
  amount is taken, unless an order is still open for the old one: then the look-up is refused until that order
  ends, so that no one pays an amount the agency no longer asks for.

Dossier fees (`bill_for_dossier`): the fee lines the portal wrote when the dossier was submitted (the dossier's
``details["fees"]``, items ``MaLePhi``/``SoTien``/``MoTa``) become one bill whose reference is the dossier code.
Its biller is the active fee biller (group FEE) of the dossier's agency or, failing that, of the nearest agency
above it: the agency's one-stop system, which collects the fees of its procedures and is told of each payment.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dichvucong.core import calls
from dichvucong.core.calls import observe
from dichvucong.core.errors import DomainError, NotFound
from dichvucong.dossiers import selectors as dossier_selectors
from dichvucong.dossiers.models import Status as DossierStatus
from dichvucong.organisations.models import Agency
from dichvucong.payments import billers as adapters
from dichvucong.payments import states
from dichvucong.payments.models import Bill, Biller, BillSource, BillStatus, PaymentOrder, ServiceGroup

log = logging.getLogger(__name__)

MAX_CODE_LENGTH = 100
# Letters of any script (Đ, Ư …), digits and the separators codes are written with.
_CODE_RE = re.compile(r"[\w/.\-()]+")
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—−", "-"))
# What to check, per group, when a code is not found: the paper the code is printed on.
CODE_HINTS = {
    ServiceGroup.FEE: gettext_lazy("mã hồ sơ hoặc số thông báo phí, lệ phí"),
    ServiceGroup.TAX: gettext_lazy("mã thông báo nộp thuế trên thông báo của cơ quan thuế"),
    ServiceGroup.INSURANCE: gettext_lazy("mã số bảo hiểm xã hội (10 chữ số)"),
    ServiceGroup.FINE: gettext_lazy("số quyết định xử phạt, ví dụ 123/QĐ-XPHC"),
    ServiceGroup.ELECTRICITY: gettext_lazy("mã khách hàng in trên hóa đơn tiền điện, ví dụ PD01000123456"),
    ServiceGroup.COURT: gettext_lazy("số thông báo nộp tiền tạm ứng án phí hoặc số thụ lý vụ án"),
}
# A dossier refused, withdrawn or stopped owes no fee.
_NO_FEE_STATUSES = frozenset({DossierStatus.REFUSED, DossierStatus.WITHDRAWN, DossierStatus.STOPPED})


class BillNotFound(NotFound):
    code = "bill-not-found"


class BillerUnavailable(DomainError):
    """The agency's system cannot be asked now, or no system serves the group or agency."""

    status = 503
    code = "biller-unavailable"


class InvalidBillCode(DomainError):
    status = 422
    code = "invalid-bill-code"


class BillChanged(DomainError):
    """The biller changed the amount of a bill an order is still open for."""

    status = 409
    code = "bill-changed"


class NoFeeDue(DomainError):
    status = 409
    code = "no-fee-due"


def _money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def normalise_code(code: str) -> str:
    """A code as people type it, in the form billers store it: no spaces, upper case (Vietnamese letters kept:
    đ → Đ), typographic dashes made plain. Raises InvalidBillCode for an empty or impossible code."""
    text = "".join(unicodedata.normalize("NFC", code or "").translate(_DASHES).split()).upper()
    if not text:
        raise InvalidBillCode(_("Vui lòng nhập mã khoản phải nộp."))
    if len(text) > MAX_CODE_LENGTH or not _CODE_RE.fullmatch(text):
        raise InvalidBillCode(
            _("Mã %(code)s không hợp lệ: mã chỉ gồm chữ, số và các dấu / . -")
            % {"code": text[:MAX_CODE_LENGTH]}
        )
    return text


# --- Look-up --------------------------------------------------------------------------------------------------


def lookup_billers(group: str) -> list[Biller]:
    """The billers a look-up in `group` asks, in the order it asks them."""
    return list(
        Biller.objects.filter(group=group, is_active=True)
        .exclude(adapter="")
        .select_related("agency")
        .order_by("code")
    )


def lookup_bill(
    *,
    group: str,
    code: str,
    user: Any = None,
    now: datetime | None = None,
    biller: Biller | None = None,
) -> Bill:
    """The bill with `code` in `group`, fetched now from its biller (or from `biller` only) and stored or
    refreshed (see the module's rules). Idempotent: the same answer twice gives the same row, unchanged.
    Raises BillNotFound, BillerUnavailable, InvalidBillCode, BillChanged."""
    group = ServiceGroup(group)
    now = now or timezone.now()
    wanted = normalise_code(code)
    if biller is not None:
        if biller.group != group:
            raise ValueError(f"biller {biller.code} is not of group {group}")
        candidates = [biller] if biller.is_active and biller.adapter else []
    else:
        candidates = lookup_billers(group)
    if not candidates:
        raise BillerUnavailable(
            _("Cổng chưa kết nối với cơ quan thu nào cho nhóm “%(group)s”; vui lòng nộp tại cơ quan thu.")
            % {"group": group.label}
        )
    unavailable: list[Biller] = []
    for candidate in candidates:
        try:
            record = _look_up(candidate, wanted)
        except adapters.BillNotFoundAtBiller:
            continue
        except (adapters.BillerUnreachable, adapters.UnknownAdapter) as exc:
            log.warning("payments: look-up of %r at %s failed: %s", wanted, candidate.code, exc)
            unavailable.append(candidate)
            continue
        return _store(candidate, record, user=user, now=now)
    if unavailable:
        # The bill may be at the biller that could not answer: "not found" would be a wrong answer.
        raise BillerUnavailable(
            _(
                "Hệ thống của %(name)s tạm thời không phản hồi nên chưa tra cứu được mã %(code)s; "
                "vui lòng thử lại sau ít phút."
            )
            % {"name": unavailable[0].agency.name, "code": wanted}
        )
    raise BillNotFound(
        _("Không tìm thấy khoản phải nộp với mã %(code)s; vui lòng kiểm tra lại %(hint)s.")
        % {"code": wanted, "hint": CODE_HINTS[group]}
    )


def _look_up(biller: Biller, code: str) -> adapters.BillRecord:
    """Ask the biller's system for a bill, timed as one exchange with it (`core.calls.observe`, operation
    `bill`): "no such bill" is an answer, so a successful exchange; unreachable, a wrong answer or an unknown
    adapter is a failed one. Raises what the adapter raises."""
    with observe(kind=calls.BILLER, integration_id=biller.pk, operation="bill") as observed:
        try:
            return adapters.get_adapter(biller.adapter).lookup(biller, code)
        except adapters.BillNotFoundAtBiller:
            observed.status_code = 404
    raise adapters.BillNotFoundAtBiller(code)


def has_open_order(bill: Bill, *, now: datetime) -> bool:
    """Whether an order for `bill` may still be paid (open, and not past its deadline and grace)."""
    grace = timedelta(seconds=settings.PAYMENT_LATE_GRACE_SECONDS)
    return PaymentOrder.objects.filter(bill=bill, status__in=states.OPEN, expires_at__gt=now - grace).exists()


def _store(biller: Biller, record: adapters.BillRecord, *, user: Any, now: datetime) -> Bill:
    with transaction.atomic():
        bill = Bill.objects.select_for_update().filter(biller=biller, reference=record.reference).first()
        if bill is None:
            try:
                with transaction.atomic():
                    return Bill.objects.create(
                        biller=biller,
                        group=biller.group,
                        agency=biller.agency,
                        reference=record.reference,
                        source=BillSource.LOOKUP,
                        title=record.title[:500],
                        payer_name=record.payer_name[:300],
                        amount=record.amount,
                        due_date=record.due_date,
                        lines=record.lines,
                        details=record.details,
                        status=record.status,
                        owner=user if user is not None and user.is_authenticated else None,
                        fetched_at=now,
                    )
            except IntegrityError:
                # Someone looked the same bill up at the same moment: refresh the row they created.
                bill = Bill.objects.select_for_update().get(biller=biller, reference=record.reference)
        _refresh(bill, record, now=now)
    return bill


def _refresh(bill: Bill, record: adapters.BillRecord, *, now: datetime) -> None:
    if bill.source != BillSource.LOOKUP or bill.status == BillStatus.PAID:
        return
    if record.amount != bill.amount and has_open_order(bill, now=now):
        raise BillChanged(
            _(
                "Số tiền của khoản %(reference)s vừa được cơ quan thu thay đổi (từ %(old)s đồng thành %(new)s "
                "đồng) trong khi đang có lệnh thanh toán chưa hoàn tất cho số tiền cũ. Vui lòng hoàn tất hoặc "
                "hủy lệnh đó, hoặc chờ lệnh hết hạn, rồi tra cứu lại."
            )
            % {"reference": bill.reference, "old": _money(bill.amount), "new": _money(record.amount)}
        )
    bill.title = record.title[:500]
    bill.payer_name = record.payer_name[:300]
    bill.amount = record.amount
    bill.due_date = record.due_date
    bill.lines = record.lines
    bill.details = record.details
    bill.status = record.status
    bill.fetched_at = now
    bill.save(
        update_fields=[
            "title",
            "payer_name",
            "amount",
            "due_date",
            "lines",
            "details",
            "status",
            "fetched_at",
            "updated_at",
        ]
    )


# --- Dossier fees ---------------------------------------------------------------------------------------------


def fee_biller_for(agency: Agency) -> Biller | None:
    """The active fee biller of `agency`, or of the nearest agency above it."""
    seen: set[int] = set()
    current: int | None = agency.pk
    while current is not None and current not in seen:
        seen.add(current)
        biller = (
            Biller.objects.filter(agency_id=current, group=ServiceGroup.FEE, is_active=True)
            .order_by("code")
            .first()
        )
        if biller is not None:
            return biller
        current = Agency.objects.filter(pk=current).values_list("parent_id", flat=True).first()
    return None


def fee_lines(details: dict[str, Any]) -> list[dict[str, Any]]:
    """The fee lines of a dossier (what `dossiers.services.submit_dossier` wrote, or the agency's
    `DanhSachLePhi`), as bill lines; lines of 0 đồng or with an unreadable amount are left out."""
    items = details.get("fees") or details.get("DanhSachLePhi") or []
    lines: list[dict[str, Any]] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        amount = item.get("SoTien")
        if isinstance(amount, str) and amount.strip().isdigit():
            amount = int(amount.strip())
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            continue
        lines.append(
            {
                "code": str(item.get("MaLePhi") or "")[:40],
                "name": str(item.get("MoTa") or "").strip()[:500] or _("Phí, lệ phí"),
                "amount": amount,
            }
        )
    return lines


def bill_for_dossier(dossier_code: str, *, user: Any, now: datetime | None = None) -> Bill | None:
    """The bill of the fees of the caller's own dossier: made once (the same bill every time after), None when
    the dossier owes nothing. Someone else's dossier is NotFound, as if it did not exist. While the bill is
    open and no order is under way, it follows the dossier's fee lines if the agency changed them."""
    if user is None or not user.is_authenticated:
        raise NotFound(_("Không tìm thấy hồ sơ %(code)s trong tài khoản của bạn.") % {"code": dossier_code})
    now = now or timezone.now()
    dossier = dossier_selectors.dossier_for_owner(user, dossier_code.strip())
    lines = fee_lines(dossier.details or {})
    total = sum(line["amount"] for line in lines)
    existing = Bill.objects.filter(source=BillSource.DOSSIER, dossier_code=dossier.code).first()
    if existing is not None:
        if total and total != existing.amount:
            _follow_fees(existing, lines, total, now=now)
        return existing
    if not total:
        return None
    if dossier.status in _NO_FEE_STATUSES:
        raise NoFeeDue(
            _("Hồ sơ %(code)s ở trạng thái “%(status)s” nên không phải nộp phí, lệ phí.")
            % {"code": dossier.code, "status": dossier.get_status_display()}
        )
    biller = fee_biller_for(dossier.agency)
    if biller is None:
        raise BillerUnavailable(
            _(
                "%(agency)s chưa nhận thanh toán phí, lệ phí trực tuyến trên Cổng; vui lòng nộp theo hướng dẫn "
                "của cơ quan."
            )
            % {"agency": dossier.agency.name}
        )
    values = {
        "group": ServiceGroup.FEE,
        "agency": dossier.agency,
        "source": BillSource.DOSSIER,
        "title": (
            _("Phí, lệ phí hồ sơ %(code)s: %(procedure)s")
            % {"code": dossier.code, "procedure": dossier.procedure_name}
        )[:500],
        "payer_name": dossier.applicant_name[:300],
        "amount": total,
        "lines": lines,
        "details": {
            "dossier_code": dossier.code,
            "procedure_code": dossier.procedure_code,
            "procedure_name": dossier.procedure_name,
            "agency_name": dossier.agency.name,
            "applicant_name": dossier.applicant_name,
        },
        "dossier_code": dossier.code,
        "procedure_code": dossier.procedure_code,
        "owner": user,
        "fetched_at": now,
    }
    try:
        with transaction.atomic():
            return Bill.objects.create(biller=biller, reference=dossier.code, **values)
    except IntegrityError:
        # The owner pressed "Pay" twice at once: the other request made it.
        return Bill.objects.get(biller=biller, reference=dossier.code)


def _follow_fees(bill: Bill, lines: list[dict[str, Any]], total: int, *, now: datetime) -> None:
    with transaction.atomic():
        locked = Bill.objects.select_for_update().get(pk=bill.pk)
        if locked.status != BillStatus.OPEN or has_open_order(locked, now=now):
            return
        locked.amount = total
        locked.lines = lines
        locked.fetched_at = now
        locked.save(update_fields=["amount", "lines", "fetched_at", "updated_at"])
    bill.refresh_from_db()
