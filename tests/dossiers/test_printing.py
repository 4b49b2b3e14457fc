"""The forms of a dossier printed from its rows (a portal dossier submitted through its e-form, a counter dossier
reported by an agency's system, their synced events and apologies), read back with pypdf."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pypdf
import pytest
from django.conf import settings as django_settings

from dichvucong.core.errors import NotFound
from dichvucong.dossiers import national, overdue, printing, sync
from dichvucong.dossiers.models import Dossier
from dichvucong.organisations.models import Agency
from tests.conftest import make_officer
from tests.dossiers.factories import (
    MONDAY_9AM,
    birth_procedure_with_eform,
    citizen_with_address,
    submitted_dossier,
)

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)
COMMUNE = "UBND-00004"  # Ủy ban nhân dân phường Ba Đình, where the e-form sends the birth registration


@pytest.fixture(autouse=True)
def _setup(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OUTBOX_DISPATCH = "none"


def text_of(document: bytes) -> str:
    assert document.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(document))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def ingest(dossier_code: str, *events: tuple[str, int, dt.datetime, dict[str, Any]]) -> None:
    agency = Agency.objects.get(code=COMMUNE)
    source = sync.SyncSource(agency_id=agency.pk, allowed_agency_ids=frozenset({agency.pk}))
    results = sync.ingest(
        source=source,
        events=[
            sync.EventIn(event_id=event_id, dossier_code=dossier_code, status=status, occurred_at=at, **extra)
            for event_id, status, at, extra in events
        ],
        now=max(at for _id, _status, at, _extra in events) + HOUR,
    )
    assert [r.outcome for r in results] == ["applied"] * len(events)


@pytest.fixture
def portal_dossier() -> Dossier:
    """A birth registration submitted online on Monday 2 November 2026 at 09:00, accepted 30 minutes later."""
    birth_procedure_with_eform()
    dossier = submitted_dossier(citizen_with_address())
    ingest(
        dossier.code,
        (
            "tn-1",
            2,
            MONDAY_9AM + dt.timedelta(minutes=30),
            {
                "actor_name": "Lê Thị Hoa",
                "actor_title": "Công chức tư pháp - hộ tịch",
                "unit": "Bộ phận Một cửa",
                "content": "Tiếp nhận hồ sơ",
                "step_due_at": MONDAY_9AM + 2 * HOUR,
            },
        ),
    )
    return Dossier.objects.get(pk=dossier.pk)


@pytest.fixture
def counter_dossier() -> Dossier:
    """A dossier received at the commune's counter, reported by its one-stop system with its paper documents."""
    record = national.record_from_national(
        {
            "MaHoSo": "000.00.04.H01-261102-0007",
            "DonViXuLy": COMMUNE,
            "MaTTHC": "1.000894",
            "TenTTHC": "Đăng ký kết hôn",
            "ChuHoSo": "Phạm Thị Mai",
            "MaDoiTuong": "001195012345",
            "SoDienThoai": "0987654321",
            "HinhThuc": 1,
            "TrangThaiHoSo": 2,
            "NgayTiepNhan": "20261102100000",
            "NgayHenTra": "20261103170000",
            "TaiLieuNop": [
                {"TenGiayTo": "Tờ khai đăng ký kết hôn", "SoBanChinh": 1, "SoBanSao": 0},
                {"TenGiayTo": "Giấy xác nhận tình trạng hôn nhân", "SoBanChinh": 1, "SoBanSao": 2},
            ],
        }
    )
    ingest(record.code, ("ct-1", 2, MONDAY_9AM + HOUR, {"dossier": record, "actor_name": "Trần Văn Nam"}))
    return Dossier.objects.get(code=record.code)


def test_the_receipt_of_a_portal_dossier_lists_its_submitted_files_and_its_tracking_address(
    portal_dossier: Dossier,
) -> None:
    data = printing.receipt_data(portal_dossier)
    assert data.tracking_url.startswith(django_settings.PORTAL_BASE_URL.rstrip("/") + "/")
    assert data.tracking_url.endswith(f"/{portal_dossier.code}/")
    text = text_of(printing.receipt_pdf(portal_dossier))
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert f"Mã hồ sơ: {portal_dossier.code}" in text
    assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG BA ĐÌNH" in text
    assert "Phường Ba Đình, ngày 02 tháng 11 năm 2026" in text
    assert "Tiếp nhận hồ sơ của: Nguyễn Văn An" in text
    assert "Giấy chứng sinh" in text and "Bản điện tử" in text
    assert "01 ngày làm việc" in text
    assert "Thời gian nhận hồ sơ: 09 giờ 30 phút, ngày 02 tháng 11 năm 2026" in text
    assert "hẹn trả kết quả vào lúc 17 giờ 00 phút, ngày 02 tháng 11 năm 2026" in text
    assert "Lê Thị Hoa" in text  # the officer who accepted it
    assert "Trực tuyến" in text


def test_the_receipt_of_a_counter_dossier_lists_the_documents_its_agency_sent(
    counter_dossier: Dossier,
) -> None:
    data = printing.receipt_data(counter_dossier)
    assert [(d.name, d.originals, d.copies, d.electronic) for d in data.documents] == [
        ("Tờ khai đăng ký kết hôn", 1, 0, False),
        ("Giấy xác nhận tình trạng hôn nhân", 1, 2, False),
    ]
    text = text_of(printing.receipt_pdf(counter_dossier))
    assert "Giấy xác nhận tình trạng hôn nhân 01 bản chính, 02 bản sao" in text
    assert "gồm 2 giấy tờ" in text
    assert "Phạm Thị Mai" in text and "Trần Văn Nam" in text
    assert "hẹn trả kết quả vào lúc 17 giờ 00 phút, ngày 03 tháng 11 năm 2026" in text


def test_printing_reads_a_fixed_number_of_queries(
    portal_dossier: Dossier, django_assert_num_queries: Any
) -> None:
    loaded = (
        Dossier.objects.select_related("agency__province", "agency__administrative_unit")
        .prefetch_related("documents", "events")
        .get(pk=portal_dossier.pk)
    )
    with django_assert_num_queries(1):  # the officer who accepted it
        printing.receipt_pdf(loaded)
    with django_assert_num_queries(0):
        printing.control_sheet_pdf(loaded)
    bare = Dossier.objects.get(pk=portal_dossier.pk)
    with django_assert_num_queries(5):  # agency, its province and unit, documents, acceptance
        printing.receipt_pdf(bare)


def test_the_control_sheet_has_one_row_per_hand_off_with_its_outcome(portal_dossier: Dossier) -> None:
    ingest(
        portal_dossier.code,
        (
            "xl-1",
            4,
            MONDAY_9AM + HOUR,
            {
                "actor_name": "Ngô Văn Tư",
                "unit": "Công chức tư pháp - hộ tịch",
                "content": "Thẩm định hồ sơ",
                "step_due_at": MONDAY_9AM + 3 * HOUR,
            },
        ),
        ("kq-1", 9, MONDAY_9AM + 8 * HOUR, {"actor_name": "Đỗ Thị Lan", "unit": "Lãnh đạo UBND phường"}),
    )
    loaded = Dossier.objects.prefetch_related("events").get(pk=portal_dossier.pk)
    steps = printing.control_sheet_data(loaded).steps
    assert [(s.from_unit, s.to_unit) for s in steps] == [
        ("Cổng Dịch vụ công quốc gia", "Bộ phận Một cửa"),
        ("Bộ phận Một cửa", "Công chức tư pháp - hộ tịch"),
        ("Công chức tư pháp - hộ tịch", "Lãnh đạo UBND phường"),
    ]
    assert [s.finished_at for s in steps] == [MONDAY_9AM + HOUR, MONDAY_9AM + 8 * HOUR, None]
    # Accepted at 09:30, due 11:00, handed on at 10:00: on time (its day); the review was due at 12:00 and
    # ended at 17:00 the same day: late by the hour, as the statistics count it.
    assert [s.outcome for s in steps] == ["on_time", "late", ""]
    assert [(s.handed_by, s.received_by) for s in steps][1] == ("Lê Thị Hoa", "Ngô Văn Tư")
    text = text_of(printing.control_sheet_pdf(loaded))
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    assert "1. Giao: Bộ phận Một cửa 2. Nhận: Công chức tư pháp - hộ tịch" in text
    assert "Đúng hạn" in text and "Quá hạn" in text


def test_the_supplement_request_lists_the_latest_requests_items_and_reason(portal_dossier: Dossier) -> None:
    ingest(
        portal_dossier.code,
        ("bs-1", 5, MONDAY_9AM + HOUR, {"content": "Bản cũ, không in"}),
        ("bs-2", 4, MONDAY_9AM + 2 * HOUR, {}),
        (
            "bs-3",
            5,
            MONDAY_9AM + 3 * HOUR,
            {
                "actor_name": "Lê Thị Hoa",
                "actor_title": "Công chức tư pháp - hộ tịch",
                "content": "- Giấy chứng sinh bản rõ nét\n2. Văn bản ủy quyền có chữ ký\nLý do: ảnh chụp bị mờ",
            },
        ),
    )
    data = printing.supplement_request_data(portal_dossier)
    assert data.items == ("Giấy chứng sinh bản rõ nét", "Văn bản ủy quyền có chữ ký")
    assert data.reason == "ảnh chụp bị mờ"
    assert data.requested_at == MONDAY_9AM + 3 * HOUR
    text = text_of(printing.supplement_request_pdf(portal_dossier))
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "1. Giấy chứng sinh bản rõ nét" in text and "2. Văn bản ủy quyền có chữ ký" in text
    assert "Lý do: ảnh chụp bị mờ" in text
    assert "Bản cũ" not in text


def test_the_refusal_gives_the_reason_of_the_latest_refusal(counter_dossier: Dossier) -> None:
    ingest(
        counter_dossier.code,
        (
            "tc-1",
            3,
            MONDAY_9AM + 2 * HOUR,
            {"actor_name": "Trần Văn Nam", "content": "Hồ sơ không thuộc thẩm quyền giải quyết của phường."},
        ),
    )
    text = text_of(printing.refusal_pdf(counter_dossier))
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert "Hồ sơ không thuộc thẩm quyền giải quyết của phường." in text
    assert "Trần Văn Nam" in text


def test_a_form_the_dossier_has_no_event_for_is_not_found(portal_dossier: Dossier) -> None:
    with pytest.raises(NotFound, match="chưa có yêu cầu bổ sung"):
        printing.supplement_request_pdf(portal_dossier)
    with pytest.raises(NotFound, match="không bị từ chối"):
        printing.form_pdf(portal_dossier, "03")
    with pytest.raises(NotFound, match="chưa có văn bản xin lỗi"):
        printing.form_pdf(portal_dossier, "04")
    with pytest.raises(NotFound):
        printing.form_pdf(portal_dossier, "05")


def test_the_apology_states_the_reason_and_both_dates(portal_dossier: Dossier) -> None:
    head = make_officer(COMMUNE, username="lanhdao", roles=("head",), full_name="Vũ Minh Đức")
    apology = overdue.issue_apology(
        dossier=portal_dossier,
        reason="Cần xác minh thông tin người mẹ với Bệnh viện Phụ sản Hà Nội",
        new_due_at=dt.datetime(2026, 11, 4, 10, 0, tzinfo=dt.UTC),  # Wednesday 17:00 in Hà Nội
        actor=head,
        now=MONDAY_9AM + 9 * HOUR,
    )
    text = text_of(printing.apology_pdf(apology))
    assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN" in text
    assert "Kính gửi: Nguyễn Văn An" in text
    assert "Cần xác minh thông tin người mẹ với Bệnh viện Phụ sản Hà Nội" in text
    assert "17 giờ 00 phút, ngày 02 tháng 11 năm 2026" in text  # the appointment missed
    assert "hẹn trả kết quả vào lúc 17 giờ 00 phút, ngày 04 tháng 11 năm 2026" in text
    assert "LÃNH ĐẠO ĐƠN VỊ" in text and "Vũ Minh Đức" in text
    assert printing.form_pdf(portal_dossier, "04") == printing.apology_pdf(apology)
