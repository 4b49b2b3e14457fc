"""Personal data in published texts: what is found, what is left, and the redacted proposal."""

from __future__ import annotations

import pytest

from dichvucong.core.errors import ValidationFailed
from dichvucong.feedback import redaction
from dichvucong.feedback.models import Feedback


def sender(**overrides: str) -> Feedback:
    values = {
        "code": "PAKN-261102-ABCDEF",
        "sender_name": "Nguyễn Văn An",
        "sender_address": "12 phố Đội Cấn, phường Ba Đình, Hà Nội",
        "sender_phone": "0912345678",
        "sender_email": "an.nguyen@example.vn",
        "sender_kind": "citizen",
        "organisation_name": "",
    }
    values.update(overrides)
    return Feedback(**values)


def kinds(text: str, feedback: Feedback | None = None) -> list[str]:
    return [f.kind for f in redaction.find(feedback or sender(), text)]


@pytest.mark.parametrize(
    "text",
    [
        "Ông Nguyễn Văn An phản ánh",
        "ông nguyen van an phản ánh",
        "ông NGUYEN  VAN AN phản ánh",
        "ông Nguyễn An phản ánh",
    ],
)
def test_the_senders_name_is_found_with_or_without_diacritics(text: str) -> None:
    assert kinds(text) == ["name"]


def test_a_single_word_of_the_name_is_not_personal_data() -> None:
    assert kinds("Bảo đảm an toàn; Văn phòng một cửa") == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("gọi 0912 345 678 2 lần", "phone"),
        ("gọi 0912.345.678", "phone"),
        ("gọi +84 912 345 678", "phone"),
        ("gọi (+84) 987-654-321", "phone"),
        ("máy bàn (024) 3825 1234", "phone"),
        ("thư gửi binh.tran+pakn@mail.example.vn", "email"),
        ("số định danh 001093054321", "citizen_id"),
        ("số định danh 001 093 054 321", "citizen_id"),
        ("CMND 012345678", "old_id"),
        ("hồ sơ 000.17.22.H56-261102-0001 bị chậm", "dossier"),
    ],
)
def test_patterns_are_found_anywhere(text: str, kind: str) -> None:
    assert kinds(text) == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "Công ty có mã số thuế 0301234567 đã nộp hồ sơ",
        "MST: 0312345678",
        "Chi nhánh 0301234567-001",
        "Mức phạt 150.000.000 đồng",
        "Mã phản ánh PAKN-261102-7K3QX9",
        "Năm 2026 có 1.234 hồ sơ",
    ],
)
def test_tax_codes_amounts_and_feedback_codes_are_left(text: str) -> None:
    assert kinds(text) == []


def test_address_whole_or_its_house_number_part_is_found_but_not_the_commune() -> None:
    assert kinds("tại 12 pho Doi Can, phuong Ba Dinh, Ha Noi") == ["address"]
    assert kinds("nhà số 12 phố Đội Cấn") == ["address"]
    assert kinds("bộ phận một cửa phường Ba Đình") == []


def test_organisation_name_is_found() -> None:
    feedback = sender(sender_kind="organisation", organisation_name="Công ty TNHH Hoa Sen Việt")
    assert kinds("Công ty TNHH Hoa Sen Viet kiến nghị", feedback) == ["organisation"]


def test_the_senders_dossier_code_is_found() -> None:
    from dichvucong.dossiers.models import Dossier

    feedback = sender()
    feedback.dossier = Dossier(pk=1, code="H26.1-261102-0042")
    assert kinds("hồ sơ h26.1-261102-0042", feedback) == ["dossier"]


def test_check_gives_one_error_per_item_and_text() -> None:
    errors = redaction.check(
        sender(),
        public_title="Nguyễn Văn An, 0912345678",
        public_content="Gọi 0912 345 678 hoặc 0912345678; thư an.nguyen@example.vn",
        public_answer="Đã giải quyết.",
    )
    assert [(e.column, e.message) for e in errors] == [
        ("public_title", "Còn họ tên người gửi “Nguyễn Văn An”."),
        ("public_title", "Còn số điện thoại 0912…."),
        ("public_content", "Còn số điện thoại 0912…."),
        ("public_content", "Còn địa chỉ thư điện tử a…@example.vn."),
    ]
    assert all(e.row is None for e in errors)


def test_ensure_clean_raises_with_every_item() -> None:
    with pytest.raises(ValidationFailed) as failed:
        redaction.ensure_clean(sender(), public_answer="CMND 012345678, số 001093054321")
    assert len(failed.value.errors) == 2
    redaction.ensure_clean(sender(), public_answer="Không còn thông tin cá nhân.")


def test_suggest_hides_every_item() -> None:
    text = "Ông Nguyễn Văn An (0912 345 678, an.nguyen@example.vn) ở 12 phố Đội Cấn, mã số thuế 0301234567."
    assert redaction.suggest(sender(), text) == (
        "Ông [đã ẩn] ([đã ẩn], [đã ẩn]) ở [đã ẩn], mã số thuế 0301234567."
    )
    assert redaction.check(sender(), text=redaction.suggest(sender(), text)) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0912 345 678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("84912345678", "0912345678"),
        ("(024) 3825.1234", "02438251234"),
        ("+84 24 3825 1234", "02438251234"),
        ("1900 1234", None),
        ("0123456789", None),
    ],
)
def test_national_phone(value: str, expected: str | None) -> None:
    assert redaction.national_phone(value) == expected
