"""Writes of the payment platform: payment orders, what a provider's report does to them, settling orders whose
notification never came, cancellations, refunds, receipts.

The rules that keep money safe, all here:
- only a verified report from the provider (a notification or a status query) makes an order paid;
- each report's order, amount, currency and time are checked; a report applied twice changes nothing;
- a bill is paid by at most one order; money the platform cannot keep (paid after the deadline, after a
  cancellation, or a second time) is recorded as due for refund, never lost;
- every movement of money is a balanced posting in the append-only ledger, in the transaction that moves the
  order, and the agency's webhook is enqueued in that same transaction (outbox).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dichvucong.core import audit, outbox
from dichvucong.core.errors import DomainError, NotFound
from dichvucong.payments import ledger, states
from dichvucong.payments.models import (
    PAID_STATUSES,
    Bill,
    BillStatus,
    CallbackSource,
    EntryKind,
    LedgerAccount,
    LedgerEntry,
    OrderChannel,
    OrderStatus,
    PaymentOrder,
    Provider,
    ProviderCallback,
    Receipt,
    Refund,
)
from dichvucong.payments.providers import plugin_for
from dichvucong.payments.providers.base import (
    CallbackOutcome,
    CallbackRejected,
    ProviderReport,
    ProviderUnavailable,
    ReportedStatus,
)

log = logging.getLogger(__name__)

NOTIFY_TOPIC = "payments.notify_agency"
LOCAL_TZ = "Asia/Ho_Chi_Minh"
# Crockford's base32 without look-alikes (no I, L, O, U): codes people read aloud and type.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class PaymentError(DomainError):
    pass


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment, timezone=timezone.get_fixed_timezone(7 * 60))


def new_order_reference(now: datetime) -> str:
    """`TT` + the local date and time + 8 random digits: unique, sortable by day, and only letters and digits
    (what every provider accepts as an order id)."""
    return f"TT{_local(now):%y%m%d%H%M%S}{secrets.randbelow(10**8):08d}"


def new_verification_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))


# --- Orders ---------------------------------------------------------------------------------------------------


def create_order(
    *,
    bill: Bill,
    provider: Provider,
    user: Any = None,
    channel: str = OrderChannel.PORTAL,
    client_ip: str | None = None,
    return_url: str = "",
    payer_name: str = "",
    now: datetime | None = None,
) -> PaymentOrder:
    """A new order to pay `bill` through `provider`, or the payer's open order for the same bill and provider
    if there is one still in time (pressing "Pay" twice makes one order)."""
    now = now or timezone.now()
    if bill.status != BillStatus.OPEN:
        raise PaymentError(
            "Khoản này đã được thanh toán." if bill.status == BillStatus.PAID else "Khoản này đã bị hủy."
        )
    if not provider.is_active:
        raise PaymentError("Tổ chức thanh toán này tạm ngừng nhận thanh toán, vui lòng chọn tổ chức khác.")
    if bill.currency != "VND":
        raise PaymentError("Chỉ nhận thanh toán bằng đồng Việt Nam.")
    with transaction.atomic():
        bill = Bill.objects.select_for_update().get(pk=bill.pk)
        if bill.status != BillStatus.OPEN:
            raise PaymentError("Khoản này đã được thanh toán.")
        existing = (
            PaymentOrder.objects.filter(
                bill=bill,
                provider=provider,
                user=user if user is not None and user.is_authenticated else None,
                status__in=states.OPEN,
                expires_at__gt=now + timedelta(minutes=2),
                channel=channel,
                return_url=return_url,
            )
            .order_by("-created_at")
            .first()
        )
        if existing is not None:
            return existing
        return PaymentOrder.objects.create(
            reference=new_order_reference(now),
            bill=bill,
            provider=provider,
            amount=bill.amount,
            currency=bill.currency,
            channel=channel,
            user=user if user is not None and user.is_authenticated else None,
            payer_name=payer_name or bill.payer_name,
            client_ip=client_ip,
            return_url=return_url,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.PAYMENT_ORDER_TTL_SECONDS),
        )


def start_checkout(
    order: PaymentOrder,
    *,
    return_url: str,
    notify_url: str,
    client_ip: str,
    language: str = "vi",
    now: datetime | None = None,
) -> str:
    """Ask the order's provider where to send the payer, and mark the order pending. The provider is called
    outside any transaction (it may be slow); the order is moved only if it is still open afterwards."""
    now = now or timezone.now()
    if order.status not in states.OPEN:
        raise PaymentError("Lệnh thanh toán này đã kết thúc, vui lòng tạo lệnh mới.")
    plugin = plugin_for(order.provider)
    try:
        checkout = plugin.checkout(
            order,
            description=order_description(order),
            return_url=return_url,
            notify_url=notify_url,
            client_ip=client_ip,
            language=language,
        )
    except ProviderUnavailable as exc:
        log.warning("payments: checkout of %s at %s failed: %s", order, order.provider.code, exc)
        raise PaymentError(
            "Tổ chức thanh toán tạm thời không phản hồi. Chưa có khoản tiền nào bị trừ; "
            "vui lòng thử lại sau ít phút hoặc chọn tổ chức khác."
        ) from exc
    with transaction.atomic():
        locked = PaymentOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status == OrderStatus.CREATED:
            changed = states.move(locked, OrderStatus.PENDING, at=now)
            locked.save(update_fields=changed)
    order.refresh_from_db()
    return checkout.url


def order_description(order: PaymentOrder) -> str:
    """The order's description at the provider: plain ASCII-safe text, as gateways want (no diacritics)."""
    from dichvucong.core.text import fold

    bill = order.bill
    return f"Thanh toan {fold(bill.title)[:120]} ma {bill.reference}"[:250]


# --- Reports from providers -----------------------------------------------------------------------------------


def record_rejected(
    provider: Provider, source: str, rejection: CallbackRejected, *, now: datetime | None = None
) -> None:
    """Keep a trace of a message that failed its signature check or could not be read."""
    ProviderCallback.objects.create(
        provider=provider,
        source=source,
        order_reference=rejection.order_reference[:100],
        received_at=now or timezone.now(),
        verified=False,
        outcome=rejection.outcome.value,
        detail={"reason": rejection.reason[:500]},
    )


def apply_report(
    *,
    provider: Provider,
    report: ProviderReport,
    source: str = CallbackSource.NOTIFICATION,
    now: datetime | None = None,
) -> CallbackOutcome:
    """Apply a verified report of `provider` to its order (see the module's rules); return what was done.
    Idempotent: the same report applied again returns DUPLICATE and writes nothing but its trace."""
    now = now or timezone.now()
    with transaction.atomic():
        outcome, detail = _apply(provider, report, source, now)
        ProviderCallback.objects.create(
            provider=provider,
            source=source,
            order_reference=report.order_reference[:100],
            received_at=now,
            verified=True,
            outcome=outcome.value,
            detail={**_report_detail(report), **detail},
        )
    return outcome


def _report_detail(report: ProviderReport) -> dict[str, Any]:
    data = asdict(report)
    data["paid_at"] = report.paid_at.isoformat() if report.paid_at else None
    data["status"] = report.status.value
    return data


def _apply(
    provider: Provider, report: ProviderReport, source: str, now: datetime
) -> tuple[CallbackOutcome, dict[str, Any]]:
    bill_id = (
        PaymentOrder.objects.filter(reference=report.order_reference, provider=provider)
        .values_list("bill_id", flat=True)
        .first()
    )
    if bill_id is None:
        return CallbackOutcome.UNKNOWN_ORDER, {}
    # Lock the bill, then the order: two orders of one bill are settled one after the other.
    bill = Bill.objects.select_for_update(of=("self",)).select_related("biller").get(pk=bill_id)
    order = PaymentOrder.objects.select_for_update().get(reference=report.order_reference)
    if report.status == ReportedStatus.PENDING:
        return CallbackOutcome.IGNORED, {}
    if report.amount != order.amount or report.currency.upper() != order.currency:
        log.warning(
            "payments: %s reports %s %s for order %s of %s %s",
            provider.code,
            report.amount,
            report.currency,
            order,
            order.amount,
            order.currency,
        )
        return CallbackOutcome.AMOUNT_MISMATCH, {"expected_amount": order.amount}
    if report.status == ReportedStatus.FAILED:
        if order.status in states.OPEN:
            changed = states.move(order, OrderStatus.FAILED, at=now)
            order.save(update_fields=changed)
            return CallbackOutcome.APPLIED, {}
        if order.status == OrderStatus.FAILED:
            return CallbackOutcome.DUPLICATE, {}
        return CallbackOutcome.IGNORED, {}  # a failure never undoes a payment or reopens a closed order

    # A payment.
    if report.paid_at is None:
        return CallbackOutcome.MALFORMED, {"reason": "no payment time"}
    skew = timedelta(seconds=settings.PAYMENT_CLOCK_SKEW_SECONDS)
    if report.paid_at < order.created_at - skew or report.paid_at > now + skew:
        return CallbackOutcome.OUT_OF_WINDOW, {"created_at": order.created_at.isoformat()}
    if order.status in PAID_STATUSES:
        if not report.transaction_id or report.transaction_id == order.provider_transaction:
            return CallbackOutcome.DUPLICATE, {}
        return _keep_for_refund(order, report, now, reason="paid twice")
    # Paid by another order, or closed at the agency (paid at its counter, annulled) since the order was made.
    paid_elsewhere = (
        bill.status != BillStatus.OPEN
        or PaymentOrder.objects.filter(bill=bill, status__in=PAID_STATUSES).exclude(pk=order.pk).exists()
    )
    deadline = order.expires_at + timedelta(seconds=settings.PAYMENT_LATE_GRACE_SECONDS)
    if paid_elsewhere or order.status == OrderStatus.CANCELLED or report.paid_at > deadline:
        reason = (
            "bill paid or closed elsewhere"
            if paid_elsewhere
            else ("order cancelled" if order.status == OrderStatus.CANCELLED else "paid after the deadline")
        )
        if order.status in states.OPEN:
            target = OrderStatus.CANCELLED if paid_elsewhere else OrderStatus.EXPIRED
            order.save(update_fields=states.move(order, target, at=now))
        return _keep_for_refund(order, report, now, reason=reason)

    changed = states.move(order, OrderStatus.PAID, at=now)
    order.paid_at = report.paid_at
    order.provider_transaction = report.transaction_id[:80]
    order.provider_bank = report.bank_code[:40]
    order.save(update_fields=[*changed, "paid_at", "provider_transaction", "provider_bank"])
    ledger.post(
        key=f"pay:{order.reference}",
        kind=EntryKind.PAYMENT,
        order=order,
        lines=[
            (LedgerAccount.provider(provider.code), order.amount),
            (LedgerAccount.agency(bill.biller.code), -order.amount),
        ],
        at=now,
    )
    bill.status = BillStatus.PAID
    bill.save(update_fields=["status", "updated_at"])
    receipt = _issue_receipt(order, bill, now)
    outbox.enqueue(
        topic=NOTIFY_TOPIC,
        key=order.reference,
        payload={"order": order.reference, "receipt": receipt.number},
    )
    return CallbackOutcome.APPLIED, {}


def _keep_for_refund(
    order: PaymentOrder, report: ProviderReport, now: datetime, *, reason: str
) -> tuple[CallbackOutcome, dict[str, Any]]:
    """Money collected that the order cannot keep: owed back to the payer, waiting for a refund."""
    posted = ledger.post(
        key=f"late:{order.reference}:{report.transaction_id or 'none'}",
        kind=EntryKind.LATE_PAYMENT,
        order=order,
        lines=[
            (LedgerAccount.provider(order.provider.code), order.amount),
            (LedgerAccount.REFUNDS_DUE, -order.amount),
        ],
        at=now,
    )
    if not posted:
        return CallbackOutcome.DUPLICATE, {}
    order.refund_due += order.amount
    order.save(update_fields=["refund_due", "updated_at"])
    log.warning("payments: %s for order %s kept for refund: %s", report.transaction_id, order, reason)
    return CallbackOutcome.LATE, {"reason": reason}


def _issue_receipt(order: PaymentOrder, bill: Bill, now: datetime) -> Receipt:
    """The receipt of a paid order, its content fixed now (what the PDF and the verification page show)."""
    local = _local(now)
    biller = bill.biller
    content = {
        "order_reference": order.reference,
        "bill_reference": bill.reference,
        "group": bill.group,
        "title": bill.title,
        "agency_name": bill.agency.name,
        "biller_name": biller.name,
        "beneficiary_account": biller.beneficiary_account,
        "payer_name": order.payer_name or bill.payer_name,
        "amount": order.amount,
        "currency": order.currency,
        "lines": bill.lines or [{"name": bill.title, "amount": bill.amount}],
        "details": bill.details,
        "dossier_code": bill.dossier_code,
        "procedure_code": bill.procedure_code,
        "provider_name": order.provider.name,
        "provider_transaction": order.provider_transaction,
        "paid_at": order.paid_at.isoformat() if order.paid_at else now.isoformat(),
    }
    receipt, _created = Receipt.objects.get_or_create(
        order=order,
        defaults={
            "number": f"BL{local:%Y}-{order.pk:010d}",
            "verification_code": new_verification_code(),
            "issued_at": now,
            "content": content,
        },
    )
    return receipt


# --- Settling, cancelling, expiring ---------------------------------------------------------------------------


def settle(order: PaymentOrder, *, now: datetime | None = None) -> CallbackOutcome | None:
    """Ask the provider for the order's status and apply the answer (the notification may never have come);
    an open order still unpaid after its deadline is then expired. Returns the outcome, or None if the
    provider could not be asked."""
    now = now or timezone.now()
    plugin = plugin_for(order.provider)
    try:
        report = plugin.query(order)
    except ProviderUnavailable as exc:
        log.info("payments: status query of %s failed: %s", order, exc)
        outcome = None
    except CallbackRejected as exc:
        record_rejected(order.provider, CallbackSource.QUERY, exc, now=now)
        outcome = None
    else:
        outcome = apply_report(provider=order.provider, report=report, source=CallbackSource.QUERY, now=now)
    expire_if_due(order, now=now)
    return outcome


def expire_if_due(order: PaymentOrder, *, now: datetime) -> bool:
    deadline = order.expires_at + timedelta(seconds=settings.PAYMENT_LATE_GRACE_SECONDS)
    if now <= deadline:
        return False
    with transaction.atomic():
        locked = PaymentOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status not in states.OPEN:
            return False
        locked.save(update_fields=states.move(locked, OrderStatus.EXPIRED, at=now))
    return True


def settle_open_orders(*, now: datetime | None = None, limit: int | None = None) -> int:
    """The periodic sweep: query the provider for open orders older than PAYMENT_QUERY_AFTER_SECONDS, oldest
    first, and expire those past their deadline. Returns how many were looked at."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.PAYMENT_QUERY_AFTER_SECONDS)
    orders = (
        PaymentOrder.objects.filter(status__in=states.OPEN, created_at__lte=cutoff)
        .select_related("provider")
        .order_by("created_at")[: limit or settings.PAYMENT_SETTLE_LIMIT]
    )
    count = 0
    for order in orders:
        settle(order, now=now)
        count += 1
    return count


def cancel_order(order: PaymentOrder, *, user: Any, now: datetime | None = None) -> PaymentOrder:
    """The payer gives up an open order. The provider is asked first: an order paid meanwhile stays paid."""
    now = now or timezone.now()
    if order.user_id is None or user is None or order.user_id != user.pk:
        raise NotFound("Không tìm thấy lệnh thanh toán.")
    if order.status not in states.OPEN:
        raise PaymentError("Lệnh thanh toán này đã kết thúc.")
    settle(order, now=now)
    with transaction.atomic():
        locked = PaymentOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status in states.OPEN:
            locked.save(update_fields=states.move(locked, OrderStatus.CANCELLED, at=now))
    order.refresh_from_db()
    return order


# --- Refunds --------------------------------------------------------------------------------------------------


def refund(
    *,
    order: PaymentOrder,
    amount: int,
    reason: str,
    actor: Any,
    request: Any = None,
    of_refund_due: bool = False,
    now: datetime | None = None,
) -> Refund:
    """Give money back through the provider (an operator's action, audited): part or all of a paid order, or
    the money due for refund (`of_refund_due`). The ledger and the order move only once the provider
    confirms."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise PaymentError("Vui lòng nêu lý do hoàn tiền.")
    if amount <= 0:
        raise PaymentError("Số tiền hoàn phải lớn hơn 0.")
    with transaction.atomic():
        locked = PaymentOrder.objects.select_for_update().get(pk=order.pk)
        pending = sum(
            r.amount
            for r in locked.refunds.filter(status=Refund.Status.REQUESTED, of_refund_due=of_refund_due)
        )
        if of_refund_due:
            available = locked.refund_due - pending
        elif locked.status in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED):
            available = locked.amount - locked.refunded_amount - pending
        else:
            available = 0
        if amount > available:
            raise PaymentError(f"Chỉ có thể hoàn tối đa {available:,} đồng cho lệnh này.".replace(",", "."))
        refunded_transaction = ""
        if of_refund_due:
            # Money due back is refunded one collected payment at a time, each by its own provider transaction.
            if amount != locked.amount:
                raise PaymentError(
                    f"Khoản thu cần hoàn được hoàn nguyên khoản: {locked.amount:,} đồng.".replace(",", ".")
                )
            refunded_transaction = _next_due_transaction(locked)
        item = Refund.objects.create(
            reference=f"HT{_local(now):%y%m%d%H%M%S}{secrets.randbelow(10**6):06d}",
            order=locked,
            amount=amount,
            of_refund_due=of_refund_due,
            reason=reason,
            requested_by=actor,
            created_at=now,
        )
        audit.record(
            "payments.refund_requested",
            actor=actor,
            request=request,
            target=locked,
            agency_id=locked.bill.agency_id,
            detail={"refund": item.reference, "amount": amount, "of_refund_due": of_refund_due},
        )
    try:
        result = plugin_for(order.provider).refund(
            locked,
            amount=amount,
            reference=item.reference,
            reason=reason,
            transaction_id=refunded_transaction,
        )
    except ProviderUnavailable as exc:
        Refund.objects.filter(pk=item.pk).update(error=str(exc)[:1000])
        raise PaymentError(
            "Tổ chức thanh toán chưa phản hồi yêu cầu hoàn tiền; yêu cầu được giữ lại, vui lòng thử lại sau."
        ) from exc
    return finish_refund(
        item,
        succeeded=result.succeeded,
        transaction_id=result.transaction_id,
        message=result.message,
        now=now,
    )


def _next_due_transaction(order: PaymentOrder) -> str:
    """The provider transaction of the oldest late or double payment of `order` not yet refunded."""
    late = [
        posting.rsplit(":", 1)[1]
        for posting in LedgerEntry.objects.filter(order=order, kind=EntryKind.LATE_PAYMENT)
        .order_by("at", "id")
        .values_list("posting", flat=True)
        .distinct()
    ]
    index = order.refunds.filter(of_refund_due=True).exclude(status=Refund.Status.FAILED).count()
    return late[index] if index < len(late) and late[index] != "none" else ""


def finish_refund(
    item: Refund, *, succeeded: bool, transaction_id: str = "", message: str = "", now: datetime | None = None
) -> Refund:
    """Record the provider's answer to a refund: on success, the ledger posting and the order's new state."""
    now = now or timezone.now()
    with transaction.atomic():
        item = Refund.objects.select_for_update().get(pk=item.pk)
        if item.status != Refund.Status.REQUESTED:
            return item
        order = (
            PaymentOrder.objects.select_for_update(of=("self",))
            .select_related("bill__biller", "provider")
            .get(pk=item.order_id)
        )
        item.finished_at = now
        item.provider_transaction = transaction_id[:80]
        if not succeeded:
            item.status = Refund.Status.FAILED
            item.error = message[:1000]
            item.save(update_fields=["status", "finished_at", "provider_transaction", "error"])
            return item
        item.status = Refund.Status.SUCCEEDED
        item.save(update_fields=["status", "finished_at", "provider_transaction"])
        debit = (
            LedgerAccount.REFUNDS_DUE if item.of_refund_due else LedgerAccount.agency(order.bill.biller.code)
        )
        ledger.post(
            key=f"refund:{item.reference}",
            kind=EntryKind.REFUND,
            order=order,
            lines=[(debit, item.amount), (LedgerAccount.provider(order.provider.code), -item.amount)],
            at=now,
        )
        if item.of_refund_due:
            order.refund_due -= item.amount
            order.save(update_fields=["refund_due", "updated_at"])
        else:
            order.refunded_amount += item.amount
            target = (
                OrderStatus.REFUNDED
                if order.refunded_amount >= order.amount
                else OrderStatus.PARTIALLY_REFUNDED
            )
            changed = states.move(order, target, at=now)
            order.save(update_fields=[*changed, "refunded_amount"])
    return item
