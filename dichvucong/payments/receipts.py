"""The electronic receipt (biên lai điện tử) of a paid order: its PDF, the amount in Vietnamese words, and what
the public verification page may show.

The PDF is drawn from the receipt's snapshot (`Receipt.content`, fixed when the order was paid), its number,
verification code and issue time only: the same receipt always gives the same bytes, whenever it is printed.
Text is set in the DejaVu Serif fonts vendored with the dossier forms (`dichvucong/dossiers/fonts/`).

What the verification page (/bien-lai/?ma=<code>) shows, and why: anyone holding a receipt can check it, so the
page confirms what is printed on it without giving a stranger who found or guessed a code more than the paper
says. It shows the receipt number, when it was issued and paid, the agency and what was paid (title, bill
reference, amount in figures and words), the provider, whether the payment was refunded since, and the payer's
initials only ("N. V. A."): enough to match the paper in hand. It never shows the payer's full name, address or
identity number, the provider's transaction id or the portal's order reference (those identify a person's
payment at the bank). Codes are 12 characters of a 32-letter alphabet (60 bits): they cannot be enumerated.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from dichvucong.dossiers.pdf import _FAMILY, _FONT_DIR, _FONT_FILES, _clean, _clip, _day_month, _qr_png
from dichvucong.payments import selectors
from dichvucong.payments.models import OrderStatus, Receipt, ServiceGroup

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_TITLE = "BIÊN LAI THU TIỀN ĐIỆN TỬ"
TITLES: dict[str, str] = {
    ServiceGroup.FEE: "BIÊN LAI THU PHÍ, LỆ PHÍ",
    ServiceGroup.FINE: "BIÊN LAI THU TIỀN PHẠT",
    ServiceGroup.COURT: "BIÊN LAI THU TIỀN TẠM ỨNG ÁN PHÍ, LỆ PHÍ TÒA ÁN",
}
# How the bill's own code is called on the receipt, per group.
REFERENCE_LABELS: dict[str, str] = {
    ServiceGroup.FINE: "Số quyết định xử phạt:",
    ServiceGroup.TAX: "Mã thông báo nộp thuế:",
    ServiceGroup.ELECTRICITY: "Mã khách hàng, kỳ hóa đơn:",
    ServiceGroup.COURT: "Mã thông báo nộp tạm ứng án phí:",
}
# Keys of `Bill.details` printed on the receipt, in this order, with their labels: the national platform's
# receipt data (ThongTinBienLai, kept as sent by a one-stop system's INIT) and the keys the bill adapters use.
# Other keys are not printed (they may be technical, or in no reader's language).
DETAIL_LABELS: tuple[tuple[str, str], ...] = (
    ("TenTTHC", "Thủ tục hành chính:"),
    ("TenDVC", "Dịch vụ công:"),
    ("TenDonVi", "Đơn vị giải quyết:"),
    ("SoQD", "Số quyết định:"),
    ("decision_number", "Số quyết định:"),
    ("NgayQD", "Ngày quyết định:"),
    ("decision_date", "Ngày quyết định:"),
    ("TenCoQuanQD", "Cơ quan ra quyết định:"),
    ("decision_agency", "Cơ quan ra quyết định:"),
    ("TenLoaiHinhThuPhat", "Loại hình thu phạt:"),
    ("TenNguoiViPham", "Người vi phạm:"),
    ("violator", "Người vi phạm:"),
    ("plate", "Biển kiểm soát:"),
    ("violation", "Hành vi vi phạm:"),
    ("ThoiGianViPham", "Thời gian vi phạm:"),
    ("violation_time", "Thời gian vi phạm:"),
    ("DiaDiemViPham", "Địa điểm vi phạm:"),
    ("violation_place", "Địa điểm vi phạm:"),
    ("tax_code", "Mã số thuế:"),
    ("tax_period", "Kỳ thuế:"),
    ("insurance_code", "Mã số bảo hiểm xã hội:"),
    ("customer_code", "Mã khách hàng:"),
    ("period", "Kỳ thanh toán:"),
    ("case_number", "Số thụ lý:"),
    ("court", "Tòa án:"),
    ("KhoBac", "Kho bạc Nhà nước:"),
    ("TaiKhoanThuNSNN", "Tài khoản thu ngân sách nhà nước:"),
)
_PAYER_ADDRESS_KEYS = ("DiaChiNguoiNop", "payer_address")
_BODY = 10.5
_LINE = 5.6


# --- money in figures and in words ------------------------------------------------------------------------------


def format_amount(amount: int) -> str:
    """2000000 → "2.000.000" (Vietnamese thousands separator)."""
    return f"{amount:,}".replace(",", ".")


_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_SCALES = ("", " nghìn", " triệu")
_BILLION = 10**9


def _three_digits(n: int, *, full: bool) -> str:
    """Read 1–999. `full`: a group after a higher one, read with its hundreds even when zero ("không trăm") and
    "linh" before a lone unit: 1005 is "một nghìn không trăm linh năm"."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if hundreds or full:
        words.append(f"{_DIGITS[hundreds]} trăm")
    if tens == 0:
        if units:
            if words:
                words.append("linh")
            words.append(_DIGITS[units])
    elif tens == 1:
        words.append("mười")
        if units == 5:
            words.append("lăm")
        elif units:
            words.append(_DIGITS[units])
    else:
        words.append(f"{_DIGITS[tens]} mươi")
        if units == 1:
            words.append("mốt")
        elif units == 5:
            words.append("lăm")
        elif units:
            words.append(_DIGITS[units])
    return " ".join(words)


def _below_billion(n: int, *, leading: bool) -> str:
    groups = (n // 10**6, n // 1000 % 1000, n % 1000)
    words: list[str] = []
    for group, scale in zip(groups, _SCALES[::-1], strict=True):
        if group == 0:
            continue  # a group of zeros is not read: 1000001 is "một triệu không trăm linh một"
        words.append(_three_digits(group, full=not (leading and not words)) + scale)
    return " ".join(words)


def _words(n: int, *, leading: bool = True) -> str:
    if n >= _BILLION:
        high, low = divmod(n, _BILLION)
        text = _words(high, leading=leading) + " tỷ"
        return f"{text} {_below_billion(low, leading=False)}" if low else text
    return _below_billion(n, leading=leading)


def amount_in_words(amount: int) -> str:
    """The amount in Vietnamese words as receipts print it, capitalised, ending in "đồng":
    2000000 → "Hai triệu đồng", 1005 → "Một nghìn không trăm linh năm đồng", 21 → "Hai mươi mốt đồng"."""
    if amount < 0:
        raise ValueError("amount_in_words: a negative amount")
    text = "không" if amount == 0 else _words(amount)
    return f"{text[:1].upper()}{text[1:]} đồng"


# --- what is printed -------------------------------------------------------------------------------------------


def title_for(group: str) -> str:
    return TITLES.get(group, DEFAULT_TITLE)


def verify_url(code: str) -> str:
    """The public page that checks a receipt (`web:receipt_verify`), absolute, as encoded in the QR code."""
    base = settings.PORTAL_BASE_URL.rstrip("/")
    return f"{base}{reverse('web:receipt_verify')}?{urlencode({'ma': code})}"


def _local(moment: dt.datetime) -> dt.datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(LOCAL_TZ)


def _parse_time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _long_date(moment: dt.datetime) -> str:
    local = _local(moment)
    day, month = _day_month(local)
    return f"Ngày {day} tháng {month} năm {local.year}"


def _time_text(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    local = _local(moment)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def _text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return _clean(value) if isinstance(value, str) else ""


def _amount_of(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return 0


def _lines(content: dict[str, Any]) -> list[tuple[str, int]]:
    lines = content.get("lines")
    found = [
        (_clip(_text(line.get("name")) or _text(content.get("title")), 400), _amount_of(line.get("amount")))
        for line in (lines if isinstance(lines, list) else [])
        if isinstance(line, dict)
    ]
    return found or [(_clip(_text(content.get("title")), 400), _amount_of(content.get("amount")))]


def _beneficiary(content: dict[str, Any], details: dict[str, Any]) -> str:
    # A one-stop system's INIT names the account of the fee it collects (TKThuHuong …); else the biller's.
    account = _text(details.get("TKThuHuong"))
    if account:
        parts = [account, _text(details.get("TenTKThuHuong")), _text(details.get("MaNHThuHuong"))]
        return " – ".join(part for part in parts if part)
    return _text(content.get("beneficiary_account"))


def _details(details: dict[str, Any]) -> list[tuple[str, str]]:
    printed: list[tuple[str, str]] = []
    seen_labels: set[str] = set()
    for key, label in DETAIL_LABELS:
        value = _text(details.get(key))
        if value and label not in seen_labels:
            printed.append((label, _clip(value, 400)))
            seen_labels.add(label)
    return printed


class _ReceiptPage(FPDF):
    def __init__(self, *, title: str, number: str, issued_at: dt.datetime, author: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.number = number
        self.set_margins(left=20, top=15, right=15)
        self.set_auto_page_break(auto=True, margin=18)
        for style, file in _FONT_FILES.items():
            self.add_font(_FAMILY, style, str(_FONT_DIR / file))
        self.set_title(f"{title[:1]}{title[1:].lower()} số {number}")
        self.set_author(author)
        self.set_subject(title)
        self.set_creator("Cổng Dịch vụ công quốc gia")
        self.set_lang("vi")
        # From the data, never the clock: the same receipt gives the same bytes.
        self.set_creation_date(_local(issued_at))
        self.add_page()

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(_FAMILY, "I", 8)
        self.cell(0, 5, f"Biên lai điện tử số {self.number} · Trang {self.page_no()}/{{nb}}", align="C")

    def field(self, label: str, value: str, *, bold: bool = True) -> None:
        if not value:
            return
        self.set_x(self.l_margin)
        self.set_font(_FAMILY, "", _BODY)
        self.write(_LINE, label + " ")
        self.set_font(_FAMILY, "B" if bold else "", _BODY)
        self.write(_LINE, value)
        self.ln(_LINE)

    def centred(self, text: str, *, style: str = "", size: float = _BODY, height: float = _LINE) -> None:
        self.set_font(_FAMILY, style, size)
        self.multi_cell(0, height, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as an A4 PDF: title per service group, number and date, the agency and its beneficiary
    account, the payer, the lines paid, the total in figures and words, the provider and its transaction, the
    payment time in Hà Nội time, and the verification code with a QR code of the verification page."""
    content: dict[str, Any] = receipt.content if isinstance(receipt.content, dict) else {}
    raw_details = content.get("details")
    details: dict[str, Any] = raw_details if isinstance(raw_details, dict) else {}
    group = _text(content.get("group"))
    title = title_for(group)
    agency = _clip(_text(content.get("agency_name")), 200)
    amount = _amount_of(content.get("amount"))
    paid_at = _parse_time(content.get("paid_at")) or receipt.issued_at

    pdf = _ReceiptPage(title=title, number=receipt.number, issued_at=receipt.issued_at, author=agency)
    _heading(pdf, agency)
    pdf.centred(title, style="B", size=14, height=7)
    if title != DEFAULT_TITLE:
        pdf.centred("(Biên lai điện tử)", style="I", size=10, height=5)
    pdf.centred(f"Số: {receipt.number}", style="B")
    pdf.centred(_long_date(receipt.issued_at), style="I")
    pdf.ln(4)

    pdf.field("Đơn vị thu:", agency)
    pdf.field("Hệ thống thu:", _clip(_text(content.get("biller_name")), 300), bold=False)
    pdf.field("Tài khoản thụ hưởng:", _clip(_beneficiary(content, details), 300))
    pdf.field("Họ tên người nộp tiền:", _clip(_text(content.get("payer_name")), 300))
    address = next((_text(details.get(key)) for key in _PAYER_ADDRESS_KEYS if _text(details.get(key))), "")
    pdf.field("Địa chỉ:", _clip(address, 300), bold=False)
    pdf.field("Nội dung thu:", _clip(_text(content.get("title")), 500))
    pdf.field(
        REFERENCE_LABELS.get(group, "Mã khoản phải nộp:"), _clip(_text(content.get("bill_reference")), 100)
    )
    pdf.field("Mã hồ sơ:", _clip(_text(content.get("dossier_code")), 60))
    pdf.field("Mã thủ tục hành chính:", _clip(_text(content.get("procedure_code")), 20), bold=False)
    for label, value in _details(details):
        pdf.field(label, value, bold=False)
    pdf.ln(2)
    _lines_table(pdf, _lines(content), amount)
    pdf.field("Số tiền bằng chữ:", amount_in_words(amount) + ".")
    pdf.ln(1)
    provider = _clip(_text(content.get("provider_name")), 200)
    pdf.field("Hình thức thanh toán:", f"Trực tuyến qua {provider}" if provider else "Trực tuyến", bold=False)
    pdf.field("Mã giao dịch tại tổ chức thanh toán:", _clip(_text(content.get("provider_transaction")), 80))
    pdf.field("Mã lệnh thanh toán trên Cổng:", _clip(_text(content.get("order_reference")), 40), bold=False)
    pdf.field("Thời gian thanh toán:", _time_text(paid_at))
    _verification_block(pdf, receipt.verification_code)
    pdf.set_font(_FAMILY, "I", 9)
    pdf.multi_cell(
        0,
        4.5,
        "Biên lai điện tử được Cổng Dịch vụ công quốc gia lập tự động khi tổ chức thanh toán xác nhận giao dịch. "
        "Kiểm tra tính xác thực của biên lai bằng mã tra cứu ở trên.",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    return bytes(pdf.output())


def _heading(pdf: _ReceiptPage, agency: str) -> None:
    top, left_w, gap = pdf.get_y(), 80.0, 3.0
    right_x, right_w = pdf.l_margin + left_w + gap, pdf.epw - left_w - gap
    pdf.set_font(_FAMILY, "B", 10)
    pdf.multi_cell(left_w, 5, agency.upper() or "CƠ QUAN THU", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FAMILY, "I", 9)
    pdf.multi_cell(
        left_w, 4.5, "Thu qua Cổng Dịch vụ công quốc gia", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    left_bottom = pdf.get_y()
    pdf.set_xy(right_x, top)
    pdf.set_font(_FAMILY, "B", 10)
    pdf.multi_cell(
        right_w, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT
    )
    pdf.set_font(_FAMILY, "B", 11)
    motto = "Độc lập - Tự do - Hạnh phúc"
    pdf.multi_cell(right_w, 5.5, motto, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    y = pdf.get_y() + 1
    width = pdf.get_string_width(motto)
    pdf.set_line_width(0.3)
    pdf.line(right_x + (right_w - width) / 2, y, right_x + (right_w + width) / 2, y)
    pdf.set_y(max(left_bottom, y) + 6)


def _lines_table(pdf: _ReceiptPage, lines: list[tuple[str, int]], total: int) -> None:
    pdf.set_font(_FAMILY, "", 10)
    with pdf.table(
        col_widths=(12, 123, 40),
        text_align=("CENTER", "LEFT", "RIGHT"),
        line_height=5,
        padding=(0.8, 1.2),
        headings_style=FontFace(emphasis="BOLD"),
        num_heading_rows=1,
    ) as table:
        table.row(("TT", "Khoản thu", "Số tiền (đồng)"))
        for number, (name, amount) in enumerate(lines, start=1):
            table.row((str(number), name or "—", format_amount(amount)))
        last = table.row()
        last.cell("Tổng cộng", colspan=2, align="RIGHT", style=FontFace(emphasis="BOLD"))
        last.cell(format_amount(total), style=FontFace(emphasis="BOLD"))
    pdf.ln(2)


def _verification_block(pdf: _ReceiptPage, code: str) -> None:
    url = verify_url(code)
    png, size = _qr_png(url), 30.0
    if pdf.get_y() + size + 6 > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y() + 3
    if png is not None:
        pdf.image(io.BytesIO(png), x=pdf.l_margin, y=top, w=size, h=size, alt_text="Mã QR tra cứu biên lai")
    text_x = pdf.l_margin + size + 4
    pdf.set_xy(text_x, top + 3)
    pdf.set_font(_FAMILY, "", _BODY)
    pdf.write(_LINE, "Mã tra cứu biên lai: ")
    pdf.set_font(_FAMILY, "B", _BODY + 1)
    pdf.write(_LINE, code)
    pdf.ln(_LINE + 1)
    pdf.set_x(text_x)
    pdf.set_font(_FAMILY, "I", 9.5)
    pdf.multi_cell(
        pdf.epw - size - 4,
        5,
        "Quét mã QR hoặc truy cập địa chỉ dưới đây để kiểm tra biên lai:",
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
    )
    pdf.set_font(_FAMILY, "", 9)
    pdf.multi_cell(pdf.epw - size - 4, 5, _clip(url, 400), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(pdf.get_y(), top + size) + 3)


# --- verification ----------------------------------------------------------------------------------------------

_CODE_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalise_code(code: str) -> str:
    """What a person typed, as stored: upper case, without spaces or dashes, O read as 0 and I, L as 1 (the
    code's alphabet has none of them)."""
    return "".join(code.split()).replace("-", "").upper().translate(_CODE_ALIASES)[:20]


def initials(name: str) -> str:
    """The payer's name as the public page shows it, enough to match the paper: "Nguyễn Văn An" → "N. V. A."."""
    return " ".join(f"{word[0].upper()}." for word in _clean(name).split() if word)


@dataclass(frozen=True)
class PublicReceipt:
    """What the verification page shows of a receipt (see the module's docstring)."""

    number: str
    verification_code: str
    issued_at: dt.datetime
    paid_at: dt.datetime | None
    title: str
    document_title: str
    group: str
    agency_name: str
    bill_reference: str
    amount: int
    amount_text: str
    amount_words: str
    provider_name: str
    payer_initials: str
    status: str  # "valid" | "partially_refunded" | "refunded"
    status_label: str


_STATUS_LABELS = {
    "valid": "Biên lai hợp lệ",
    "partially_refunded": "Biên lai hợp lệ; một phần số tiền đã được hoàn lại cho người nộp",
    "refunded": "Khoản tiền trên biên lai đã được hoàn lại cho người nộp",
}


def verify(code: str) -> PublicReceipt | None:
    """The public summary of the receipt with verification code `code` (as typed), or None if there is none."""
    receipt = selectors.receipt_by_code(normalise_code(code))
    if receipt is None:
        return None
    content: dict[str, Any] = receipt.content if isinstance(receipt.content, dict) else {}
    amount = _amount_of(content.get("amount"))
    status = {
        OrderStatus.REFUNDED: "refunded",
        OrderStatus.PARTIALLY_REFUNDED: "partially_refunded",
    }.get(OrderStatus(receipt.order.status), "valid")
    group = _text(content.get("group"))
    return PublicReceipt(
        number=receipt.number,
        verification_code=receipt.verification_code,
        issued_at=receipt.issued_at,
        paid_at=_parse_time(content.get("paid_at")),
        title=_text(content.get("title")),
        document_title=title_for(group),
        group=group,
        agency_name=_text(content.get("agency_name")),
        bill_reference=_text(content.get("bill_reference")),
        amount=amount,
        amount_text=format_amount(amount),
        amount_words=amount_in_words(amount),
        provider_name=_text(content.get("provider_name")),
        payer_initials=initials(_text(content.get("payer_name"))),
        status=status,
        status_label=_STATUS_LABELS[status],
    )
