"""The result document the sandbox issues when a dossier is finished (status 9): a one-page PDF that says
plainly it has no legal value. Set in DejaVu (the portal's vendored font, or the system's) so that Vietnamese
prints; without either, in a core font with the diacritics removed."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from . import workflow

# fpdf2 subsets fonts through fontTools, which reports each table at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)

ROOT = Path(__file__).resolve().parents[2]
FONTS = (
    ROOT / "dichvucong" / "dossiers" / "fonts" / "DejaVuSerif.ttf",
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)


def ascii_text(text: str) -> str:
    """Vietnamese without diacritics (đ → d), for a core font that has no Vietnamese glyphs."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).encode("ascii", "replace").decode()


def result_pdf(
    *,
    code: str,
    result_code: str,
    procedure: str,
    applicant: str,
    agency_name: str,
    unit: str,
    officer: str,
    at: datetime,
    fonts: tuple[Path, ...] = FONTS,
) -> bytes:
    """The PDF of a dossier's result. The same input gives the same bytes (the creation date is `at`)."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(at)
    pdf.set_title(f"Kết quả hồ sơ {code}")
    pdf.add_page()
    font = next((path for path in fonts if path.is_file()), None)
    text: Callable[[str], str] = str
    if font is not None:
        pdf.add_font("Doc", "", str(font))
        pdf.set_font("Doc", size=12)
    else:
        pdf.set_font("Helvetica", size=12)
        text = ascii_text

    def line(value: str, *, size: float = 12, height: float = 8, align: str = "L") -> None:
        pdf.set_font_size(size)
        pdf.multi_cell(0, height, text(value), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line(agency_name.upper(), size=11, align="C")
    line(unit, size=11, align="C")
    pdf.ln(6)
    line("KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH", size=15, align="C")
    line(f"Số: {result_code}", size=11, align="C")
    pdf.ln(4)
    line(f"Mã hồ sơ: {code}")
    line(f"Thủ tục: {procedure or '—'}")
    line(f"Người nộp: {applicant or '—'}")
    line(f"Ngày có kết quả: {at.astimezone(workflow.VN):%d/%m/%Y %H:%M}")
    line(f"Cán bộ xử lý: {officer}")
    pdf.ln(8)
    line(
        "Tài liệu do Hệ thống một cửa điện tử — sandbox tạo ra để thử nghiệm. KHÔNG CÓ GIÁ TRỊ PHÁP LÝ.",
        size=10,
    )
    return bytes(pdf.output())
