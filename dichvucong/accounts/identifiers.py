"""Identifiers of people and organisations: parsing, validation, normalisation and masking.

Pure functions, no database: forms, API schemas, importers and the sandboxes all call them, so a number is
accepted or refused for the same reason everywhere. Problems are raised as `ValidationFailed` with one
`FieldError` per problem, messages in Vietnamese (marked for translation).

- Personal identification number (số định danh cá nhân, the number on the chip-based citizen identity card):
  12 digits = birth-registration province code (3) + century/sex digit (1) + last two digits of the birth year
  (2) + a random serial (6), per Decree 137/2015/NĐ-CP art. 13 and Circular 07/2016/TT-BCA art. 7. There is no
  check digit, so the best we can do is check the parts and their consistency with the date of birth and sex.
- Enterprise tax code (mã số thuế): 10 digits, the tenth a check digit over the first nine; branches add a
  3-digit suffix, written "0100112437-005".
- Vietnamese mobile numbers: 10 digits in the national form, prefixes 03, 05, 07, 08, 09.

Masking, for pages that show an identifier back to its owner (never in logs: see `dichvucong.core.logging`):
- a personal identification number keeps its first three digits (the province of birth registration, shared by
  millions) and its last three (enough for the owner to recognise it): "001******456". The middle six carry
  the sex, the birth year and most of the serial, so they are hidden;
- a phone number keeps the carrier prefix and the last three digits: "0912***678";
- an e-mail address keeps the first and last character of the mailbox name and the domain, with a fixed run of
  six stars so that the length of the name is not given away: "a******n@example.vn";
- a business tax code is public (it is printed on every invoice and published in the national business
  register), so there is no `mask_tax_code`: show it whole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dichvucong.core.errors import FieldError, ValidationFailed

# --- Personal identification number -------------------------------------------------------------------------

# Codes of the province or city where the birth was registered: the 63 provinces before the 2025 merger, as
# listed in Appendix 1 of Circular 07/2016/TT-BCA (the same as the GSO codes). Numbers already issued keep
# these codes for life, so the list does not follow later mergers. Names are as the Circular has them.
BIRTH_PROVINCES: dict[str, str] = {
    "001": "Hà Nội",
    "002": "Hà Giang",
    "004": "Cao Bằng",
    "006": "Bắc Kạn",
    "008": "Tuyên Quang",
    "010": "Lào Cai",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Yên Bái",
    "017": "Hòa Bình",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Giang",
    "025": "Phú Thọ",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "030": "Hải Dương",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "034": "Thái Bình",
    "035": "Hà Nam",
    "036": "Nam Định",
    "037": "Ninh Bình",
    "038": "Thanh Hóa",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "045": "Quảng Trị",
    "046": "Thừa Thiên Huế",
    "048": "Đà Nẵng",
    "049": "Quảng Nam",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "054": "Phú Yên",
    "056": "Khánh Hòa",
    "058": "Ninh Thuận",
    "060": "Bình Thuận",
    "062": "Kon Tum",
    "064": "Gia Lai",
    "066": "Đắk Lắk",
    "067": "Đắk Nông",
    "068": "Lâm Đồng",
    "070": "Bình Phước",
    "072": "Tây Ninh",
    "074": "Bình Dương",
    "075": "Đồng Nai",
    "077": "Bà Rịa – Vũng Tàu",
    "079": "Hồ Chí Minh",
    "080": "Long An",
    "082": "Tiền Giang",
    "083": "Bến Tre",
    "084": "Trà Vinh",
    "086": "Vĩnh Long",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "091": "Kiên Giang",
    "092": "Cần Thơ",
    "093": "Hậu Giang",
    "094": "Sóc Trăng",
    "095": "Bạc Liêu",
    "096": "Cà Mau",
}

SEXES = ("male", "female")

_CITIZEN_ID_RE = re.compile(r"[0-9]{12}")
_WHITESPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class CitizenId:
    """A parsed personal identification number. `number` stays out of `repr` so that it never lands in a
    log line or an error report by accident."""

    number: str = field(repr=False)
    birth_province_code: str
    birth_province_name: str
    sex: str  # "male" or "female"
    birth_year: int


def _failed(column: str, messages: list[str], summary: str) -> ValidationFailed:
    return ValidationFailed(
        errors=[FieldError(None, column, message) for message in messages], summary=summary
    )


def _extra_province_name(code: str) -> str | None:
    """Codes allowed by `CITIZEN_ID_EXTRA_PROVINCE_CODES`: a list of codes, or a mapping of code → name.
    Codes for births registered abroad exist (the Circular speaks of "mã quốc gia") but their values are
    unconfirmed, so operators add them when they meet real numbers."""
    extras = getattr(settings, "CITIZEN_ID_EXTRA_PROVINCE_CODES", [])
    if isinstance(extras, Mapping):
        names = {str(key).zfill(3): str(name) for key, name in extras.items()}
        return names.get(code)
    return "" if code in {str(item).zfill(3) for item in extras} else None


def birth_province_name(code: str) -> str | None:
    """The name for a birth-registration province code, "" for an extra code without a name, None if unknown."""
    return BIRTH_PROVINCES.get(code) or _extra_province_name(code)


def parse_citizen_id(value: str, *, today: date | None = None, field_name: str = "citizen_id") -> CitizenId:
    """Parse a personal identification number (spaces allowed) into its parts.

    Raises `ValidationFailed` if it is not 12 digits, if the birth-registration province code is unknown, or if
    the century/sex digit and year give a birth year after this year (`today`, for tests, defaults to today in
    Vietnam). `field_name` is the column reported in the `FieldError`s.
    """
    number = _WHITESPACE_RE.sub("", value)
    summary = str(_("Số định danh cá nhân không hợp lệ."))
    if not _CITIZEN_ID_RE.fullmatch(number):
        message = str(_("Số định danh cá nhân gồm 12 chữ số, ví dụ 001090123456."))
        raise _failed(field_name, [message], summary)

    problems: list[str] = []
    province_code = number[:3]
    province_name = birth_province_name(province_code)
    if province_name is None:
        problems.append(
            _("Mã tỉnh, thành phố nơi đăng ký khai sinh “%(code)s” (3 chữ số đầu) không tồn tại.")
            % {"code": province_code}
        )

    # Circular 07/2016/TT-BCA art. 7: the fourth digit gives the century of birth, even for male and odd for
    # female: 0/1 the 1900s, 2/3 the 2000s, 4/5 the 2100s, 6/7 the 2200s, 8/9 the 2300s. The Circular's table
    # runs from the 20th to the 24th century, so 8/9 is 2300-2399, not the 1800s that some summaries give
    # (checked against summaries and implementations of the Circular, not its gazette text). Either way no
    # living person has 8 or 9 there: with this reading such a number is refused as a birth year to come.
    digit = int(number[3])
    birth_year = 1900 + 100 * (digit // 2) + int(number[4:6])
    this_year = (today or timezone.localdate()).year
    if birth_year > this_year:
        problems.append(
            _("Năm sinh %(year)s ghi trong số định danh cá nhân (chữ số thứ 4 đến 6) là năm chưa tới.")
            % {"year": birth_year}
        )
    if problems:
        raise _failed(field_name, problems, summary)

    return CitizenId(
        number=number,
        birth_province_code=province_code,
        birth_province_name=province_name or "",
        sex=SEXES[digit % 2],
        birth_year=birth_year,
    )


def validate_citizen_id(
    value: str,
    *,
    date_of_birth: date | None = None,
    sex: str | None = None,
    today: date | None = None,
    field_name: str = "citizen_id",
) -> CitizenId:
    """Parse a personal identification number and, when given, check it against the person's date of birth
    (the year) and sex ("male" or "female"). Every mismatch found is reported, not only the first.

    There is no checksum, so a mistyped serial cannot be caught: only the parts that carry meaning are checked.
    """
    if sex is not None and sex not in SEXES:
        raise ValueError(f"sex must be one of {SEXES}, not {sex!r}")
    citizen_id = parse_citizen_id(value, today=today, field_name=field_name)

    problems: list[str] = []
    if date_of_birth is not None and date_of_birth.year != citizen_id.birth_year:
        problems.append(
            _("Số định danh cá nhân không khớp với năm sinh %(year)s.") % {"year": date_of_birth.year}
        )
    if sex is not None and sex != citizen_id.sex:
        sex_label = _("nam") if sex == "male" else _("nữ")
        problems.append(_("Số định danh cá nhân không khớp với giới tính %(sex)s.") % {"sex": sex_label})
    if problems:
        raise _failed(field_name, problems, str(_("Số định danh cá nhân không khớp với thông tin cá nhân.")))
    return citizen_id


# --- Enterprise tax code ------------------------------------------------------------------------------------

_TAX_CODE_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
# 10 digits, then an optional branch of 3 digits written with a dash, a space, both, or nothing.
_TAX_CODE_RE = re.compile(r"(?P<main>[0-9]{10})(?:\s?-?\s?(?P<branch>[0-9]{3}))?")


def tax_code_check_digit(first_nine: str) -> int | None:
    """The check digit for the first nine digits of a tax code, or None when no code with those nine digits
    can be issued (the formula gives 10).

    10 − (31·d1 + 29·d2 + 23·d3 + 19·d4 + 17·d5 + 13·d6 + 7·d7 + 5·d8 + 3·d9) mod 11. DOMAIN.md marks the
    algorithm unconfirmed; it holds for the published codes of Vinamilk, Viettel, FPT and Vietcombank and for
    the ~160 published codes in python-stdnum's test suite (see tests/accounts/test_identifiers.py).
    """
    if len(first_nine) != 9 or not first_nine.isascii() or not first_nine.isdigit():
        raise ValueError("a tax code check digit is computed over exactly nine digits")
    total = sum(weight * int(digit) for weight, digit in zip(_TAX_CODE_WEIGHTS, first_nine, strict=True))
    check = 10 - total % 11
    return None if check == 10 else check


def validate_tax_code(value: str, *, field_name: str = "tax_code") -> str:
    """Validate an enterprise tax code and return it normalised: "0100112437", or "0100112437-005" for a
    branch ("0100112437 005", "0100112437005" and "0100112437 - 005" are accepted too).

    The check digit is verified unless `settings.TAX_CODE_VERIFY_CHECK_DIGIT` is False, the switch kept while
    the algorithm is not confirmed by the tax authority.
    """
    summary = str(_("Mã số thuế không hợp lệ."))
    match = _TAX_CODE_RE.fullmatch(value.strip())
    if match is None:
        message = str(
            _("Mã số thuế gồm 10 chữ số, hoặc 13 chữ số với đơn vị phụ thuộc (ví dụ 0100112437-005).")
        )
        raise _failed(field_name, [message], summary)
    main, branch = match["main"], match["branch"]

    problems: list[str] = []
    # Stdnum and the registration rules agree: the serial (digits 3-9) starts at 0000001 and branches at 001.
    if main[2:9] == "0000000":
        problems.append(str(_("Mã số thuế có 7 chữ số thứ tự (chữ số thứ 3 đến 9) đều bằng 0.")))
    if branch == "000":
        problems.append(str(_("Số thứ tự đơn vị phụ thuộc (3 chữ số cuối) bắt đầu từ 001.")))
    if getattr(settings, "TAX_CODE_VERIFY_CHECK_DIGIT", True) and tax_code_check_digit(main[:9]) != int(
        main[9]
    ):
        problems.append(
            str(_("Mã số thuế có chữ số kiểm tra (chữ số thứ 10) không đúng. Vui lòng kiểm tra lại."))
        )
    if problems:
        raise _failed(field_name, problems, summary)
    return f"{main}-{branch}" if branch else main


# --- Mobile phone numbers -----------------------------------------------------------------------------------

# People write numbers grouped with spaces, dots, dashes or with the country code in brackets.
_PHONE_SEPARATORS_RE = re.compile(r"[\s.\-()]")
_MOBILE_RE = re.compile(r"0[35789][0-9]{8}")


def normalize_phone(value: str, *, field_name: str = "phone") -> str:
    """A Vietnamese mobile number in its national form "0912345678", from "0912 345 678", "0912.345.678",
    "+84912345678", "84912345678" (or "+84 0912…", which people also type)."""
    digits = _PHONE_SEPARATORS_RE.sub("", value)
    # A national number starts with 0, so "84" at the start of 11 digits can only be the country code.
    subscriber = None
    if digits.startswith("+84"):
        subscriber = digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        subscriber = digits[2:]
    if subscriber is not None:
        digits = subscriber if subscriber.startswith("0") else "0" + subscriber
    if not _MOBILE_RE.fullmatch(digits):
        message = str(
            _("Số điện thoại di động gồm 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09 (ví dụ 0912345678).")
        )
        raise _failed(field_name, [message], str(_("Số điện thoại di động không hợp lệ.")))
    return digits


def phone_e164(value: str, *, field_name: str = "phone") -> str:
    """A Vietnamese mobile number in the international E.164 form "+84912345678" (for SMS gateways)."""
    return "+84" + normalize_phone(value, field_name=field_name)[1:]


# --- Masking for pages --------------------------------------------------------------------------------------


def mask_citizen_id(value: str) -> str:
    """ "001090123456" → "001******456". Anything that is not 12 digits is masked whole: we cannot tell which
    part of it would be safe to show."""
    number = _WHITESPACE_RE.sub("", value)
    if not _CITIZEN_ID_RE.fullmatch(number):
        return "*" * len(number)
    return f"{number[:3]}******{number[-3:]}"


def mask_phone(value: str) -> str:
    """ "0912345678" (in any accepted form) → "0912***678"; anything that is not a mobile number is masked
    whole."""
    try:
        number = normalize_phone(value)
    except ValidationFailed:
        return "*" * len(value.strip())
    return f"{number[:4]}***{number[-3:]}"


def mask_email(value: str) -> str:
    """ "an.nguyen@example.vn" → "a******n@example.vn": the domain stays, the mailbox name keeps its first and
    last character around six stars (a name of one or two characters keeps only its first)."""
    local, at, domain = value.strip().rpartition("@")
    if not at or not local:
        return "******"
    tail = local[-1] if len(local) > 2 else ""
    return f"{local[0]}******{tail}@{domain}"
