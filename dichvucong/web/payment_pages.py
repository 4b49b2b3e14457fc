"""What the payment pages show: the service groups and what code each asks for, a bill with its lines and
details, an order in each of its states, the payment history. Assembled from the payment selectors and models;
the templates only display.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dichvucong.payments import receipts, selectors, states
from dichvucong.payments.models import (
    PAID_STATUSES,
    Bill,
    BillStatus,
    OrderStatus,
    PaymentOrder,
    Provider,
    Receipt,
    ServiceGroup,
)
from dichvucong.web.templatetags.portal import group_thousands


def money(amount: int) -> str:
    """An amount of đồng as payment pages print it: "2.000.000 đ"."""
    return f"{group_thousands(int(amount))} đ"


# --- the service groups -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupHelp:
    """What to type to find a bill of one group, and where the payer finds it."""

    code_label: Promise
    where: Promise
    example: str


GROUP_HELP: Final[dict[str, GroupHelp]] = {
    ServiceGroup.FEE: GroupHelp(
        code_label=gettext_lazy("Mã hồ sơ"),
        where=gettext_lazy(
            "Phí, lệ phí của hồ sơ nộp trên Cổng được nộp ngay trên trang hồ sơ. Với hồ sơ nộp tại cơ quan, "
            "nhập mã hồ sơ ghi trên giấy tiếp nhận hồ sơ và hẹn trả kết quả."
        ),
        example="UBND-01-261120-5001",
    ),
    ServiceGroup.TAX: GroupHelp(
        code_label=gettext_lazy("Mã thông báo thuế"),
        where=gettext_lazy(
            "Ghi trên thông báo nộp thuế của cơ quan thuế (mã định danh khoản phải nộp), hoặc trong tin nhắn "
            "của cơ quan thuế."
        ),
        example="TB-HN-2026-001234",
    ),
    ServiceGroup.INSURANCE: GroupHelp(
        code_label=gettext_lazy("Mã số bảo hiểm xã hội"),
        where=gettext_lazy(
            "Gồm 10 chữ số, ghi trên sổ bảo hiểm xã hội và là 10 số cuối của mã thẻ bảo hiểm y tế."
        ),
        example="0123456789",
    ),
    ServiceGroup.FINE: GroupHelp(
        code_label=gettext_lazy("Số quyết định xử phạt"),
        where=gettext_lazy(
            "Ghi ở đầu quyết định xử phạt vi phạm hành chính mà người có thẩm quyền đã giao cho bạn."
        ),
        example="123/QĐ-XPHC",
    ),
    ServiceGroup.ELECTRICITY: GroupHelp(
        code_label=gettext_lazy("Mã khách hàng"),
        where=gettext_lazy("Ghi trên hóa đơn tiền điện hoặc tin nhắn báo tiền điện của điện lực."),
        example="PD01000123456",
    ),
    ServiceGroup.COURT: GroupHelp(
        code_label=gettext_lazy("Số thông báo nộp tạm ứng án phí"),
        where=gettext_lazy("Ghi trên thông báo nộp tiền tạm ứng án phí mà Tòa án gửi cho bạn."),
        example="125/TB-TA",
    ),
}


@dataclass(frozen=True)
class Group:
    value: str
    label: str
    code_label: str
    where: str
    example: str
    selected: bool


def groups(selected: str = "") -> list[Group]:
    """The six groups in the order of `ServiceGroup`, with their help."""
    return [
        Group(
            value=choice.value,
            label=str(choice.label),
            code_label=str(GROUP_HELP[choice].code_label),
            where=str(GROUP_HELP[choice].where),
            example=GROUP_HELP[choice].example,
            selected=choice.value == selected,
        )
        for choice in ServiceGroup
    ]


@dataclass(frozen=True)
class LookupForm:
    """The look-up form as typed, and its errors by field (`nhom`, `ma`)."""

    group: str = ""
    code: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> list[dict[str, str]]:
        """The error summary's links (to the field's input)."""
        return [{"href": f"#{name}", "message": message} for name, message in self.errors.items()]


@dataclass(frozen=True)
class HomePage:
    groups: list[Group]
    form: LookupForm


def home_page(form: LookupForm) -> HomePage:
    return HomePage(groups=groups(form.group), form=form)


def lookup_form(query: Mapping[str, Any], *, max_length: int = 100) -> LookupForm:
    """Read and check the look-up's group and code; the code is kept as typed (trimmed) for the page."""
    group = str(query.get("nhom", "")).strip()
    code = " ".join(str(query.get("ma", "")).split())[:max_length]
    errors: dict[str, str] = {}
    if group not in ServiceGroup.values:
        errors["nhom"] = _("Vui lòng chọn loại khoản cần nộp.")
    if not code:
        help_ = GROUP_HELP.get(group)
        errors["ma"] = (
            _("Vui lòng nhập %(what)s.") % {"what": str(help_.code_label).lower()}
            if help_
            else _("Vui lòng nhập mã cần tra cứu.")
        )
    return LookupForm(group=group, code=code, errors=errors)


# --- a bill -----------------------------------------------------------------------------------------------------

# Labels of the details a biller sends with a bill (fine decision data, tax period, meter reading …), in the order
# shown: the keys of the bill adapters and of the national platform's receipt data (INIT). Other keys are not
# shown (they may be technical, repeat a row above, or be in no reader's language), as on the receipt.
DETAIL_LABELS: Final[dict[str, Promise]] = {
    # fines
    "decision_number": gettext_lazy("Số quyết định"),
    "SoQD": gettext_lazy("Số quyết định"),
    "decision_date": gettext_lazy("Ngày quyết định"),
    "NgayQD": gettext_lazy("Ngày quyết định"),
    "issuing_unit": gettext_lazy("Đơn vị ra quyết định"),
    "decision_agency": gettext_lazy("Cơ quan ra quyết định"),
    "TenCoQuanQD": gettext_lazy("Cơ quan ra quyết định"),
    "violator": gettext_lazy("Người vi phạm"),
    "TenNguoiViPham": gettext_lazy("Người vi phạm"),
    "plate": gettext_lazy("Biển kiểm soát"),
    "vehicle": gettext_lazy("Phương tiện"),
    "violation": gettext_lazy("Hành vi vi phạm"),
    "violation_time": gettext_lazy("Thời điểm vi phạm"),
    "ThoiGianViPham": gettext_lazy("Thời điểm vi phạm"),
    "place": gettext_lazy("Địa điểm vi phạm"),
    "violation_place": gettext_lazy("Địa điểm vi phạm"),
    "DiaDiemViPham": gettext_lazy("Địa điểm vi phạm"),
    "officer": gettext_lazy("Người xử lý vi phạm"),
    "legal_basis": gettext_lazy("Căn cứ xử phạt"),
    # taxes
    "notice_number": gettext_lazy("Số thông báo"),
    "tax_code": gettext_lazy("Mã số thuế"),
    "tax_office": gettext_lazy("Cơ quan thuế"),
    "property": gettext_lazy("Tài sản chịu thuế"),
    "taxable_value": gettext_lazy("Giá tính thuế"),
    "rate": gettext_lazy("Thuế suất"),
    "tax_period": gettext_lazy("Kỳ thuế"),
    "period": gettext_lazy("Kỳ"),
    # social and health insurance
    "insurance_code": gettext_lazy("Mã số bảo hiểm xã hội"),
    "household_head": gettext_lazy("Chủ hộ"),
    "agency": gettext_lazy("Cơ quan bảo hiểm xã hội"),
    "base_salary": gettext_lazy("Mức lương cơ sở"),
    "monthly_income": gettext_lazy("Thu nhập tháng làm căn cứ đóng"),
    "state_support": gettext_lazy("Ngân sách nhà nước hỗ trợ"),
    # electricity
    "customer_code": gettext_lazy("Mã khách hàng"),
    "company": gettext_lazy("Đơn vị điện lực"),
    "address": gettext_lazy("Địa chỉ sử dụng điện"),
    "reading_from": gettext_lazy("Từ ngày"),
    "reading_to": gettext_lazy("Đến ngày"),
    "meter_old": gettext_lazy("Chỉ số cũ"),
    "meter_new": gettext_lazy("Chỉ số mới"),
    "kwh": gettext_lazy("Điện năng tiêu thụ (kWh)"),
    # court fee advances
    "court": gettext_lazy("Tòa án"),
    "case_number": gettext_lazy("Số thụ lý"),
    "dispute": gettext_lazy("Vụ việc"),
    "claim_value": gettext_lazy("Giá trị tranh chấp"),
    "plaintiff": gettext_lazy("Nguyên đơn"),
    "defendant": gettext_lazy("Bị đơn"),
    "collected_by": gettext_lazy("Cơ quan thu tiền"),
    # fees of procedures
    "dossier_code": gettext_lazy("Mã hồ sơ"),
    "procedure": gettext_lazy("Thủ tục"),
    "procedure_name": gettext_lazy("Thủ tục"),
    "TenTTHC": gettext_lazy("Thủ tục hành chính"),
    "TenDVC": gettext_lazy("Dịch vụ công"),
    "unit": gettext_lazy("Đơn vị tiếp nhận"),
    "TenDonVi": gettext_lazy("Đơn vị giải quyết"),
    # any group
    "cancelled_reason": gettext_lazy("Lý do hủy"),
}
# Details that are amounts of đồng.
MONEY_DETAILS: Final = frozenset(
    {"taxable_value", "base_salary", "monthly_income", "state_support", "claim_value"}
)


def detail_rows(details: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The bill's details as (label, value) rows, in our order; nested values and empty ones are left out (they
    are for the receipt and the agency, not for reading here). One label is shown once, whichever key of the
    two protocols carries it."""
    details = details or {}
    rows: list[tuple[str, str]] = []
    seen: set[str] = set()
    for key, text in DETAIL_LABELS.items():
        value = details.get(key)
        label = str(text)
        if label in seen or not isinstance(value, str | int | float) or not str(value).strip():
            continue
        seen.add(label)
        if key in MONEY_DETAILS and isinstance(value, int) and not isinstance(value, bool):
            rows.append((label, money(value)))
        else:
            rows.append((label, _detail_value(value)))
    return rows


_ISO_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}.*)?$")


def _detail_value(value: str | int | float) -> str:
    if isinstance(value, bool):
        return _("Có") if value else _("Không")
    if isinstance(value, int):
        return group_thousands(value)
    text = str(value)
    if not _ISO_DATE.match(text):
        return text
    try:  # ISO dates and times from the biller, shown as people read them
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if len(text) == 10:
        return moment.strftime("%d/%m/%Y")
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone(dt.timedelta(hours=7)))
    return moment.strftime("%H:%M %d/%m/%Y")


@dataclass(frozen=True)
class Line:
    name: str
    amount: str


@dataclass(frozen=True)
class ProviderChoice:
    code: str
    name: str
    checked: bool


@dataclass(frozen=True)
class BillPage:
    bill: Bill
    token: str
    group_label: str
    amount: str
    lines: list[Line]
    details: list[tuple[str, str]]
    is_open: bool
    is_paid: bool
    providers: list[ProviderChoice]
    paid_order: PaymentOrder | None  # the viewer's order that paid the bill (its receipt is theirs to see)
    open_order: PaymentOrder | None  # the viewer's order still waiting for the bank
    error: str = ""
    provider_error: str = ""


def active_providers() -> QuerySet[Provider]:
    return Provider.objects.filter(is_active=True).order_by("position", "name")


def bill_page(
    bill: Bill, token: str, user: Any, *, chosen: str = "", error: str = "", provider_error: str = ""
) -> BillPage:
    providers = list(active_providers())
    if not chosen and len(providers) == 1:
        chosen = providers[0].code
    mine = (
        PaymentOrder.objects.filter(bill=bill, user=user).select_related("receipt").order_by("-created_at")
        if getattr(user, "is_authenticated", False)
        else PaymentOrder.objects.none()
    )
    paid_order = open_order = None
    for order in mine[:20]:
        if paid_order is None and order.status in PAID_STATUSES:
            paid_order = order
        if open_order is None and order.status in states.OPEN:
            open_order = order
    lines = [
        Line(name=str(line.get("name") or bill.title), amount=money(int(line.get("amount") or 0)))
        for line in (bill.lines or [])
        if isinstance(line, dict)
    ]
    return BillPage(
        bill=bill,
        token=token,
        group_label=str(ServiceGroup(bill.group).label) if bill.group in ServiceGroup.values else bill.group,
        amount=money(bill.amount),
        lines=lines,
        details=detail_rows(bill.details),
        is_open=bill.status == BillStatus.OPEN,
        is_paid=bill.status == BillStatus.PAID,
        providers=[ProviderChoice(code=p.code, name=p.name, checked=p.code == chosen) for p in providers],
        paid_order=paid_order,
        open_order=open_order,
        error=error,
        provider_error=provider_error,
    )


# --- an order ---------------------------------------------------------------------------------------------------

STATUS_CLASSES: Final[dict[str, str]] = {
    OrderStatus.CREATED: "status-open",
    OrderStatus.PENDING: "status-open",
    OrderStatus.PAID: "status-done",
    OrderStatus.FAILED: "status-attention",
    OrderStatus.EXPIRED: "status-attention",
    OrderStatus.CANCELLED: "status-attention",
    OrderStatus.PARTIALLY_REFUNDED: "status-done",
    OrderStatus.REFUNDED: "status-attention",
}


def status_class(status: str) -> str:
    return STATUS_CLASSES.get(status, "status-open")


def receipt_of(order: PaymentOrder) -> Receipt | None:
    """The order's receipt (read with the order by `selectors.order_for_user`), None before it is paid."""
    try:
        return order.receipt
    except Receipt.DoesNotExist:
        return None


@dataclass(frozen=True)
class OrderPage:
    order: PaymentOrder
    bill: Bill
    amount: str
    status_class: str
    waiting: bool  # the bank has not answered yet: the page polls
    paid: bool
    closed: bool  # failed, expired or cancelled
    why: str  # why a closed order did not pay
    refund_due: str  # money collected that goes back to the payer, "" when none
    refunded: str
    receipt: Receipt | None
    retry_url: str  # the bill page, while the bill is still open
    error: str = ""


def order_page(order: PaymentOrder, *, retry_url: str = "", error: str = "") -> OrderPage:
    closed = order.status in states.CLOSED_UNPAID
    why = ""
    if order.status == OrderStatus.FAILED:
        why = _(
            "Ngân hàng hoặc ví điện tử báo giao dịch không thành công (thẻ bị từ chối, không đủ số dư hoặc bạn "
            "đã dừng thanh toán). Tài khoản của bạn không bị trừ tiền cho lệnh này."
        )
    elif order.status == OrderStatus.EXPIRED:
        why = _(
            "Lệnh thanh toán đã hết thời hạn mà chưa nhận được xác nhận thanh toán từ ngân hàng. Nếu tài "
            "khoản của bạn đã bị trừ tiền, khoản tiền sẽ được hoàn lại."
        )
    elif order.status == OrderStatus.CANCELLED:
        why = _("Lệnh thanh toán đã được hủy.")
    paid = order.status in PAID_STATUSES
    return OrderPage(
        order=order,
        bill=order.bill,
        amount=money(order.amount),
        status_class=status_class(order.status),
        waiting=order.status in states.OPEN,
        paid=paid,
        closed=closed,
        why=why,
        refund_due=money(order.refund_due) if order.refund_due > 0 else "",
        refunded=money(order.refunded_amount) if order.refunded_amount > 0 else "",
        receipt=receipt_of(order) if paid else None,
        retry_url=retry_url if order.bill.status == BillStatus.OPEN and not paid else "",
        error=error,
    )


# --- the payment history ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    order: PaymentOrder
    amount: str
    status_class: str
    receipt_number: str


@dataclass(frozen=True)
class HistoryPage:
    rows: list[HistoryRow]
    next_cursor: str | None  # the next (older) page, None on the last one
    first: bool  # the newest page (no cursor given)
    error: str = ""


def history_page(history: selectors.HistoryPage, *, first: bool, error: str = "") -> HistoryPage:
    """One page of the person's orders (newest first, keyset-paged by the selector), each with what its row
    shows; no query beyond the selector's."""
    rows = []
    for order in history.items:
        receipt = receipt_of(order) if order.status in PAID_STATUSES else None
        rows.append(
            HistoryRow(
                order=order,
                amount=money(order.amount),
                status_class=status_class(order.status),
                receipt_number=receipt.number if receipt is not None else "",
            )
        )
    return HistoryPage(rows=rows, next_cursor=history.next_cursor, first=first, error=error)


# --- a receipt checked by its verification code ---------------------------------------------------------------

RECEIPT_STATUS_LABELS: Final = {
    "valid": gettext_lazy("Biên lai hợp lệ"),
    "partially_refunded": gettext_lazy("Biên lai hợp lệ; một phần số tiền đã được hoàn lại cho người nộp"),
    "refunded": gettext_lazy("Biên lai hợp lệ; khoản tiền trên biên lai đã được hoàn lại cho người nộp"),
}


@dataclass(frozen=True)
class VerifyPage:
    receipt: receipts.PublicReceipt
    amount: str
    status_label: str


def verify_page(receipt: receipts.PublicReceipt) -> VerifyPage:
    return VerifyPage(
        receipt=receipt,
        amount=money(receipt.amount),
        status_label=str(RECEIPT_STATUS_LABELS.get(receipt.status, receipt.status_label)),
    )
