from datetime import date
from typing import Any

import pytest

from dichvucong.accounts.identifiers import (
    BIRTH_PROVINCES,
    CitizenId,
    mask_citizen_id,
    mask_email,
    mask_phone,
    normalize_phone,
    parse_citizen_id,
    phone_e164,
    tax_code_check_digit,
    validate_citizen_id,
    validate_tax_code,
)
from dichvucong.core.errors import DomainError, ValidationFailed

TODAY = date(2026, 11, 23)


def messages(failure: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [error.message for error in failure.value.errors]


# --- Personal identification number ---------------------------------------------------------------------------


def test_parse_citizen_id_splits_the_number_into_its_parts() -> None:
    assert parse_citizen_id("001090123456", today=TODAY) == CitizenId(
        number="001090123456",
        birth_province_code="001",
        birth_province_name="Hà Nội",
        sex="male",
        birth_year=1990,
    )


def test_parse_citizen_id_ignores_spaces() -> None:
    assert parse_citizen_id(" 079 301 012 345 ", today=TODAY).number == "079301012345"


@pytest.mark.parametrize(
    ("digit", "sex", "century"),
    [("0", "male", 1900), ("1", "female", 1900), ("2", "male", 2000), ("3", "female", 2000)],
)
def test_century_and_sex_digit(digit: str, sex: str, century: int) -> None:
    citizen_id = parse_citizen_id(f"079{digit}05123456", today=TODAY)
    assert (citizen_id.sex, citizen_id.birth_year) == (sex, century + 5)


def test_province_table_holds_the_63_pre_2025_provinces() -> None:
    assert len(BIRTH_PROVINCES) == 63
    assert BIRTH_PROVINCES["079"] == "Hồ Chí Minh"
    assert BIRTH_PROVINCES["096"] == "Cà Mau"


@pytest.mark.parametrize("value", ["00109012345", "0010901234567", "00109012345a", "", "001-090-123-456"])
def test_citizen_id_that_is_not_12_digits_is_refused(value: str) -> None:
    with pytest.raises(ValidationFailed) as failure:
        parse_citizen_id(value, today=TODAY)
    assert len(failure.value.errors) == 1
    error = failure.value.errors[0]
    assert (error.row, error.column) == (None, "citizen_id")
    assert "Số định danh cá nhân gồm 12 chữ số" in error.message


def test_citizen_id_with_non_ascii_digits_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        parse_citizen_id("٠٠١٠٩٠١٢٣٤٥٦", today=TODAY)


def test_validation_failure_is_a_domain_error_with_a_summary() -> None:
    with pytest.raises(DomainError) as failure:
        parse_citizen_id("123", today=TODAY)
    assert failure.value.status == 422
    assert failure.value.message == "Số định danh cá nhân không hợp lệ."


def test_unknown_birth_province_code_is_refused() -> None:
    with pytest.raises(ValidationFailed) as failure:
        parse_citizen_id("003090123456", today=TODAY)
    assert messages(failure) == [
        "Mã tỉnh, thành phố nơi đăng ký khai sinh “003” (3 chữ số đầu) không tồn tại."
    ]


def test_extra_province_codes_from_settings_are_accepted(settings: Any) -> None:
    settings.CITIZEN_ID_EXTRA_PROVINCE_CODES = ["003"]
    citizen_id = parse_citizen_id("003090123456", today=TODAY)
    assert (citizen_id.birth_province_code, citizen_id.birth_province_name) == ("003", "")


def test_extra_province_codes_may_carry_names(settings: Any) -> None:
    settings.CITIZEN_ID_EXTRA_PROVINCE_CODES = {"999": "Đăng ký khai sinh ở nước ngoài"}
    assert (
        parse_citizen_id("999090123456", today=TODAY).birth_province_name == "Đăng ký khai sinh ở nước ngoài"
    )


def test_birth_this_year_is_accepted() -> None:
    assert parse_citizen_id("001226123456", today=TODAY).birth_year == 2026


@pytest.mark.parametrize(
    ("value", "year"),
    [("001227123456", 2027), ("001400123456", 2100), ("001799123456", 2299), ("001890123456", 2390)],
)
def test_birth_year_in_the_future_is_refused(value: str, year: int) -> None:
    with pytest.raises(ValidationFailed) as failure:
        parse_citizen_id(value, today=TODAY)
    assert messages(failure) == [
        f"Năm sinh {year} ghi trong số định danh cá nhân (chữ số thứ 4 đến 6) là năm chưa tới."
    ]


def test_every_problem_of_a_citizen_id_is_reported() -> None:
    with pytest.raises(ValidationFailed) as failure:
        parse_citizen_id("003990123456", today=TODAY)
    assert len(failure.value.errors) == 2


def test_the_column_can_be_named_by_the_caller() -> None:
    with pytest.raises(ValidationFailed) as failure:
        parse_citizen_id("1", field_name="owner_id")
    assert failure.value.errors[0].column == "owner_id"


def test_citizen_id_repr_does_not_show_the_number() -> None:
    assert "001090123456" not in repr(parse_citizen_id("001090123456", today=TODAY))


def test_validate_citizen_id_accepts_a_consistent_person() -> None:
    citizen_id = validate_citizen_id(
        "079301012345", date_of_birth=date(2001, 5, 17), sex="female", today=TODAY
    )
    assert citizen_id.birth_year == 2001


def test_validate_citizen_id_refuses_another_birth_year() -> None:
    with pytest.raises(ValidationFailed) as failure:
        validate_citizen_id("001090123456", date_of_birth=date(1991, 1, 1), today=TODAY)
    assert messages(failure) == ["Số định danh cá nhân không khớp với năm sinh 1991."]


def test_validate_citizen_id_refuses_another_sex() -> None:
    with pytest.raises(ValidationFailed) as failure:
        validate_citizen_id("001090123456", sex="female", today=TODAY)
    assert messages(failure) == ["Số định danh cá nhân không khớp với giới tính nữ."]


def test_validate_citizen_id_reports_both_mismatches() -> None:
    with pytest.raises(ValidationFailed) as failure:
        validate_citizen_id("001090123456", date_of_birth=date(1991, 1, 1), sex="female", today=TODAY)
    assert len(failure.value.errors) == 2


def test_validate_citizen_id_rejects_an_unknown_sex_value_as_a_programming_error() -> None:
    with pytest.raises(ValueError):
        validate_citizen_id("001090123456", sex="f")


def test_citizen_id_without_today_uses_the_current_date() -> None:
    assert parse_citizen_id("001090123456").birth_year == 1990


# --- Enterprise tax code --------------------------------------------------------------------------------------

# Published tax codes of well-known companies (annual reports, invoices, the national business register).
REAL_TAX_CODES = {
    "0300588569": "Công ty Cổ phần Sữa Việt Nam (Vinamilk)",
    "0100109106": "Tập đoàn Công nghiệp - Viễn thông Quân đội (Viettel)",
    "0101248141": "Công ty Cổ phần FPT",
    "0100112437": "Ngân hàng TMCP Ngoại thương Việt Nam (Vietcombank)",
}


@pytest.mark.parametrize("code", list(REAL_TAX_CODES))
def test_real_tax_codes_pass_the_check_digit(code: str) -> None:
    assert validate_tax_code(code) == code


def test_check_digit_formula() -> None:
    # Vinamilk: 31·0 + 29·3 + 23·0 + 19·0 + 17·5 + 13·8 + 7·8 + 5·5 + 3·6 = 375; 375 mod 11 = 1; 10 − 1 = 9.
    # The "11 − (sum mod 11)" variant seen on some web pages would give 10 and refuse Vinamilk.
    assert tax_code_check_digit("030058856") == 9


def test_check_digit_of_10_means_no_such_code() -> None:
    assert tax_code_check_digit("010000005") is None
    with pytest.raises(ValidationFailed):
        validate_tax_code("0100000050")


def test_check_digit_needs_nine_digits() -> None:
    with pytest.raises(ValueError):
        tax_code_check_digit("12345678")


@pytest.mark.parametrize(
    "value",
    ["0100112437-005", "0100112437 005", "0100112437005", "0100112437 - 005", " 0100112437-005 "],
)
def test_branch_tax_code_is_normalised(value: str) -> None:
    assert validate_tax_code(value) == "0100112437-005"


def test_tax_code_with_a_wrong_check_digit_is_refused() -> None:
    with pytest.raises(ValidationFailed) as failure:
        validate_tax_code("0300588568")
    assert messages(failure) == [
        "Mã số thuế có chữ số kiểm tra (chữ số thứ 10) không đúng. Vui lòng kiểm tra lại."
    ]
    assert failure.value.errors[0].column == "tax_code"


def test_check_digit_can_be_switched_off(settings: Any) -> None:
    with pytest.raises(ValidationFailed):
        validate_tax_code("0101234567-001")
    settings.TAX_CODE_VERIFY_CHECK_DIGIT = False
    assert validate_tax_code("0101234567 001") == "0101234567-001"


@pytest.mark.parametrize(
    "value", ["12345", "01001124371", "0100112437-05", "0100112437-0055", "0100112437/005", "01OO112437", ""]
)
def test_malformed_tax_code_is_refused(value: str) -> None:
    with pytest.raises(ValidationFailed) as failure:
        validate_tax_code(value)
    assert messages(failure) == [
        "Mã số thuế gồm 10 chữ số, hoặc 13 chữ số với đơn vị phụ thuộc (ví dụ 0100112437-005)."
    ]


def test_tax_code_with_a_zero_serial_is_refused() -> None:
    assert tax_code_check_digit("010000000") == 3  # the check digit alone would let it through
    with pytest.raises(ValidationFailed):
        validate_tax_code("0100000003")


def test_every_problem_of_a_tax_code_is_reported() -> None:
    with pytest.raises(ValidationFailed) as failure:
        validate_tax_code("0300588568-000")
    assert len(failure.value.errors) == 2


# --- Mobile phone numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "+84912345678",
        "84912345678",
        "+84 912 345 678",
        "(+84) 912 345 678",
        "+84 0912 345 678",
    ],
)
def test_phone_forms_are_normalised_to_the_national_form(value: str) -> None:
    assert normalize_phone(value) == "0912345678"


@pytest.mark.parametrize("prefix", ["03", "05", "07", "08", "09"])
def test_mobile_prefixes_are_accepted(prefix: str) -> None:
    assert normalize_phone(f"{prefix}12345678") == f"{prefix}12345678"


@pytest.mark.parametrize(
    "value",
    [
        "0243934313",
        "0112345678",
        "0412345678",
        "0612345678",
        "091234567",
        "09123456789",
        "912345678",
        "abc",
        "",
    ],
)
def test_non_mobile_numbers_are_refused(value: str) -> None:
    with pytest.raises(ValidationFailed) as failure:
        normalize_phone(value)
    assert messages(failure) == [
        "Số điện thoại di động gồm 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09 (ví dụ 0912345678)."
    ]
    assert failure.value.errors[0].column == "phone"


def test_phone_e164() -> None:
    assert phone_e164("0912 345 678") == "+84912345678"


# --- Masking ----------------------------------------------------------------------------------------------------


def test_mask_citizen_id_keeps_three_digits_at_each_end() -> None:
    assert mask_citizen_id("001090123456") == "001******456"
    assert mask_citizen_id("001 090 123 456") == "001******456"


def test_mask_citizen_id_masks_anything_else_whole() -> None:
    assert mask_citizen_id("123456789") == "*********"


def test_mask_phone_keeps_the_prefix_and_the_last_three_digits() -> None:
    assert mask_phone("0912345678") == "0912***678"
    assert mask_phone("+84 912 345 678") == "0912***678"
    assert mask_phone("12345") == "*****"


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("an.nguyen@example.vn", "a******n@example.vn"),
        ("bo@example.vn", "b******@example.vn"),
        ("x@example.vn", "x******@example.vn"),
        ("not-an-address", "******"),
    ],
)
def test_mask_email(value: str, masked: str) -> None:
    assert mask_email(value) == masked
