"""The PDF forms of a dossier, read back with pypdf: no database, plain data in, bytes out."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdf
import pytest
import segno
from PIL import Image

from dichvucong.dossiers import pdf
from dichvucong.dossiers.pdf import (
    ApologyData,
    ControlSheetData,
    ControlStep,
    DocumentLine,
    DossierHeader,
    Party,
    ReceiptData,
    RefusalData,
    SupplementRequestData,
)

TRACKING_URL = "https://dichvucong.gov.vn/p/home/dvc-tra-cuu-ho-so.html?ma=000.00.22.H26-260305-0001"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def page_texts(document: bytes) -> list[str]:
    """Each page's text with runs of whitespace (line breaks of wrapped text included) made one space."""
    reader = pypdf.PdfReader(io.BytesIO(document))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def text_of(document: bytes) -> str:
    return " ".join(page_texts(document))


def make_header(**changes: object) -> DossierHeader:
    header = DossierHeader(
        code="000.00.22.H26-260305-0001",
        procedure_code="1.001193",
        procedure_name="Đăng ký khai sinh",
        agency_name="Ủy ban nhân dân phường Ba Đình",
        receiving_unit="Trung tâm Phục vụ hành chính công phường Ba Đình",
        applicant=Party(
            name="Nguyễn Thị Ánh",
            id_number="001190012345",
            address="Số 12 phố Đội Cấn, phường Ba Đình, thành phố Hà Nội",
            phone="0912345678",
            email="anh.nguyen@example.vn",
        ),
        received_at=utc(2026, 3, 5, 1, 30),  # 08:30 in Hà Nội
        appointment_at=utc(2026, 3, 12, 3, 0),  # 10:00 in Hà Nội
        channel=pdf.CHANNEL_ONLINE,
        place_name="Hà Nội",
    )
    return replace(header, **changes)  # type: ignore[arg-type]


def make_receipt(**changes: object) -> ReceiptData:
    receipt = ReceiptData(
        dossier=make_header(),
        documents=(
            DocumentLine("Tờ khai đăng ký khai sinh", originals=1, copies=2, electronic=False),
            DocumentLine("Giấy chứng sinh"),
        ),
        time_limit_text="05 ngày làm việc",
        result_delivery="Trung tâm Phục vụ hành chính công phường Ba Đình",
        tracking_url=TRACKING_URL,
        officer_name="Trần Văn Bình",
    )
    return replace(receipt, **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def receipt() -> bytes:
    return pdf.receipt_pdf(make_receipt())


@pytest.fixture(scope="module")
def long_receipt() -> bytes:
    documents = tuple(DocumentLine(f"Giấy tờ kèm theo số {n}", copies=1) for n in range(1, 61))
    return pdf.receipt_pdf(make_receipt(documents=documents))


@pytest.fixture(scope="module")
def control_sheet() -> bytes:
    steps = (
        ControlStep("Bộ phận Một cửa", "Phòng Văn hóa - Xã hội", utc(2026, 3, 5, 2), utc(2026, 3, 6, 10),
                    utc(2026, 3, 5, 9), "", handed_by="Trần Văn Bình", received_by="Lê Thị Cúc"),
        ControlStep("Phòng Văn hóa - Xã hội", "Lãnh đạo Ủy ban", utc(2026, 3, 5, 9), utc(2026, 3, 9, 10),
                    utc(2026, 3, 9, 8), ""),
        ControlStep("Lãnh đạo Ủy ban", "Bộ phận Một cửa", utc(2026, 3, 9, 8), utc(2026, 3, 10, 10),
                    utc(2026, 3, 11, 3), "", note="Chờ ký số"),
    )  # fmt: skip
    return pdf.control_sheet_pdf(ControlSheetData(dossier=make_header(), steps=steps))


# --- Mẫu số 01 -------------------------------------------------------------------------------------------------


def test_receipt_round_trips_vietnamese_title_code_and_applicant(receipt: bytes) -> None:
    text = text_of(receipt)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "Mã hồ sơ: 000.00.22.H26-260305-0001" in text
    assert "Tiếp nhận hồ sơ của: Nguyễn Thị Ánh" in text
    assert "001190012345" in text
    assert "anh.nguyen@example.vn" in text
    assert "Đăng ký khai sinh (mã thủ tục: 1.001193)" in text
    assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG BA ĐÌNH" in text


def test_receipt_shows_times_in_ho_chi_minh(receipt: bytes) -> None:
    text = text_of(receipt)
    assert "Thời gian nhận hồ sơ: 08 giờ 30 phút, ngày 05 tháng 3 năm 2026" in text
    assert "hẹn trả kết quả vào lúc 10 giờ 00 phút, ngày 12 tháng 3 năm 2026" in text
    assert "03 giờ 00 phút" not in text
    assert "Hà Nội, ngày 05 tháng 3 năm 2026" in text


def test_appointment_after_midnight_local_takes_the_local_day() -> None:
    header = make_header(appointment_at=utc(2026, 1, 8, 19, 0))  # 02:00 on 9 January in Hà Nội
    text = text_of(pdf.receipt_pdf(make_receipt(dossier=header)))
    assert "02 giờ 00 phút, ngày 09 tháng 01 năm 2026" in text


def test_receipt_lists_documents_with_originals_copies_or_electronic(receipt: bytes) -> None:
    text = text_of(receipt)
    assert "Tờ khai đăng ký khai sinh 01 bản chính, 02 bản sao" in text
    assert "Giấy chứng sinh Bản điện tử" in text
    assert "gồm 2 giấy tờ" in text
    assert "05 ngày làm việc" in text


def test_receipt_embeds_the_tracking_url_as_a_qr_code(receipt: bytes) -> None:
    images = [image for page in pypdf.PdfReader(io.BytesIO(receipt)).pages for image in page.images]
    assert len(images) == 1
    expected = io.BytesIO()
    segno.make_qr(TRACKING_URL, error="m").save(expected, kind="png", scale=6, border=2)
    assert images[0].image is not None
    embedded = images[0].image.convert("L")
    wanted = Image.open(expected).convert("L")
    assert embedded.size == wanted.size
    assert embedded.tobytes() == wanted.tobytes()
    assert TRACKING_URL[:40] in text_of(receipt)


def test_receipt_without_tracking_url_has_no_qr_code() -> None:
    document = pdf.receipt_pdf(make_receipt(tracking_url=""))
    assert not any(page.images for page in pypdf.PdfReader(io.BytesIO(document)).pages)


def test_online_receipt_says_it_is_issued_electronically(receipt: bytes) -> None:
    text = text_of(receipt)
    assert "được cấp điện tử trên Cổng Dịch vụ công quốc gia" in text
    assert "NGƯỜI NỘP HỒ SƠ (Nộp trực tuyến)" in text
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in text
    assert "Hình thức nộp hồ sơ: Trực tuyến" in text


def test_in_person_receipt_asks_both_parties_to_sign() -> None:
    header = make_header(channel=pdf.CHANNEL_IN_PERSON)
    text = text_of(pdf.receipt_pdf(make_receipt(dossier=header)))
    assert "được cấp điện tử" not in text
    assert text.count("(Ký và ghi rõ họ tên)") == 2


def test_sixty_documents_flow_onto_a_second_page(long_receipt: bytes) -> None:
    pages = page_texts(long_receipt)
    assert len(pages) >= 2
    assert "Giấy tờ kèm theo số 1 " in pages[0]
    assert "Giấy tờ kèm theo số 60" not in pages[0]
    assert "Giấy tờ kèm theo số 60" in pages[1]
    assert "Tên giấy tờ" in pages[1]  # the table's heading repeats on the new page
    assert "Trang 2/" in pages[1]
    assert "gồm 60 giấy tờ" in " ".join(pages)


def test_long_procedure_name_wraps_instead_of_being_cut() -> None:
    name = " ".join(["Cấp giấy phép hoạt động dịch vụ chuyên ngành đặc thù"] * 8)
    text = text_of(pdf.receipt_pdf(make_receipt(dossier=make_header(procedure_name=name))))
    assert name in text


def test_same_input_gives_the_same_bytes(receipt: bytes) -> None:
    assert pdf.receipt_pdf(make_receipt()) == receipt
    later = make_receipt(dossier=make_header(appointment_at=utc(2026, 3, 13, 3, 0)))
    assert pdf.receipt_pdf(later) != receipt


def test_metadata_names_the_form_agency_and_receipt_time(receipt: bytes) -> None:
    metadata = pypdf.PdfReader(io.BytesIO(receipt)).metadata
    assert metadata is not None
    assert metadata.title == "Giấy tiếp nhận hồ sơ và hẹn trả kết quả – Mã hồ sơ 000.00.22.H26-260305-0001"
    assert metadata.author == "Ủy ban nhân dân phường Ba Đình"
    assert metadata.creation_date == utc(2026, 3, 5, 1, 30)


# --- the other forms -------------------------------------------------------------------------------------------


def test_supplement_request_lists_what_to_add_the_reason_and_the_officer() -> None:
    data = SupplementRequestData(
        dossier=make_header(),
        requested_at=utc(2026, 3, 6, 2),
        items=("Bản sao Giấy chứng sinh có chứng thực", "Khai lại ngày sinh của trẻ"),
        reason="Hồ sơ chưa đầy đủ theo quy định",
        officer_name="Trần Văn Bình",
        officer_title="công chức",
        officer_phone="024 3823 4567",
    )
    text = text_of(pdf.supplement_request_pdf(data))
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "1. Bản sao Giấy chứng sinh có chứng thực" in text
    assert "2. Khai lại ngày sinh của trẻ" in text
    assert "Lý do: Hồ sơ chưa đầy đủ theo quy định" in text
    assert "công chức Trần Văn Bình, số điện thoại 024 3823 4567" in text
    assert "NGƯỜI HƯỚNG DẪN" in text
    assert "ngày 06 tháng 3 năm 2026" in text


def test_refusal_states_the_reason() -> None:
    data = RefusalData(
        dossier=make_header(),
        refused_at=utc(2026, 3, 6, 2),
        reason="Thủ tục không thuộc thẩm quyền giải quyết của phường.",
        officer_name="Trần Văn Bình",
    )
    text = text_of(pdf.refusal_pdf(data))
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert "thông báo không tiếp nhận, giải quyết hồ sơ này" in text
    assert "Thủ tục không thuộc thẩm quyền giải quyết của phường." in text
    assert "Nguyễn Thị Ánh" in text


def test_apology_gives_the_reason_and_the_old_and_new_dates() -> None:
    data = ApologyData(
        dossier=make_header(),
        issued_at=utc(2026, 3, 12, 8),
        reason="Cần xác minh thông tin cư trú.",
        old_appointment_at=utc(2026, 3, 12, 3),
        new_appointment_at=utc(2026, 3, 17, 8, 15),
        signer_name="Phạm Quốc Dũng",
        signer_title="Chủ tịch",
    )
    text = text_of(pdf.apology_pdf(data))
    assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in text
    assert "Kính gửi: Nguyễn Thị Ánh" in text
    assert "thời gian hẹn trả kết quả: 10 giờ 00 phút, ngày 12 tháng 3 năm 2026" in text
    assert "Lý do: Cần xác minh thông tin cư trú." in text
    assert "xin lỗi ông/bà" in text
    assert "hẹn trả kết quả vào lúc 15 giờ 15 phút, ngày 17 tháng 3 năm 2026" in text
    assert "CHỦ TỊCH" in text
    assert "Phạm Quốc Dũng" in text


def test_control_sheet_labels_each_hand_off_by_its_outcome(control_sheet: bytes) -> None:
    text = text_of(control_sheet)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    assert "1. Giao: Bộ phận Một cửa 2. Nhận: Phòng Văn hóa - Xã hội" in text
    assert "09 giờ 00 phút, ngày 05/03/2026" in text  # handed at 02:00 UTC
    rows = text.split("GHI CHÚ", 1)[1]  # past the heading, which lists the three outcomes itself
    assert rows.index("Trước hạn") < rows.index("Đúng hạn") < rows.index("Quá hạn")
    assert "Chờ ký số" in text
    assert "Người giao" in text
    assert "Lê Thị Cúc" in text


def test_control_sheet_keeps_an_explicit_outcome() -> None:
    step = ControlStep("A", "B", utc(2026, 3, 5), utc(2026, 3, 6), utc(2026, 3, 5), "late")
    rows = text_of(pdf.control_sheet_pdf(ControlSheetData(dossier=make_header(), steps=(step,)))).split(
        "GHI CHÚ"
    )[1]
    assert "Quá hạn" in rows
    assert "Trước hạn" not in rows


@pytest.mark.parametrize(
    ("render", "title", "form_no"),
    [
        (lambda: pdf.receipt_pdf(make_receipt()), "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "Mẫu số 01"),
        (
            lambda: pdf.supplement_request_pdf(
                SupplementRequestData(make_header(), utc(2026, 3, 6), (), "", "", "")
            ),
            "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
            "Mẫu số 02",
        ),
        (
            lambda: pdf.refusal_pdf(RefusalData(make_header(), utc(2026, 3, 6), "", "")),
            "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
            "Mẫu số 03",
        ),
        (
            lambda: pdf.apology_pdf(ApologyData(make_header(), utc(2026, 3, 6), "", None, None, "", "")),
            "VĂN BẢN XIN LỖI",
            "Mẫu số 04",
        ),
        (
            lambda: pdf.control_sheet_pdf(ControlSheetData(make_header(), ())),
            "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
            "Mẫu số 06",
        ),
    ],
)
def test_each_form_renders_its_title_and_number_even_with_empty_content(
    render: Callable[[], bytes], title: str, form_no: str
) -> None:
    document = render()
    text = text_of(document)
    assert title in text
    assert f"{form_no} – Thông tư số 03/2025/TT-VPCP" in text


def test_unusual_input_never_breaks_a_form() -> None:
    odd = "x" * 1200 + "\x00\x07 😀 中文 **bold**\n" + "dòng\n" * 30
    naive = datetime(2026, 3, 5, 1, 30)  # taken as UTC
    header = DossierHeader(odd, odd, odd, odd, odd, Party(odd, odd, odd, odd, odd), None, naive, 99, odd)
    forms = [
        pdf.receipt_pdf(
            ReceiptData(
                header, (DocumentLine(odd, originals=-3),) * 3, odd, odd, "https://x.vn/" + "y" * 4000, odd, 0
            )
        ),
        pdf.receipt_pdf(ReceiptData(header, (), "", "", "", "")),
        pdf.supplement_request_pdf(SupplementRequestData(header, naive, (odd, ""), odd, odd, odd, odd)),
        pdf.refusal_pdf(RefusalData(header, naive, odd, odd)),
        pdf.apology_pdf(ApologyData(header, naive, odd, None, naive, odd, odd)),
        pdf.control_sheet_pdf(
            ControlSheetData(header, (ControlStep(odd, odd, naive, None, naive, "bogus", odd, odd, odd),) * 4)
        ),
    ]
    for document in forms:
        assert document.startswith(b"%PDF-")
        assert page_texts(document)
    blank_receipt = text_of(forms[1])
    assert "Thời gian nhận hồ sơ: …… giờ …… phút, ngày …… tháng …… năm ……" in blank_receipt
    assert "vào lúc 08 giờ 30 phút, ngày 05 tháng 3 năm 2026" in blank_receipt  # naive taken as UTC


# --- step outcome ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("finished_at", "due_at", "outcome"),
    [
        (utc(2026, 3, 5, 9), utc(2026, 3, 6, 10), "early"),
        (
            utc(2026, 3, 6, 9),
            utc(2026, 3, 6, 1),
            "on_time",
        ),  # later in the day than the due time: still that day
        (utc(2026, 3, 7, 1), utc(2026, 3, 6, 10), "late"),
        # 23:30 on the 5th and 01:00 on the 6th in Hà Nội: the same UTC day, different local days
        (utc(2026, 3, 5, 16, 30), utc(2026, 3, 5, 18, 0), "early"),
        # 00:30 and 10:00 on the 6th in Hà Nội: different UTC days, the same local day
        (utc(2026, 3, 5, 17, 30), utc(2026, 3, 6, 3, 0), "on_time"),
        (None, utc(2026, 3, 6), ""),
        (utc(2026, 3, 6), None, ""),
    ],
)
def test_step_outcome_compares_local_days(
    finished_at: datetime | None, due_at: datetime | None, outcome: str
) -> None:
    assert pdf.step_outcome(finished_at, due_at) == outcome


def test_step_outcome_on_a_day_boundary_differs_from_utc() -> None:
    due = utc(2026, 3, 5, 18, 0)  # 01:00 on the 6th in Hà Nội
    assert pdf.step_outcome(due - timedelta(hours=1, minutes=30), due) == "early"
    assert pdf.step_outcome(due + timedelta(hours=20), due) == "on_time"


def test_fonts_are_vendored_with_their_licence() -> None:
    package = Path(pdf.__file__).parent
    assert package / "fonts" == pdf._FONT_DIR
    for file in (*pdf._FONT_FILES.values(), "LICENSE"):
        assert (pdf._FONT_DIR / file).is_file()
    assert "Bitstream Vera" in (pdf._FONT_DIR / "LICENSE").read_text()
