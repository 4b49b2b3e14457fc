"""Back office of the payment platform. Operators manage providers and billers (secrets are write-only), read
orders with their ledger lines, refunds and provider messages, re-query a provider, refund, upload the
providers' daily statements, resolve the discrepancies and export the report. Officers read the bills and orders
of their own agencies only (when their roles give them the permission). Every action goes through a service
and is audited; the ledger is never changed here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dichvucong.core import audit, signing
from dichvucong.core.admin_mixins import (
    AgencyScopedAdmin,
    OperatorOnlyAdmin,
    ReadOnlyAdmin,
    request_scope,
)
from dichvucong.core.admin_pages import form_html as _form_html
from dichvucong.core.admin_pages import page as _page
from dichvucong.core.errors import DomainError, ValidationFailed
from dichvucong.payments import reconciliation, services
from dichvucong.payments.models import (
    Bill,
    Biller,
    Discrepancy,
    LedgerEntry,
    OrderStatus,
    PaymentOrder,
    Provider,
    ProviderCallback,
    Refund,
    Statement,
)

# An order's page lists at most this many provider messages (a forged-callback storm must not bloat it).
CALLBACKS_SHOWN = 50
DISCREPANCIES_SHOWN = 50


def _dong(amount: int | None) -> str:
    if amount is None:
        return ""
    return gettext("%(amount)s đ") % {"amount": f"{amount:,}".replace(",", ".")}


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M:%S") if moment else ""


def _errors_table(failure: ValidationFailed) -> SafeString:
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
        ((e.row or "—", e.column, e.message) for e in failure.errors),
    )
    return format_html(
        '<p class="errornote">{}</p><table><thead><tr><th scope="col">{}</th><th scope="col">{}</th>'
        '<th scope="col">{}</th></tr></thead><tbody>{}</tbody></table>',
        failure.message,
        gettext("Dòng"),
        gettext("Cột"),
        gettext("Lỗi"),
        rows,
    )


# --- Providers and billers (operators) ------------------------------------------------------------------------


class _SecretForm(forms.ModelForm):
    """The secret is typed in, never shown again: blank keeps the current one."""

    new_secret = forms.CharField(
        label=_("Khóa bí mật mới"),
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Không bao giờ hiển thị lại. Để trống để giữ khóa hiện tại."),
    )
    generate_when_blank = False

    def clean_new_secret(self) -> str:
        value: str = self.cleaned_data["new_secret"].strip()
        if not value and not self.instance.secret and not self.generate_when_blank:
            raise forms.ValidationError(_("Vui lòng nhập khóa bí mật."))
        if value and len(value) < 16:
            raise forms.ValidationError(_("Khóa bí mật phải có ít nhất 16 ký tự."))
        return value

    def save(self, commit: bool = True) -> Any:
        if self.cleaned_data.get("new_secret"):
            self.instance.secret = self.cleaned_data["new_secret"]
        return super().save(commit)


PROVIDER_FIELDS = (
    "code",
    "name",
    "protocol",
    "merchant_code",
    "access_key",
    "endpoint_url",
    "logo_text",
    "position",
    "is_active",
)
BILLER_FIELDS = (
    "code",
    "name",
    "group",
    "agency",
    "adapter",
    "endpoint_url",
    "webhook_url",
    "notify_format",
    "partner_code",
    "key_id",
    "beneficiary_account",
    "is_active",
)


class ProviderForm(_SecretForm):
    class Meta:
        model = Provider
        fields = PROVIDER_FIELDS


class BillerForm(_SecretForm):
    generate_when_blank = True

    class Meta:
        model = Biller
        fields = BILLER_FIELDS


def _secret_state(obj: Any) -> str:
    if obj is None or not obj.secret:
        return gettext("Chưa đặt")
    return gettext("Đã đặt (%(n)d ký tự)") % {"n": len(obj.secret)}


@admin.register(Provider)
class ProviderAdmin(OperatorOnlyAdmin):
    form = ProviderForm
    list_display = ("name", "code", "protocol", "merchant_code", "position", "is_active")
    list_filter = ("protocol", "is_active")
    search_fields = ("name", "code", "merchant_code")
    fields = (
        "code",
        "name",
        "protocol",
        "merchant_code",
        "access_key",
        "secret_state",
        "new_secret",
        "endpoint_url",
        "logo_text",
        "position",
        "is_active",
    )
    readonly_fields = ("secret_state",)

    @admin.display(description=_("Khóa bí mật"))
    def secret_state(self, obj: Provider | None) -> str:
        return _secret_state(obj)


@admin.register(Biller)
class BillerAdmin(OperatorOnlyAdmin):
    """Agencies' bill systems. A secret left blank when one is added is generated and shown once, to be given
    to the agency."""

    form = BillerForm
    list_display = ("name", "code", "group", "agency", "notify_format", "is_active")
    list_filter = ("group", "notify_format", "is_active")
    search_fields = ("name", "code", "partner_code", "key_id")
    list_select_related = ("agency",)
    autocomplete_fields = ("agency",)
    fields = (
        "code",
        "name",
        "group",
        "agency",
        "adapter",
        "endpoint_url",
        "webhook_url",
        "notify_format",
        "partner_code",
        "key_id",
        "secret_state",
        "new_secret",
        "beneficiary_account",
        "is_active",
        "health",
    )
    readonly_fields = ("secret_state", "health")

    @admin.display(description=_("Khóa bí mật"))
    def secret_state(self, obj: Biller | None) -> str:
        return _secret_state(obj)

    @admin.display(description=_("Giám sát kết nối"))
    def health(self, obj: Biller | None) -> str:
        """The health page and test console (monitoring); billers the portal does not talk to are not watched."""
        if obj is None or obj.pk is None or not obj.exchanges_with_portal:
            return "—"
        url = reverse("admin:monitoring_integration", args=["biller", obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Sức khỏe kết nối và gửi thử"))

    def save_model(self, request: HttpRequest, obj: Biller, form: Any, change: bool) -> None:
        generated = ""
        if not obj.secret:
            generated = obj.secret = signing.new_secret()
        super().save_model(request, obj, form, change)
        if generated:
            self.message_user(
                request,
                gettext("Khóa bí mật (chỉ hiển thị một lần, hãy gửi cho cơ quan và lưu lại ngay): %(secret)s")
                % {"secret": generated},
                messages.WARNING,
            )


# --- Bills, orders, ledger ------------------------------------------------------------------------------------


@admin.register(Bill)
class BillAdmin(ReadOnlyAdmin, AgencyScopedAdmin):
    list_display = ("reference", "title", "biller", "agency", "amount_display", "status", "due_date")
    list_filter = ("group", "status", "source")
    # Exact codes only: the table grows with every bill looked up.
    search_fields = ("=reference", "=dossier_code")
    show_full_result_count = False
    list_select_related = ("biller", "agency")
    exclude = ("owner",)
    readonly_fields = (
        "biller",
        "group",
        "agency",
        "reference",
        "source",
        "title",
        "payer_name",
        "amount",
        "currency",
        "due_date",
        "lines",
        "details",
        "dossier_code",
        "procedure_code",
        "status",
        "fetched_at",
        "created_at",
        "updated_at",
    )

    @admin.display(description=_("Số tiền"), ordering="amount")
    def amount_display(self, obj: Bill) -> str:
        return _dong(obj.amount)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LedgerEntryInline(_ReadOnlyInline):
    model = LedgerEntry
    fields = ("at", "posting", "kind", "account", "amount")
    readonly_fields = fields
    ordering = ("at", "id")


class RefundInline(_ReadOnlyInline):
    model = Refund
    fields = (
        "reference",
        "amount",
        "of_refund_due",
        "status",
        "reason",
        "requested_by",
        "created_at",
        "error",
    )
    readonly_fields = fields
    ordering = ("created_at",)


class RefundForm(forms.Form):
    amount = forms.IntegerField(label=_("Số tiền hoàn (đồng)"), min_value=1)
    reason = forms.CharField(
        label=_("Lý do hoàn tiền"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    of_refund_due = forms.BooleanField(
        label=_("Hoàn khoản tiền chờ hoàn (thanh toán sau hạn hoặc thanh toán trùng)"), required=False
    )


@admin.register(PaymentOrder)
class PaymentOrderAdmin(ReadOnlyAdmin, AgencyScopedAdmin):
    """Orders are moved only by providers' reports and the services; operators may ask the provider again
    (settle) and refund."""

    agency_field = "bill__agency"
    list_display = (
        "reference",
        "bill",
        "provider",
        "amount_display",
        "status",
        "channel",
        "created_at",
        "paid_at",
        "refund_due_display",
    )
    list_filter = ("status", "provider", "channel")
    search_fields = ("=reference", "=provider_transaction", "=bill__reference")
    show_full_result_count = False
    list_select_related = ("bill__biller", "provider")
    exclude = ("user",)
    readonly_fields = (
        "reference",
        "bill",
        "provider",
        "amount",
        "currency",
        "status",
        "channel",
        "payer_name",
        "client_ip",
        "return_url",
        "created_at",
        "expires_at",
        "paid_at",
        "closed_at",
        "provider_transaction",
        "provider_bank",
        "refund_due",
        "refunded_amount",
        "updated_at",
        "callbacks_table",
    )
    inlines = [LedgerEntryInline, RefundInline]
    actions = ["requery_action"]

    def _agency_id(self, obj: Any) -> int | None:
        return obj.bill.agency_id if obj is not None and obj.bill_id else None

    def _operator(self, request: HttpRequest) -> bool:
        return request_scope(request).is_everything and request.user.has_perm("payments.change_paymentorder")

    def has_requery_permission(self, request: HttpRequest) -> bool:
        return self._operator(request)

    @admin.display(description=_("Số tiền"), ordering="amount")
    def amount_display(self, obj: PaymentOrder) -> str:
        return _dong(obj.amount)

    @admin.display(description=_("Chờ hoàn"))
    def refund_due_display(self, obj: PaymentOrder) -> str:
        return _dong(obj.refund_due) if obj.refund_due else ""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "operator_links"] if obj is not None and self._operator(request) else fields

    @admin.display(description=_("Thao tác"))
    def operator_links(self, obj: PaymentOrder) -> SafeString:
        return format_html(
            '<a class="button" href="{}">{}</a> <a class="button" href="{}">{}</a>',
            reverse("admin:payments_paymentorder_requery", args=[obj.pk]),
            gettext("Truy vấn lại tổ chức thanh toán"),
            reverse("admin:payments_paymentorder_refund", args=[obj.pk]),
            gettext("Hoàn tiền"),
        )

    @admin.display(description=_("Thông báo từ tổ chức thanh toán"))
    def callbacks_table(self, obj: PaymentOrder) -> SafeString | str:
        callbacks = list(
            ProviderCallback.objects.filter(
                provider_id=obj.provider_id, order_reference=obj.reference
            ).order_by("-received_at")[:CALLBACKS_SHOWN]
        )
        if not callbacks:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    _local(c.received_at),
                    c.get_source_display(),
                    gettext("Có") if c.verified else gettext("Không"),
                    c.outcome,
                )
                for c in callbacks
            ),
        )
        return format_html(
            '<table><thead><tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th>'
            '<th scope="col">{}</th></tr></thead><tbody>{}</tbody></table>',
            gettext("Thời điểm nhận"),
            gettext("Nguồn"),
            gettext("Chữ ký hợp lệ"),
            gettext("Kết quả"),
            rows,
        )

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<path:object_id>/truy-van-lai/",
                self.admin_site.admin_view(self.requery_view),
                name="payments_paymentorder_requery",
            ),
            path(
                "<path:object_id>/hoan-tien/",
                self.admin_site.admin_view(self.refund_view),
                name="payments_paymentorder_refund",
            ),
        ]
        return extra + super().get_urls()

    def _order_for_operator(self, request: HttpRequest, object_id: str) -> PaymentOrder:
        if not self._operator(request):
            raise PermissionDenied
        order = self.get_queryset(request).select_related("provider", "bill").filter(pk=object_id).first()
        if order is None:
            raise Http404
        return order

    def _requery(self, request: HttpRequest, order: PaymentOrder) -> str:
        outcome = services.settle(order)
        audit.record(
            "payments.order_requeried",
            request=request,
            target=order,
            agency_id=order.bill.agency_id,
            detail={"outcome": outcome.value if outcome is not None else None},
        )
        order.refresh_from_db()
        if outcome is None:
            return gettext("%(order)s: không truy vấn được tổ chức thanh toán.") % {"order": order.reference}
        return gettext("%(order)s: tổ chức thanh toán trả lời “%(outcome)s”; trạng thái: %(status)s.") % {
            "order": order.reference,
            "outcome": outcome.value,
            "status": order.get_status_display(),
        }

    @admin.action(description=_("Truy vấn lại tổ chức thanh toán"), permissions=["requery"])
    def requery_action(self, request: HttpRequest, queryset: QuerySet[PaymentOrder]) -> None:
        for order in queryset.select_related("provider", "bill")[:200]:
            self.message_user(request, self._requery(request, order))

    def requery_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Ask the provider for the order's status (GET shows what will be done, POST does it)."""
        order = self._order_for_operator(request, object_id)
        change_url = reverse("admin:payments_paymentorder_change", args=[order.pk])
        if request.method == "POST":
            self.message_user(request, self._requery(request, order))
            return HttpResponseRedirect(change_url)
        body = format_html(
            "<p>{}</p>{}",
            gettext("Hỏi %(provider)s trạng thái của lệnh %(order)s và áp dụng câu trả lời (nếu có).")
            % {"provider": order.provider.name, "order": order.reference},
            _form_html(request, forms.Form(), gettext("Truy vấn lại")),
        )
        return _page(request, self, gettext("Truy vấn lại tổ chức thanh toán"), body)

    def refund_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Refund part or all of a paid order, or the money it holds for refund (`services.refund`, audited)."""
        order = self._order_for_operator(request, object_id)
        due = order.refund_due
        initial = {
            "amount": due or max(order.amount - order.refunded_amount, 0),
            "of_refund_due": bool(due),
        }
        form = RefundForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                item = services.refund(
                    order=order,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    of_refund_due=form.cleaned_data["of_refund_due"],
                    actor=request.user,
                    request=request,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                level = messages.SUCCESS if item.status == Refund.Status.SUCCEEDED else messages.WARNING
                self.message_user(
                    request,
                    gettext("Yêu cầu hoàn tiền %(ref)s: %(status)s.")
                    % {"ref": item.reference, "status": item.get_status_display()},
                    level,
                )
                return HttpResponseRedirect(reverse("admin:payments_paymentorder_change", args=[order.pk]))
        body = format_html(
            "<p>{}</p>{}",
            gettext(
                "Lệnh %(order)s: %(amount)s, đã hoàn %(refunded)s, chờ hoàn %(due)s. Trạng thái: %(status)s."
            )
            % {
                "order": order.reference,
                "amount": _dong(order.amount),
                "refunded": _dong(order.refunded_amount),
                "due": _dong(order.refund_due),
                "status": order.get_status_display(),
            },
            _form_html(request, form, gettext("Hoàn tiền")),
        )
        return _page(request, self, gettext("Hoàn tiền"), body)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin, OperatorOnlyAdmin):
    """The append-only ledger: read, never added to, changed or deleted here."""

    list_display = ("at", "posting", "kind", "order", "account", "amount_display")
    list_filter = ("kind",)
    search_fields = ("=posting", "=account", "=order__reference")
    show_full_result_count = False
    list_select_related = ("order",)
    readonly_fields = ("posting", "kind", "order", "account", "amount", "at")

    @admin.display(description=_("Số tiền"), ordering="amount")
    def amount_display(self, obj: LedgerEntry) -> str:
        return _dong(obj.amount)


# --- Statements and discrepancies (operators) -----------------------------------------------------------------


class StatementUploadForm(forms.Form):
    provider = forms.ModelChoiceField(queryset=Provider.objects.all(), label=_("Tổ chức thanh toán"))
    day = forms.DateField(label=_("Ngày giao dịch"), widget=forms.DateInput(attrs={"type": "date"}))
    file = forms.FileField(
        label=_("Tệp bảng kê (.csv)"),
        help_text=_(
            "UTF-8, dòng tiêu đề: order_reference,provider_transaction,amount,currency,status,paid_at. "
            "Tệp có lỗi thì không dòng nào được nhập."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


@admin.register(Statement)
class StatementAdmin(OperatorOnlyAdmin):
    """Adding a statement is uploading its file: it is imported and reconciled at once."""

    list_display = (
        "day",
        "provider",
        "file_name",
        "line_count",
        "status",
        "matched",
        "open_count",
        "reconciled_at",
    )
    list_filter = ("provider", "status")
    list_select_related = ("provider",)
    date_hierarchy = "day"
    fields = (
        "provider",
        "day",
        "file_name",
        "sha256",
        "line_count",
        "status",
        "uploaded_by",
        "uploaded_at",
        "reconciled_at",
        "links",
        "counts_table",
        "discrepancies_table",
    )
    readonly_fields = fields
    actions = ["reconcile_action"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("Khớp"))
    def matched(self, obj: Statement) -> int:
        return int((obj.counts or {}).get("matched", 0))

    @admin.display(description=_("Chênh lệch chưa xử lý"))
    def open_count(self, obj: Statement) -> int:
        return int((obj.counts or {}).get("open", 0))

    @admin.display(description=_("Báo cáo"))
    def links(self, obj: Statement) -> SafeString:
        return format_html(
            '<a class="button" href="{}">{}</a> <a href="{}?statement__id__exact={}">{}</a>',
            reverse("admin:payments_statement_report", args=[obj.pk]),
            gettext("Xuất báo cáo"),
            reverse("admin:payments_discrepancy_changelist"),
            obj.pk,
            gettext("Mọi chênh lệch của bảng kê"),
        )

    @admin.display(description=_("Kết quả đối soát"))
    def counts_table(self, obj: Statement) -> SafeString:
        counts = obj.counts or {}
        rows = format_html_join(
            "",
            "<tr><th scope='row'>{}</th><td>{}</td></tr>",
            (
                (label, f"{counts.get(key, 0):,}".replace(",", "."))
                for key, label in reconciliation.COUNT_LABELS
            ),
        )
        return format_html("<table><tbody>{}</tbody></table>", rows)

    @admin.display(description=_("Chênh lệch"))
    def discrepancies_table(self, obj: Statement) -> SafeString | str:
        items = list(
            Discrepancy.objects.filter(statement=obj)
            .select_related("line")
            .order_by("resolved_at", "kind", "id")[:DISCREPANCIES_SHOWN]
        )
        if not items:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            '<td><a href="{}">{}</a></td></tr>',
            (
                (
                    d.get_kind_display(),
                    d.order_reference,
                    d.line.line_no if d.line is not None else "—",
                    _dong(d.our_amount),
                    _dong(d.their_amount),
                    f"{d.our_status or '—'} / {d.their_status or '—'}",
                    d.get_resolution_display(),
                    reverse("admin:payments_discrepancy_resolve", args=[d.pk])
                    if d.resolution == Discrepancy.Resolution.OPEN
                    else reverse("admin:payments_discrepancy_change", args=[d.pk]),
                    gettext("Xử lý") if d.resolution == Discrepancy.Resolution.OPEN else gettext("Xem"),
                )
                for d in items
            ),
        )
        headers = format_html_join(
            "",
            '<th scope="col">{}</th>',
            (
                (gettext(h),)
                for h in (
                    "Loại",
                    "Mã lệnh thanh toán",
                    "Dòng",
                    "Số tiền theo Cổng",
                    "Số tiền theo TCTT",
                    "Trạng thái Cổng / TCTT",
                    "Xử lý",
                    "",
                )
            ),
        )
        return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", headers, rows)

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<path:object_id>/bao-cao/",
                self.admin_site.admin_view(self.report_view),
                name="payments_statement_report",
            ),
        ]
        return extra + super().get_urls()

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        """Upload a statement: every error of the file with its line, or the reconciled statement."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StatementUploadForm(request.POST or None, request.FILES or None)
        failure: ValidationFailed | None = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                statement = reconciliation.import_statement(
                    provider=form.cleaned_data["provider"],
                    day=form.cleaned_data["day"],
                    file=upload,
                    file_name=upload.name or "",
                    actor=request.user,
                    request=request,
                )
                statement = reconciliation.reconcile(statement, actor=request.user, request=request)
            except ValidationFailed as exc:
                failure = exc
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                counts = statement.counts
                self.message_user(
                    request,
                    gettext("Đã đối soát %(lines)s dòng: %(matched)s khớp, %(open)s chênh lệch chưa xử lý.")
                    % {
                        "lines": f"{statement.line_count:,}".replace(",", "."),
                        "matched": f"{counts.get('matched', 0):,}".replace(",", "."),
                        "open": counts.get("open", 0),
                    },
                    messages.SUCCESS if not counts.get("open") else messages.WARNING,
                )
                return HttpResponseRedirect(reverse("admin:payments_statement_change", args=[statement.pk]))
        body = format_html(
            "{}{}",
            _errors_table(failure) if failure is not None else "",
            _form_html(request, form, gettext("Tải lên và đối soát"), multipart=True),
        )
        return _page(request, self, gettext("Tải lên bảng kê đối soát"), body)

    def report_view(self, request: HttpRequest, object_id: str) -> StreamingHttpResponse:
        """The reconciliation report as CSV (streamed; a byte-order mark so that spreadsheets read UTF-8)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        statement = get_object_or_404(Statement.objects.select_related("provider"), pk=object_id)
        audit.record("payments.report_exported", request=request, target=statement)

        def body() -> Any:
            yield "\ufeff"
            yield from reconciliation.export_report(statement)

        response = StreamingHttpResponse(body(), content_type="text/csv; charset=utf-8")
        name = f"doi-soat-{statement.provider.code}-{statement.day:%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @admin.action(description=_("Đối soát lại các bảng kê đã chọn"), permissions=["view"])
    def reconcile_action(self, request: HttpRequest, queryset: QuerySet[Statement]) -> None:
        for statement in queryset:
            done = reconciliation.reconcile(statement, actor=request.user, request=request)
            self.message_user(
                request,
                gettext("%(statement)s: %(open)s chênh lệch chưa xử lý.")
                % {"statement": str(done), "open": done.counts.get("open", 0)},
            )


class ResolveForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Cách xử lý"),
        widget=forms.RadioSelect,
        choices=[
            ("requery", _("Truy vấn lại tổ chức thanh toán (xác nhận giao dịch có thông báo bị thất lạc)")),
            ("accept", _("Chấp nhận, không điều chỉnh (ghi rõ lý do)")),
            ("refund", _("Hoàn khoản tiền chờ hoàn cho người nộp")),
            ("escalate", _("Chuyển tổ chức thanh toán xử lý")),
        ],
    )
    note = forms.CharField(
        label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


@admin.register(Discrepancy)
class DiscrepancyAdmin(ReadOnlyAdmin, OperatorOnlyAdmin):
    list_display = (
        "statement",
        "kind",
        "order_reference",
        "our_amount_display",
        "their_amount_display",
        "our_status",
        "their_status",
        "resolution",
        "resolved_by",
    )
    list_filter = ("kind", "resolution", "statement__provider")
    search_fields = ("=order_reference",)
    list_select_related = ("statement__provider", "resolved_by")
    show_full_result_count = False
    readonly_fields = (
        "statement",
        "kind",
        "order",
        "line_no",
        "order_reference",
        "our_amount",
        "their_amount",
        "our_status",
        "their_status",
        "resolution",
        "note",
        "resolved_by",
        "resolved_at",
        "resolve_link",
    )
    fields = readonly_fields
    actions = ["requery_action"]

    def _can_resolve(self, request: HttpRequest) -> bool:
        return self._operator(request) and request.user.has_perm("payments.change_discrepancy")

    def has_resolve_permission(self, request: HttpRequest) -> bool:
        return self._can_resolve(request)

    @admin.display(description=_("Số tiền theo Cổng"))
    def our_amount_display(self, obj: Discrepancy) -> str:
        return _dong(obj.our_amount)

    @admin.display(description=_("Số tiền theo tổ chức thanh toán"))
    def their_amount_display(self, obj: Discrepancy) -> str:
        return _dong(obj.their_amount)

    @admin.display(description=_("Dòng bảng kê"))
    def line_no(self, obj: Discrepancy) -> Any:
        return obj.line.line_no if obj.line is not None else "—"

    @admin.display(description=_("Xử lý"))
    def resolve_link(self, obj: Discrepancy) -> SafeString | str:
        if obj.resolution != Discrepancy.Resolution.OPEN:
            return "—"
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:payments_discrepancy_resolve", args=[obj.pk]),
            gettext("Xử lý chênh lệch"),
        )

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<path:object_id>/xu-ly/",
                self.admin_site.admin_view(self.resolve_view),
                name="payments_discrepancy_resolve",
            ),
        ]
        return extra + super().get_urls()

    def resolve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """An operator's decision on one discrepancy (`reconciliation.resolve`, audited)."""
        if not self._can_resolve(request):
            raise PermissionDenied
        discrepancy = get_object_or_404(
            Discrepancy.objects.select_related("statement__provider", "order", "line"), pk=object_id
        )
        statement_url = reverse("admin:payments_statement_change", args=[discrepancy.statement_id])
        form = ResolveForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reconciliation.resolve(
                    discrepancy,
                    action=form.cleaned_data["action"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                    request=request,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    gettext("Đã xử lý chênh lệch của lệnh %(order)s.")
                    % {"order": discrepancy.order_reference},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(statement_url)
        order_link: SafeString | str = discrepancy.order_reference
        if discrepancy.order_id is not None:
            order_link = format_html(
                '<a href="{}">{}</a>',
                reverse("admin:payments_paymentorder_change", args=[discrepancy.order_id]),
                discrepancy.order_reference,
            )
        facts = format_html_join(
            "",
            "<tr><th scope='row'>{}</th><td>{}</td></tr>",
            (
                (
                    gettext("Bảng kê"),
                    format_html('<a href="{}">{}</a>', statement_url, discrepancy.statement),
                ),
                (gettext("Loại chênh lệch"), discrepancy.get_kind_display()),
                (gettext("Lệnh thanh toán"), order_link),
                (gettext("Dòng bảng kê"), discrepancy.line.line_no if discrepancy.line is not None else "—"),
                (gettext("Số tiền theo Cổng"), _dong(discrepancy.our_amount) or "—"),
                (gettext("Số tiền theo tổ chức thanh toán"), _dong(discrepancy.their_amount) or "—"),
                (
                    gettext("Trạng thái theo Cổng"),
                    OrderStatus(discrepancy.our_status).label
                    if discrepancy.our_status in OrderStatus.values
                    else discrepancy.our_status or "—",
                ),
                (gettext("Trạng thái theo tổ chức thanh toán"), discrepancy.their_status or "—"),
                (gettext("Xử lý"), discrepancy.get_resolution_display()),
            ),
        )
        body = format_html(
            "<table><tbody>{}</tbody></table>{}",
            facts,
            _form_html(request, form, gettext("Ghi nhận xử lý"))
            if discrepancy.resolution == Discrepancy.Resolution.OPEN
            else "",
        )
        return _page(request, self, gettext("Xử lý chênh lệch đối soát"), body)

    @admin.action(description=_("Truy vấn lại tổ chức thanh toán"), permissions=["resolve"])
    def requery_action(self, request: HttpRequest, queryset: QuerySet[Discrepancy]) -> None:
        done = 0
        for discrepancy in queryset.filter(resolution=Discrepancy.Resolution.OPEN, order__isnull=False)[:200]:
            try:
                reconciliation.resolve(
                    discrepancy, action="requery", note="", actor=request.user, request=request
                )
            except DomainError as exc:  # one unsettled order must not stop the others
                self.message_user(request, f"{discrepancy.order_reference}: {exc.message}", messages.WARNING)
            else:
                done += 1
        self.message_user(request, gettext("Đã xử lý %(n)d chênh lệch bằng truy vấn lại.") % {"n": done})
