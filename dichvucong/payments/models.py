"""The online payment platform (nền tảng thanh toán trực tuyến): the agency systems that issue bills, the bills,
the payment providers (banks and intermediaries), payment orders and their state machine, the append-only
ledger, receipts, and the providers' daily statements with their reconciliation.

Money is an integer number of đồng everywhere (`BigIntegerField`), never a float or a decimal.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dichvucong.organisations.models import Agency


class ServiceGroup(models.TextChoices):
    """The six groups of services paid on the portal (DOMAIN.md)."""

    FEE = "fee", _("Phí, lệ phí thủ tục hành chính")
    TAX = "tax", _("Thuế cá nhân, doanh nghiệp")
    INSURANCE = "insurance", _("Bảo hiểm xã hội, bảo hiểm y tế")
    FINE = "fine", _("Xử phạt vi phạm hành chính")
    ELECTRICITY = "electricity", _("Tiền điện")
    COURT = "court", _("Tạm ứng án phí")


class NotifyFormat(models.TextChoices):
    """How the agency is told that a bill is paid: our JSON event, or the national platform's confirmation
    message (for one-stop systems that speak PayGov). Both are signed with Standard Webhooks headers."""

    EVENT = "event", _("Sự kiện JSON (Standard Webhooks)")
    PAYGOV = "paygov", _("Bản tin xác nhận của nền tảng thanh toán quốc gia")


class Biller(models.Model):
    """An agency system that is owed money and issues bills: the traffic police's fine system, the tax
    authority, social insurance, an electricity company, a court, or an agency's one-stop system for the fees of
    its procedures. The portal looks bills up from it through an adapter of its group, and tells it of every
    paid bill by a signed webhook. One secret signs both directions, and the PayGov `MaXacThuc` too."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=255)
    group = models.CharField(max_length=16, choices=ServiceGroup.choices)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="billers")
    # Key into settings.PAYMENT_BILL_ADAPTERS; empty for billers whose bills are made on the portal or sent to
    # it (dossier fees, PayGov INIT) and never looked up.
    adapter = models.CharField(max_length=40, blank=True)
    endpoint_url = models.URLField(blank=True)  # the bill look-up service
    webhook_url = models.URLField(blank=True)  # where paid bills are announced
    notify_format = models.CharField(max_length=8, choices=NotifyFormat.choices, default=NotifyFormat.EVENT)
    # MaDoiTac of a one-stop system speaking the national payment protocol (INIT, QUERY, GET_BILL).
    partner_code = models.CharField(max_length=40, blank=True, db_index=True)
    key_id = models.CharField(max_length=80, unique=True)
    secret = models.CharField(max_length=200)
    # The beneficiary account (tài khoản thụ hưởng) printed on receipts.
    beneficiary_account = models.CharField(max_length=120, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["group", "name"]
        verbose_name = _("hệ thống thu của cơ quan")
        verbose_name_plural = _("hệ thống thu của cơ quan")

    def __str__(self) -> str:
        return self.name

    @property
    def exchanges_with_portal(self) -> bool:
        """Whether the portal talks to this system (active, with paid-bill webhooks or bill look-ups through an
        adapter), so the integration monitor watches it; `payments.selectors.watched_billers` is the same rule as
        a query."""
        return self.is_active and bool(self.webhook_url or (self.adapter and self.endpoint_url))


class BillStatus(models.TextChoices):
    OPEN = "open", _("Chưa thanh toán")
    PAID = "paid", _("Đã thanh toán")
    CANCELLED = "cancelled", _("Đã hủy")


class BillSource(models.TextChoices):
    LOOKUP = "lookup", _("Tra cứu từ cơ quan thu")
    DOSSIER = "dossier", _("Phí, lệ phí của hồ sơ nộp trên Cổng")
    PAYGOV = "paygov", _("Khởi tạo từ hệ thống một cửa (INIT)")
    API = "api", _("Gửi qua API")


class Bill(models.Model):
    """What is owed to an agency: a fine decision, a tax notice, a contribution, an electricity bill, a court fee
    advance, or the fees of a dossier. `reference` is the biller's own code for it (the fine decision number,
    the tax notice code, the customer code and period …), unique per biller."""

    biller = models.ForeignKey(Biller, on_delete=models.PROTECT, related_name="bills")
    group = models.CharField(max_length=16, choices=ServiceGroup.choices)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="bills", db_index=False)
    reference = models.CharField(max_length=100)
    source = models.CharField(max_length=8, choices=BillSource.choices)
    title = models.CharField(max_length=500)
    payer_name = models.CharField(max_length=300, blank=True)
    amount = models.BigIntegerField()  # đồng, the sum of `lines`
    currency = models.CharField(max_length=3, default="VND")
    due_date = models.DateField(null=True, blank=True)
    # [{"code": "", "name": "…", "amount": 150000}], the fee lines printed on the receipt.
    lines = models.JSONField(default=list, blank=True)
    # What the group needs on the receipt: fine decision data, tax period, meter reading, case number …
    details = models.JSONField(default=dict, blank=True)
    dossier_code = models.CharField(max_length=60, blank=True, db_index=True)
    procedure_code = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=10, choices=BillStatus.choices, default=BillStatus.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="bills"
    )
    fetched_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["biller", "reference"], name="payments_bill_reference_uniq"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_bill_amount_positive"),
        ]
        indexes = [models.Index(fields=["agency", "status"], name="payments_bill_agency_idx")]
        verbose_name = _("khoản phải nộp")
        verbose_name_plural = _("khoản phải nộp")

    def __str__(self) -> str:
        return f"{self.biller.code}/{self.reference}"


class Provider(models.Model):
    """A bank or payment intermediary, reached through a provider plugin (`protocol`, a key of
    settings.PAYMENT_PROVIDERS). `merchant_code` is the portal's code at the provider (vnp_TmnCode,
    partnerCode); `secret` signs both directions; `access_key` is sent by protocols that want one."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    protocol = models.CharField(max_length=40)
    merchant_code = models.CharField(max_length=80)
    access_key = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=200)
    endpoint_url = models.URLField()  # the provider's base address (payment page, API)
    logo_text = models.CharField(max_length=20, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("tổ chức thanh toán")
        verbose_name_plural = _("tổ chức thanh toán")

    def __str__(self) -> str:
        return self.name


class OrderStatus(models.TextChoices):
    """The payment order's states; `dichvucong.payments.states` holds the allowed transitions."""

    CREATED = "created", _("Mới tạo")
    PENDING = "pending", _("Đang chờ thanh toán")
    PAID = "paid", _("Đã thanh toán")
    FAILED = "failed", _("Không thành công")
    EXPIRED = "expired", _("Hết hạn")
    CANCELLED = "cancelled", _("Đã hủy")
    PARTIALLY_REFUNDED = "partially_refunded", _("Đã hoàn một phần")
    REFUNDED = "refunded", _("Đã hoàn tiền")


# States in which the order's money belongs to the agency (at most one order per bill is ever in one of them).
PAID_STATUSES = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED)


class OrderChannel(models.TextChoices):
    PORTAL = "portal", _("Trên Cổng")
    PAYGOV = "paygov", _("Từ hệ thống một cửa (INIT)")
    API = "api", _("Qua API")


class PaymentOrder(models.Model):
    """One attempt to pay one bill through one provider. `reference` is the order id the provider sees
    (vnp_TxnRef, orderId). Only a verified notification or a status query from the provider moves it to paid.

    `refund_due` is money the provider collected that the order cannot keep (paid after it expired or was
    cancelled, or for a bill another order had paid): it waits for an operator's refund."""

    reference = models.CharField(max_length=40, unique=True)
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="orders")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="orders")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="VND")
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.CREATED)
    channel = models.CharField(max_length=8, choices=OrderChannel.choices, default=OrderChannel.PORTAL)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payment_orders",
        db_index=False,
    )
    payer_name = models.CharField(max_length=300, blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    # Where the payer goes back after paying, for orders an agency started (PayGov INIT); else the portal.
    return_url = models.URLField(max_length=1000, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)  # the provider's time of payment
    closed_at = models.DateTimeField(null=True, blank=True)  # failed, expired or cancelled
    provider_transaction = models.CharField(max_length=80, blank=True)  # vnp_TransactionNo, transId
    provider_bank = models.CharField(max_length=40, blank=True)
    refund_due = models.BigIntegerField(default=0)
    refunded_amount = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bill"],
                condition=Q(status__in=[s.value for s in PAID_STATUSES]),
                name="payments_one_paid_order_per_bill",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_order_amount_positive"),
            models.CheckConstraint(
                condition=Q(refund_due__gte=0, refunded_amount__gte=0), name="payments_order_refunds_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="payments_order_user_idx"),
            # The settling sweep reads open orders by age only.
            models.Index(
                fields=["created_at"],
                condition=Q(status__in=["created", "pending"]),
                name="payments_order_open_idx",
            ),
            models.Index(fields=["provider", "paid_at"], name="payments_order_provpaid_idx"),
            models.Index(fields=["id"], condition=Q(refund_due__gt=0), name="payments_order_refunddue_idx"),
        ]
        verbose_name = _("lệnh thanh toán")
        verbose_name_plural = _("lệnh thanh toán")

    def __str__(self) -> str:
        return self.reference


class CallbackSource(models.TextChoices):
    NOTIFICATION = "ipn", _("Thông báo từ tổ chức thanh toán (IPN)")
    QUERY = "query", _("Truy vấn trạng thái")
    RETURN = "return", _("Trình duyệt quay về")


class ProviderCallback(models.Model):
    """Every message a provider sent about an order (or that claimed to come from one), verified or not, and
    what the platform did with it: the trail an operator reads when a payment is disputed."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="callbacks", db_index=False)
    source = models.CharField(max_length=8, choices=CallbackSource.choices)
    order_reference = models.CharField(max_length=100, blank=True, db_index=True)
    received_at = models.DateTimeField()
    verified = models.BooleanField(default=False)
    outcome = models.CharField(max_length=32)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["provider", "-received_at"], name="payments_callback_prov_idx")]
        verbose_name = _("thông báo từ tổ chức thanh toán")
        verbose_name_plural = _("thông báo từ tổ chức thanh toán")

    def __str__(self) -> str:
        return f"{self.provider_id} {self.order_reference} {self.outcome}"


class LedgerAccount:
    """Names of the ledger's accounts. Debits are positive, credits negative; every posting sums to zero."""

    @staticmethod
    def provider(code: str) -> str:
        """Money the provider collected for us (a receivable until it settles)."""
        return f"provider:{code}"

    @staticmethod
    def agency(code: str) -> str:
        """Money owed to the agency whose biller this is (a payable, credited)."""
        return f"agency:{code}"

    REFUNDS_DUE = "refunds-due"  # money to give back to payers (late or double payments)


class EntryKind(models.TextChoices):
    PAYMENT = "payment", _("Thanh toán")
    LATE_PAYMENT = "late_payment", _("Thanh toán muộn hoặc trùng, chờ hoàn")
    REFUND = "refund", _("Hoàn tiền")


class LedgerEntry(models.Model):
    """One line of the append-only ledger (sổ cái). A posting is a set of lines with the same `posting` key
    whose amounts sum to zero; the key makes a posting idempotent (a line is unique per posting and account).
    Never updated or deleted: the model refuses it, and database triggers too (migration 0002)."""

    posting = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="ledger_entries")
    account = models.CharField(max_length=100)
    amount = models.BigIntegerField()
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["posting", "account"], name="payments_ledger_posting_account_uniq"
            )
        ]
        indexes = [models.Index(fields=["account", "at"], name="payments_ledger_account_idx")]
        verbose_name = _("bút toán sổ cái")
        verbose_name_plural = _("sổ cái")

    def __str__(self) -> str:
        return f"{self.posting} {self.account} {self.amount}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("ledger entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ledger entries are append-only")


class Refund(models.Model):
    """Money given back to a payer through the provider: part or all of a paid order (an operator's decision),
    or a late or double payment (`refund_due`)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Đã yêu cầu")
        SUCCEEDED = "succeeded", _("Thành công")
        FAILED = "failed", _("Không thành công")

    reference = models.CharField(max_length=40, unique=True)
    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField()
    of_refund_due = models.BooleanField(default=False)
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    provider_transaction = models.CharField(max_length=80, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payments_refund_positive")]
        verbose_name = _("hoàn tiền")
        verbose_name_plural = _("hoàn tiền")

    def __str__(self) -> str:
        return self.reference


class Receipt(models.Model):
    """The electronic receipt (biên lai điện tử) of a paid order. Its content is a snapshot taken when the order
    was paid, so that the PDF printed later is the same; `verification_code` lets anyone check it online."""

    order = models.OneToOneField(PaymentOrder, on_delete=models.PROTECT, related_name="receipt")
    number = models.CharField(max_length=40, unique=True)
    verification_code = models.CharField(max_length=20, unique=True)
    issued_at = models.DateTimeField()
    content = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("biên lai điện tử")
        verbose_name_plural = _("biên lai điện tử")

    def __str__(self) -> str:
        return self.number


class Statement(models.Model):
    """A provider's daily statement (bảng kê đối soát), imported from CSV, and the outcome of reconciling it
    against the ledger."""

    class Status(models.TextChoices):
        IMPORTED = "imported", _("Đã nhập")
        RECONCILED = "reconciled", _("Đã đối soát")
        CLOSED = "closed", _("Đã xử lý xong")

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="statements")
    day = models.DateField()  # in Asia/Ho_Chi_Minh
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    line_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.IMPORTED)
    counts = models.JSONField(default=dict, blank=True)  # {"matched": n, "missing_ours": n, …}
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    reconciled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "day", "sha256"], name="payments_statement_file_uniq")
        ]
        ordering = ["-day", "provider"]
        verbose_name = _("bảng kê đối soát")
        verbose_name_plural = _("bảng kê đối soát")

    def __str__(self) -> str:
        return f"{self.provider.code} {self.day:%Y-%m-%d}"


class StatementLine(models.Model):
    """One line of a statement, as the provider wrote it."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines", db_index=False)
    line_no = models.PositiveIntegerField()
    order_reference = models.CharField(max_length=100)
    provider_transaction = models.CharField(max_length=80)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16)  # success | refund | failed
    at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["statement", "line_no"], name="payments_statement_line_uniq")
        ]
        indexes = [models.Index(fields=["statement", "order_reference"], name="payments_line_order_idx")]

    def __str__(self) -> str:
        return f"{self.statement_id}:{self.line_no}"


class DiscrepancyKind(models.TextChoices):
    MISSING_OURS = "missing_ours", _("Có ở tổ chức thanh toán, thiếu ở Cổng")
    MISSING_PROVIDER = "missing_provider", _("Có ở Cổng, thiếu ở tổ chức thanh toán")
    AMOUNT = "amount", _("Lệch số tiền")
    STATUS = "status", _("Lệch trạng thái")


class Discrepancy(models.Model):
    """A difference found by reconciliation, kept open until an operator resolves it (audited)."""

    class Resolution(models.TextChoices):
        OPEN = "open", _("Chưa xử lý")
        REQUERIED = "requeried", _("Đã truy vấn lại tổ chức thanh toán")
        ACCEPTED = "accepted", _("Chấp nhận, không điều chỉnh")
        REFUND = "refund", _("Chuyển hoàn tiền")
        ESCALATED = "escalated", _("Chuyển tổ chức thanh toán xử lý")

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="discrepancies")
    kind = models.CharField(max_length=16, choices=DiscrepancyKind.choices)
    order = models.ForeignKey(
        PaymentOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="discrepancies"
    )
    line = models.ForeignKey(
        StatementLine, null=True, blank=True, on_delete=models.CASCADE, related_name="discrepancies"
    )
    order_reference = models.CharField(max_length=100)
    our_amount = models.BigIntegerField(null=True, blank=True)
    their_amount = models.BigIntegerField(null=True, blank=True)
    our_status = models.CharField(max_length=20, blank=True)
    their_status = models.CharField(max_length=16, blank=True)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, default=Resolution.OPEN)
    note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["statement", "kind"], name="payments_discrep_kind_idx")]
        verbose_name = _("chênh lệch đối soát")
        verbose_name_plural = _("chênh lệch đối soát")

    def __str__(self) -> str:
        return f"{self.kind} {self.order_reference}"
