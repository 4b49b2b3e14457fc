"""The printable documents of a dossier: forms 01, 02, 03, 04 and 06 of Circular 03/2025/TT-VPCP (Phụ lục I).

The module knows no models: callers map a dossier to the frozen dataclasses below and get PDF bytes back. The
layouts follow the same family of forms in Circular 01/2018/TT-VPCP (headings, field labels, the control sheet's
columns) under the 2025 titles and numbering; the 2025 appendix itself was not at hand word for word. Text is set
in DejaVu Serif, vendored in ``fonts/`` so that a fresh machine renders Vietnamese without system fonts.

Times are aware datetimes (UTC in the database) and are printed in Asia/Ho_Chi_Minh. The same input always gives
the same bytes: the PDF creation date comes from the data, never from the clock.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

CHANNEL_IN_PERSON = 1
CHANNEL_ONLINE = 2
CHANNEL_POST = 3
CHANNEL_LABELS = {
    CHANNEL_IN_PERSON: "Trực tiếp tại Bộ phận Một cửa",
    CHANNEL_ONLINE: "Trực tuyến",
    CHANNEL_POST: "Qua dịch vụ bưu chính",
}
OUTCOME_LABELS = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}

RECEIPT_TITLE = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
SUPPLEMENT_TITLE = "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"
REFUSAL_TITLE = "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"
# Circular 01/2018 called form 04 "Phiếu xin lỗi và hẹn lại ngày trả kết quả"; Circular 03/2025 renamed it.
APOLOGY_TITLE = "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT"
CONTROL_SHEET_TITLE = "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"
CIRCULAR = "Thông tư số 03/2025/TT-VPCP"

_FONT_DIR = Path(__file__).resolve().parent / "fonts"
_FAMILY = "DejaVuSerif"
_FONT_FILES = {"": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf", "I": "DejaVuSerif-Italic.ttf"}
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # creation date of a document that carries no date at all
_BLANK = "……………"
_BODY = 11.0
_LINE = 6.0
_CONTROL_CHARS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class Party:
    """The applicant (chủ hồ sơ): a citizen or a business."""

    name: str
    id_number: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class DocumentLine:
    """One document received: paper originals and copies, or an electronic file."""

    name: str
    originals: int = 0
    copies: int = 0
    electronic: bool = True


@dataclass(frozen=True)
class DossierHeader:
    code: str
    procedure_code: str
    procedure_name: str
    agency_name: str  # the agency that settles the dossier, e.g. "Ủy ban nhân dân phường Ba Đình"
    receiving_unit: str  # the one-stop unit, e.g. "Trung tâm Phục vụ hành chính công phường Ba Đình"
    applicant: Party
    received_at: datetime | None
    appointment_at: datetime | None
    channel: int  # 1 in person, 2 online, 3 post
    place_name: str = ""  # địa danh before the date line ("Hà Nội, ngày …")


@dataclass(frozen=True)
class ReceiptData:
    dossier: DossierHeader
    documents: tuple[DocumentLine, ...]
    time_limit_text: str  # "05 ngày làm việc"
    result_delivery: str  # where the result is handed over
    tracking_url: str  # portal page where the dossier is tracked and rated; encoded in the QR code
    officer_name: str = ""
    dossier_sets: int = 1  # số lượng hồ sơ (bộ)


@dataclass(frozen=True)
class SupplementRequestData:
    dossier: DossierHeader
    requested_at: datetime
    items: tuple[str, ...]
    reason: str
    officer_name: str
    officer_title: str
    officer_phone: str = ""


@dataclass(frozen=True)
class RefusalData:
    dossier: DossierHeader
    refused_at: datetime
    reason: str
    officer_name: str


@dataclass(frozen=True)
class ApologyData:
    dossier: DossierHeader
    issued_at: datetime
    reason: str
    old_appointment_at: datetime | None
    new_appointment_at: datetime | None
    signer_name: str
    signer_title: str


@dataclass(frozen=True)
class ControlStep:
    """One hand-off of the dossier between units, with the step's deadline and when the step was done."""

    from_unit: str
    to_unit: str
    handed_at: datetime
    due_at: datetime | None
    finished_at: datetime | None
    outcome: str  # "early" | "on_time" | "late" | "" (then derived from finished_at and due_at)
    note: str = ""
    handed_by: str = ""
    received_by: str = ""


@dataclass(frozen=True)
class ControlSheetData:
    dossier: DossierHeader
    steps: tuple[ControlStep, ...]


def step_outcome(finished_at: datetime | None, due_at: datetime | None) -> str:
    """The outcome of a step: "early" when it finished on a day before its due day, "on_time" on the due day,
    "late" after it, and "" when either time is unknown. Days are local (Asia/Ho_Chi_Minh) calendar days."""
    if finished_at is None or due_at is None:
        return ""
    finished, due = _local(finished_at).date(), _local(due_at).date()
    if finished < due:
        return "early"
    return "on_time" if finished == due else "late"


# --- text and time helpers -------------------------------------------------------------------------------------


def _local(moment: datetime) -> datetime:
    # A naive datetime is taken as UTC, as the project stores times.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(VN_TZ)


def _day_month(moment: datetime) -> tuple[str, str]:
    # Decree 30/2020/NĐ-CP: a leading zero for days below 10 and for months 1 and 2.
    return f"{moment.day:02d}", (f"{moment.month:02d}" if moment.month <= 2 else str(moment.month))


def _long_date(moment: datetime | None) -> str:
    if moment is None:
        return "ngày …… tháng …… năm ……"
    local = _local(moment)
    day, month = _day_month(local)
    return f"ngày {day} tháng {month} năm {local.year}"


def _long_datetime(moment: datetime | None) -> str:
    if moment is None:
        return "…… giờ …… phút, ngày …… tháng …… năm ……"
    local = _local(moment)
    return f"{local.hour:02d} giờ {local.minute:02d} phút, {_long_date(moment)}"


def _short_datetime(moment: datetime, *, compact: bool = False) -> str:
    local = _local(moment)
    if compact:
        return f"{local.hour:02d} giờ {local.minute:02d}, {local:%d/%m/%Y}"
    return f"{local.hour:02d} giờ {local.minute:02d} phút, ngày {local:%d/%m/%Y}"


def _clean(text: str) -> str:
    """NFC (precomposed Vietnamese letters, which the font maps) without control characters but newlines."""
    return _CONTROL_CHARS.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def _clip(text: str, limit: int) -> str:
    """One line of at most `limit` characters, for places that cannot flow onto another page (headings, table
    cells, signatures)."""
    text = " ".join(_clean(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _or_blank(text: str) -> str:
    return _clean(text) or _BLANK


def _quantity(line: DocumentLine) -> str:
    parts = []
    if line.originals > 0:
        parts.append(f"{line.originals:02d} bản chính")
    if line.copies > 0:
        parts.append(f"{line.copies:02d} bản sao")
    if line.electronic:
        parts.append("bản điện tử")
    text = ", ".join(parts)
    return text[:1].upper() + text[1:] if text else "—"


def _qr_png(url: str) -> bytes | None:
    url = _clean(url)
    if not url:
        return None
    try:
        code = segno.make_qr(url, error="m")
    except segno.DataOverflowError:
        return None
    out = io.BytesIO()
    code.save(out, kind="png", scale=6, border=2)
    return out.getvalue()


# --- the page --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Signature:
    title: str
    hint: str
    name: str


class _Form(FPDF):
    """An A4 page with the national heading, the form's title and the helpers every form uses."""

    def __init__(self, *, form_no: str, title: str, dossier: DossierHeader, dated: datetime | None) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.form_no = form_no
        self.dossier = dossier
        self.set_margins(left=20, top=15, right=15)
        self.set_auto_page_break(auto=True, margin=18)
        for style, file in _FONT_FILES.items():
            self.add_font(_FAMILY, style, str(_FONT_DIR / file))
        code = _clip(dossier.code, 80)
        self.set_title(f"{title[:1]}{title[1:].lower()} – Mã hồ sơ {code}" if code else title)
        self.set_author(_clip(dossier.agency_name, 300) or _clip(dossier.receiving_unit, 300))
        self.set_subject(_clip(dossier.procedure_name, 300))
        self.set_keywords(f"{form_no}, {CIRCULAR}")
        self.set_creator("Cổng Dịch vụ công quốc gia")
        self.set_lang("vi")
        self.set_creation_date(_local(dated) if dated else _EPOCH)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(_FAMILY, "I", 8)
        text = f"{self.form_no} – {CIRCULAR} · Mã hồ sơ: {_clip(self.dossier.code, 60)} · Trang {self.page_no()}/{{nb}}"
        self.cell(0, 5, text, align="C")

    # headings

    def heading(self, *, upper: str, unit: str, dated: datetime | None) -> None:
        """The issuer on the left, the national motto and the place and date on the right."""
        top, left_w, gap = self.get_y(), 78.0, 3.0
        right_x, right_w = self.l_margin + left_w + gap, self.epw - left_w - gap
        for text, style in ((upper, ""), (unit, "B")):
            if _clean(text):
                self.set_font(_FAMILY, style, 10)
                self.multi_cell(
                    left_w, 5, _clip(text, 200).upper(), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
                )
        self._rule(self.l_margin + left_w / 2, 25)
        left_bottom = self.get_y()
        self.set_xy(right_x, top)
        self.set_font(_FAMILY, "B", 10.5)
        self.multi_cell(
            right_w, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT
        )
        self.set_font(_FAMILY, "B", 11.5)
        motto = "Độc lập - Tự do - Hạnh phúc"
        self.multi_cell(right_w, 5.5, motto, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        self._rule(right_x + right_w / 2, self.get_string_width(motto))
        self.set_xy(right_x, self.get_y() + 2)
        place, date_text = _clip(self.dossier.place_name, 60), _long_date(dated)
        line = f"{place}, {date_text}" if place else date_text[:1].upper() + date_text[1:]
        self.set_font(_FAMILY, "I", 10.5)
        self.multi_cell(right_w, 5, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_y(max(left_bottom, self.get_y()) + 6)

    def _rule(self, centre_x: float, width: float) -> None:
        y = self.get_y() + 1.5
        self.set_line_width(0.3)
        self.line(centre_x - width / 2, y, centre_x + width / 2, y)
        self.set_y(y + 1.5)

    def title_block(self, title: str, *, note: str = "") -> None:
        """The form's title (a newline in it sets where a long title breaks) and the dossier code."""
        self.set_font(_FAMILY, "B", 13.5)
        self.multi_cell(0, 7, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(_FAMILY, "B", _BODY)
        self.multi_cell(
            0,
            _LINE,
            f"Mã hồ sơ: {_or_blank(self.dossier.code)}",
            align="C",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        if note:
            self.set_font(_FAMILY, "I", 10)
            self.multi_cell(0, 5, note, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    # body text

    def field(self, label: str, value: str, *more: tuple[str, str]) -> None:
        """ "Label: value" pairs on one line, wrapping like prose; an empty value prints a dotted blank."""
        self.set_x(self.l_margin)
        for index, (lab, val) in enumerate(((label, value), *more)):
            self.set_font(_FAMILY, "", _BODY)
            self.write(_LINE, ("    " if index else "") + lab + " ")
            self.set_font(_FAMILY, "B", _BODY)
            self.write(_LINE, _or_blank(val))
        self.ln(_LINE)

    def para(
        self, text: str, *, style: str = "", align: str = "J", indent: float = 0, gap: float = 0
    ) -> None:
        self.set_font(_FAMILY, style, _BODY)
        self.set_x(self.l_margin + indent)
        self.multi_cell(0, _LINE, _clean(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(gap)

    def applicant_fields(self) -> None:
        d = self.dossier
        self.para(f"{_clip(d.receiving_unit, 300) or 'Bộ phận Một cửa'}:")
        self.field("Tiếp nhận hồ sơ của:", d.applicant.name)
        self.field("Số định danh cá nhân/Mã số doanh nghiệp:", d.applicant.id_number)
        self.field("Địa chỉ:", d.applicant.address)
        self.field("Số điện thoại:", d.applicant.phone, ("Email:", d.applicant.email))
        self.field("Nội dung yêu cầu giải quyết:", _procedure(d))

    def signatures(self, blocks: Sequence[_Signature], *, space: float = 20, aside: str = "") -> None:
        """One or two signature blocks side by side (one sits on the right, `aside` beside it on the left)."""
        needed = 22 + space
        if self.get_y() + needed > self.page_break_trigger:
            self.add_page()
        self.ln(4)
        top = self.get_y()
        width = self.epw / 2
        lefts = [self.l_margin + width] if len(blocks) == 1 else [self.l_margin + i * width for i in range(2)]
        bottom = top
        if aside and len(blocks) == 1:
            self.set_xy(self.l_margin, top)
            self.set_font(_FAMILY, "I", 10)
            self.multi_cell(width, 5, aside, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            bottom = self.get_y()
        for x, block in zip(lefts, blocks, strict=False):
            self.set_xy(x, top)
            self.set_font(_FAMILY, "B", _BODY)
            self.multi_cell(width, _LINE, block.title, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.set_font(_FAMILY, "I", 10)
            self.multi_cell(width, 5, block.hint, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.set_xy(x, self.get_y() + space)
            self.set_font(_FAMILY, "B", _BODY)
            self.multi_cell(width, _LINE, _clip(block.name, 120), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
            bottom = max(bottom, self.get_y())
        self.set_xy(self.l_margin, bottom + 2)

    def to_bytes(self) -> bytes:
        return bytes(self.output())


def _procedure(dossier: DossierHeader) -> str:
    name, code = _clean(dossier.procedure_name), _clean(dossier.procedure_code)
    return f"{name} (mã thủ tục: {code})" if name and code else name or code


def _is_online(dossier: DossierHeader) -> bool:
    return dossier.channel == CHANNEL_ONLINE


# --- the forms -------------------------------------------------------------------------------------------------


def receipt_pdf(data: ReceiptData) -> bytes:
    """Mẫu số 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả, with a QR code of the dossier's tracking page."""
    d = data.dossier
    pdf = _Form(form_no="Mẫu số 01", title=RECEIPT_TITLE, dossier=d, dated=d.received_at)
    pdf.heading(upper=d.agency_name, unit=d.receiving_unit, dated=d.received_at)
    pdf.title_block(RECEIPT_TITLE)
    pdf.applicant_fields()
    pdf.para("1. Thành phần hồ sơ nộp gồm:")
    _documents_table(pdf, data.documents)
    sets = max(data.dossier_sets, 1)
    pdf.field("2. Số lượng hồ sơ:", f"{sets:02d} (bộ), gồm {len(data.documents)} giấy tờ")
    pdf.field("3. Thời gian giải quyết hồ sơ theo quy định:", data.time_limit_text)
    pdf.field("4. Thời gian nhận hồ sơ:", _long_datetime(d.received_at))
    pdf.field(
        "5. Thời gian trả kết quả giải quyết hồ sơ: hẹn trả kết quả vào lúc", _long_datetime(d.appointment_at)
    )
    pdf.field("6. Đăng ký nhận kết quả tại:", data.result_delivery)
    pdf.field("7. Hình thức nộp hồ sơ:", CHANNEL_LABELS.get(d.channel, ""))
    _tracking_block(pdf, data.tracking_url)
    online = _is_online(d)
    if online:
        pdf.para(
            "Ghi chú: Hồ sơ được nộp trực tuyến. Giấy tiếp nhận hồ sơ và hẹn trả kết quả này được cấp điện tử "
            "trên Cổng Dịch vụ công quốc gia; người nộp hồ sơ không phải ký.",
            style="I",
        )
    pdf.signatures(
        [
            _Signature(
                "NGƯỜI NỘP HỒ SƠ", "(Nộp trực tuyến)" if online else "(Ký và ghi rõ họ tên)", d.applicant.name
            ),
            _Signature("NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký và ghi rõ họ tên)", data.officer_name),
        ]
    )
    return pdf.to_bytes()


def _documents_table(pdf: _Form, documents: Sequence[DocumentLine]) -> None:
    pdf.set_font(_FAMILY, "", 10)
    with pdf.table(
        col_widths=(10, 115, 50),
        text_align=("CENTER", "LEFT", "CENTER"),
        line_height=5,
        padding=(0.8, 1.2),
        headings_style=FontFace(emphasis="BOLD"),
        num_heading_rows=1,
    ) as table:
        table.row(("TT", "Tên giấy tờ", "Số lượng, hình thức"))
        for number, line in enumerate(documents, start=1):
            table.row((str(number), _clip(line.name, 1000) or _BLANK, _quantity(line)))
        if not documents:
            table.row(("", "(Không có giấy tờ kèm theo)", ""))
    pdf.ln(2)


def _tracking_block(pdf: _Form, url: str) -> None:
    png, size = _qr_png(url), 30.0
    if png is None:
        return
    if pdf.get_y() + size + 4 > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y() + 3
    pdf.image(io.BytesIO(png), x=pdf.l_margin, y=top, w=size, h=size, alt_text="Mã QR tra cứu hồ sơ")
    text_x = pdf.l_margin + size + 4
    pdf.set_xy(text_x, top + 4)
    pdf.set_font(_FAMILY, "I", 10)
    pdf.multi_cell(
        pdf.epw - size - 4,
        5,
        "Quét mã QR hoặc truy cập địa chỉ dưới đây để tra cứu tình trạng giải quyết hồ sơ và đánh giá "
        "mức độ hài lòng:",
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
    )
    pdf.set_font(_FAMILY, "", 9.5)
    pdf.multi_cell(pdf.epw - size - 4, 5, _clip(url, 400), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(pdf.get_y(), top + size) + 2)


def supplement_request_pdf(data: SupplementRequestData) -> bytes:
    """Mẫu số 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ."""
    d = data.dossier
    pdf = _Form(form_no="Mẫu số 02", title=SUPPLEMENT_TITLE, dossier=d, dated=data.requested_at)
    pdf.heading(upper=d.agency_name, unit=d.receiving_unit, dated=data.requested_at)
    pdf.title_block(SUPPLEMENT_TITLE)
    pdf.applicant_fields()
    pdf.para("Yêu cầu ông/bà bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:")
    items = [_clean(item) for item in data.items if _clean(item)]
    for number, item in enumerate(items or [_BLANK], start=1):
        pdf.para(f"{number}. {item}", indent=5)
    pdf.field("Lý do:", data.reason)
    officer = " ".join(part for part in (_clean(data.officer_title), _clean(data.officer_name)) if part)
    phone = _clean(data.officer_phone)
    contact = f"{officer or 'công chức tiếp nhận hồ sơ'}{f', số điện thoại {phone}' if phone else ''}"
    pdf.para(
        "Trong quá trình bổ sung, hoàn thiện hồ sơ, nếu có vướng mắc, ông/bà liên hệ với "
        f"{contact} để được hướng dẫn./."
    )
    pdf.signatures([_Signature("NGƯỜI HƯỚNG DẪN", "(Ký và ghi rõ họ tên)", data.officer_name)])
    return pdf.to_bytes()


def refusal_pdf(data: RefusalData) -> bytes:
    """Mẫu số 03: Phiếu từ chối tiếp nhận giải quyết hồ sơ."""
    d = data.dossier
    pdf = _Form(form_no="Mẫu số 03", title=REFUSAL_TITLE, dossier=d, dated=data.refused_at)
    pdf.heading(upper=d.agency_name, unit=d.receiving_unit, dated=data.refused_at)
    pdf.title_block(REFUSAL_TITLE)
    pdf.applicant_fields()
    unit = _clip(d.receiving_unit, 300) or "Bộ phận Một cửa"
    pdf.para(f"Qua xem xét, {unit} thông báo không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:")
    pdf.para(_or_blank(data.reason), indent=5)
    pdf.para("Xin thông báo để ông/bà được biết và thực hiện./.")
    online = _is_online(d)
    pdf.signatures(
        [
            _Signature(
                "NGƯỜI NỘP HỒ SƠ", "(Nộp trực tuyến)" if online else "(Ký và ghi rõ họ tên)", d.applicant.name
            ),
            _Signature("NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký và ghi rõ họ tên)", data.officer_name),
        ]
    )
    return pdf.to_bytes()


def apology_pdf(data: ApologyData) -> bytes:
    """Mẫu số 04: the apology for a late result, with the reason and the new appointment date."""
    d = data.dossier
    agency = _clip(d.agency_name, 300) or _clip(d.receiving_unit, 300) or "Cơ quan giải quyết hồ sơ"
    pdf = _Form(form_no="Mẫu số 04", title=APOLOGY_TITLE, dossier=d, dated=data.issued_at)
    pdf.heading(upper="", unit=agency, dated=data.issued_at)
    pdf.title_block(APOLOGY_TITLE.replace(" THỜI GIAN", "\nTHỜI GIAN"))
    pdf.para(f"Kính gửi: {_or_blank(d.applicant.name)}", style="B", align="C")
    contacts = ", ".join(
        part
        for part in (_clean(d.applicant.address), _clean(d.applicant.phone), _clean(d.applicant.email))
        if part
    )
    if contacts:
        pdf.para(f"({contacts})", align="C")
    pdf.ln(2)
    received = _long_date(d.received_at)
    unit = _clip(d.receiving_unit, 300) or agency
    pdf.para(
        f"{received[:1].upper()}{received[1:]}, {unit} đã tiếp nhận hồ sơ của ông/bà đề nghị giải quyết thủ tục "
        f"hành chính: {_or_blank(_procedure(d))}; mã hồ sơ: {_or_blank(d.code)}; thời gian hẹn trả kết quả: "
        f"{_long_datetime(data.old_appointment_at)}.",
        gap=1.5,
    )
    pdf.para(
        f"Tuy nhiên, đến nay {agency} chưa trả được kết quả giải quyết hồ sơ của ông/bà đúng thời hạn ghi trên "
        "Giấy tiếp nhận hồ sơ và hẹn trả kết quả.",
        gap=1.5,
    )
    pdf.field("Lý do:", data.reason)
    pdf.ln(1.5)
    pdf.para(
        f"Sự chậm trễ này đã gây phiền hà cho ông/bà. {agency} trân trọng xin lỗi ông/bà và đề nghị gia hạn "
        f"thời gian giải quyết, hẹn trả kết quả vào lúc {_long_datetime(data.new_appointment_at)}.",
        gap=1.5,
    )
    pdf.para("Rất mong nhận được sự thông cảm của ông/bà./.")
    signer = _Signature(
        _clip(data.signer_title, 80).upper() or "THỦ TRƯỞNG CƠ QUAN", "(Ký, ghi rõ họ tên)", data.signer_name
    )
    pdf.signatures([signer], aside="Nơi nhận:\n- Như trên;\n- Lưu: VT.")
    return pdf.to_bytes()


def control_sheet_pdf(data: ControlSheetData) -> bytes:
    """Mẫu số 06: Phiếu kiểm soát quá trình giải quyết hồ sơ, one row per hand-off between units."""
    d = data.dossier
    dated = max((step.handed_at for step in data.steps), default=None, key=_local) or d.received_at
    pdf = _Form(form_no="Mẫu số 06", title=CONTROL_SHEET_TITLE, dossier=d, dated=dated)
    pdf.heading(upper=d.agency_name, unit=d.receiving_unit, dated=d.received_at)
    pdf.title_block(CONTROL_SHEET_TITLE, note="(Kèm theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả)")
    pdf.field("Chủ hồ sơ:", d.applicant.name)
    pdf.field("Nội dung yêu cầu giải quyết:", _procedure(d))
    pdf.field("Thời gian nhận hồ sơ:", _long_datetime(d.received_at))
    pdf.field("Thời gian hẹn trả kết quả:", _long_datetime(d.appointment_at))
    pdf.field("Cơ quan (bộ phận) giải quyết hồ sơ:", d.agency_name)
    pdf.ln(2)
    pdf.set_font(_FAMILY, "", 9)
    with pdf.table(
        col_widths=(45, 31, 31, 28, 40),
        text_align=("LEFT", "CENTER", "CENTER", "CENTER", "LEFT"),
        line_height=5,
        padding=1.2,
        headings_style=FontFace(emphasis="BOLD"),
        num_heading_rows=1,
    ) as table:
        head = table.row()
        head.cell("TÊN CƠ QUAN", align="CENTER")
        head.cell("THỜI GIAN GIAO, NHẬN HỒ SƠ", colspan=2)
        head.cell("KẾT QUẢ GIẢI QUYẾT HỒ SƠ (Trước hạn/ đúng hạn/ quá hạn)")
        head.cell("GHI CHÚ", align="CENTER")
        for step in data.steps:
            outcome = (
                step.outcome
                if step.outcome in OUTCOME_LABELS
                else step_outcome(step.finished_at, step.due_at)
            )
            times = [_short_datetime(step.handed_at)]
            if step.due_at is not None:
                times.append(f"Hạn xử lý: {_short_datetime(step.due_at, compact=True)}")
            if step.finished_at is not None:
                times.append(f"Hoàn thành: {_short_datetime(step.finished_at, compact=True)}")
            units = f"1. Giao: {_clip(step.from_unit, 300) or _BLANK}\n2. Nhận: {_clip(step.to_unit, 300) or _BLANK}"
            row = table.row()
            row.cell(units, rowspan=2)
            row.cell("\n".join(times), colspan=2)
            row.cell(OUTCOME_LABELS.get(outcome, ""), rowspan=2)
            row.cell(_clip(step.note, 300), rowspan=2)
            signs = table.row()
            signs.cell(f"Người giao\n\n\n{_clip(step.handed_by, 80)}")
            signs.cell(f"Người nhận\n\n\n{_clip(step.received_by, 80)}")
        if not data.steps:
            empty = table.row()
            empty.cell("(Chưa có bước giao, nhận hồ sơ)", colspan=5, align="CENTER")
    return pdf.to_bytes()
