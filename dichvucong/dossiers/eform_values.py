"""The values of e-form fields: cleaning what a citizen types (or what a draft saved) into JSON values, with a
message in Vietnamese for anything refused, and showing a saved value again (in its input, or as text). The
shape of a definition, and the validation of whole steps, are in `eforms`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from dichvucong.accounts import identifiers
from dichvucong.core.errors import NotFound, ValidationFailed

STREET_MODES = ("required", "optional", "none")
TEXT_MAX = 200
TEXTAREA_MAX = 2000
MONEY_WORDS_RE = re.compile(r"(đồng|dong|vnđ|vnd|đ|d)$", re.IGNORECASE)
GROUPED_RE = re.compile(r"[0-9]{1,3}(?:([.,])[0-9]{3})(?:\1[0-9]{3})*")
DATE_RE = re.compile(r"([0-9]{1,2})[/.\-\s]+([0-9]{1,2})[/.\-\s]+([0-9]{4})")
TRUE_VALUES = frozenset({"on", "1", "true", "yes", "co"})


# --- reading a field ------------------------------------------------------------------------------------------


def english() -> bool:
    return (get_language() or "vi").startswith("en")


def text_of(item: Mapping[str, Any], key: str) -> str:
    """`item[key]`, or its English text (`key_en`) when the page is in English and one is given."""
    if english() and item.get(f"{key}_en"):
        return str(item[f"{key}_en"])
    return str(item.get(key) or "")


def choices(field: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The choices of a select as (value, label): given as strings (value = label), pairs, or objects."""
    result: list[tuple[str, str]] = []
    for choice in field.get("choices") or []:
        if isinstance(choice, str):
            result.append((choice, choice))
        elif isinstance(choice, list | tuple) and len(choice) == 2:
            result.append((str(choice[0]), str(choice[1])))
        elif isinstance(choice, Mapping):
            label = text_of(choice, "label") or str(choice.get("value", ""))
            result.append((str(choice.get("value", "")), label))
    return result


def street_mode(field: Mapping[str, Any]) -> str:
    mode = field.get("street", "optional")
    return mode if mode in STREET_MODES else "optional"


def has_commune(field: Mapping[str, Any]) -> bool:
    return field.get("commune", True) is not False


# --- cleaning values ------------------------------------------------------------------------------------------


class Invalid(Exception):
    """A value that cannot be accepted; the message is for the citizen."""


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def iso_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def parse_date(text: str) -> dt.date | None:
    """dd/mm/yyyy (also with -, . or spaces, and ddmmyyyy), or the ISO form stored in drafts."""
    text = text.strip()
    iso = iso_date(text) if len(text) == 10 and text[4] == "-" else None
    if iso is not None:
        return iso
    if text.isdigit() and len(text) == 8:
        text = f"{text[:2]}/{text[2:4]}/{text[4:]}"
    match = DATE_RE.fullmatch(text)
    if not match:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_money(text: str) -> int | None:
    """An amount in đồng: "1.500.000", "1,500,000", "1500000 đ", "1.500.000 đồng"; None if it is not one."""
    cleaned = MONEY_WORDS_RE.sub("", text.strip().replace(" ", "")).strip()
    if cleaned.isdigit():
        return int(cleaned)
    if GROUPED_RE.fullmatch(cleaned):
        return int(re.sub(r"[.,]", "", cleaned))
    return None


def format_money(amount: int) -> str:
    return f"{amount:,}".replace(",", "," if english() else ".")


def _bound_date(value: Any, today: dt.date) -> dt.date | None:
    if value == "today":
        return today
    return iso_date(value)


def _identifier_message(exc: ValidationFailed) -> str:
    return " ".join(str(error.message) for error in exc.errors) or str(exc.message)


def _clean_text(field: Mapping[str, Any], value: Any, label: str) -> str:
    text = str(value).strip()
    if field["type"] == "text":
        text = " ".join(text.split())
    limit = int(field.get("max_length") or (TEXTAREA_MAX if field["type"] == "textarea" else TEXT_MAX))
    if len(text) > limit:
        raise Invalid(_("%(label)s dài quá %(n)d ký tự.") % {"label": label, "n": limit})
    return text


def _clean_date(field: Mapping[str, Any], value: Any, label: str, today: dt.date) -> str:
    date = parse_date(str(value))
    if date is None:
        raise Invalid(
            _("Vui lòng nhập %(label)s theo dạng ngày/tháng/năm, ví dụ 15/03/2026.")
            % {"label": _lower_first(label)}
        )
    earliest, latest = _bound_date(field.get("min"), today), _bound_date(field.get("max"), today)
    if latest is not None and date > latest:
        if field.get("max") == "today":
            raise Invalid(_("%(label)s không được sau ngày hôm nay.") % {"label": label})
        raise Invalid(
            _("%(label)s không được sau ngày %(date)s.") % {"label": label, "date": f"{latest:%d/%m/%Y}"}
        )
    if earliest is not None and date < earliest:
        if field.get("min") == "today":
            raise Invalid(_("%(label)s không được trước ngày hôm nay.") % {"label": label})
        raise Invalid(
            _("%(label)s không được trước ngày %(date)s.") % {"label": label, "date": f"{earliest:%d/%m/%Y}"}
        )
    if date.year < 1900:
        raise Invalid(_("%(label)s: năm phải từ 1900 trở về sau.") % {"label": label})
    return date.isoformat()


def _clean_integer(field: Mapping[str, Any], value: Any, label: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number: int | None = value
    elif field["type"] == "money":
        number = parse_money(str(value))
    else:
        text = str(value).strip().replace(" ", "")
        number = int(text) if re.fullmatch(r"-?[0-9]+", text) else None
    if number is None:
        if field["type"] == "money":
            raise Invalid(
                _("%(label)s: nhập số tiền bằng chữ số, đơn vị đồng, ví dụ 1.500.000.") % {"label": label}
            )
        raise Invalid(_("%(label)s: vui lòng nhập một số nguyên, ví dụ 2.") % {"label": label})
    low, high = field.get("min"), field.get("max")
    if low is not None and number < low:
        raise Invalid(_("%(label)s không được nhỏ hơn %(n)s.") % {"label": label, "n": format_money(low)})
    if high is not None and number > high:
        raise Invalid(_("%(label)s không được lớn hơn %(n)s.") % {"label": label, "n": format_money(high)})
    return number


def _clean_id_number(field: Mapping[str, Any], value: Any, today: dt.date, context: Mapping[str, Any]) -> str:
    birth = iso_date(context.get(field.get("date_of_birth_field", ""), ""))
    sex = context.get(field.get("sex_field", ""))
    try:
        citizen = identifiers.validate_citizen_id(
            str(value),
            date_of_birth=birth,
            sex=sex if sex in identifiers.SEXES else None,
            today=today,
            field_name=field["name"],
        )
    except ValidationFailed as exc:
        raise Invalid(_identifier_message(exc)) from exc
    return citizen.number


def _clean_select(field: Mapping[str, Any], value: Any, label: str) -> str:
    text = str(value).strip()
    if text not in {choice for choice, _label in choices(field)}:
        raise Invalid(_("Vui lòng chọn %(label)s trong danh sách.") % {"label": _lower_first(label)})
    return text


def _clean_address(
    field: Mapping[str, Any], value: Any, label: str, *, required: bool, partial: bool
) -> dict[str, str] | None:
    """An address of the current units. Half-way (`partial`), a province without its commune is kept, so that
    the commune list can be shown for it without JavaScript."""
    from dichvucong.organisations import selectors as organisations

    parts = value if isinstance(value, Mapping) else {}
    province = str(parts.get("province") or "").strip()
    commune = str(parts.get("commune") or "").strip() if has_commune(field) else ""
    street = " ".join(str(parts.get("street") or "").split()) if street_mode(field) != "none" else ""
    if not (province or commune or street):
        if required:
            raise Invalid(_("Vui lòng chọn tỉnh, thành phố của %(label)s.") % {"label": _lower_first(label)})
        return None
    if not province:
        if partial and len(street) <= TEXT_MAX:
            return {"street": street} if street else None
        raise Invalid(_("Vui lòng chọn tỉnh, thành phố của %(label)s.") % {"label": _lower_first(label)})
    try:
        province_unit = organisations.unit_get(province)
    except NotFound as exc:
        raise Invalid(_("Tỉnh, thành phố đã chọn không có trong danh mục.")) from exc
    if province_unit.parent_id is not None:
        raise Invalid(_("Tỉnh, thành phố đã chọn không có trong danh mục."))
    cleaned = {"province": province, "province_name": province_unit.name}
    if has_commune(field):
        if not commune:
            if partial:
                return cleaned | ({"street": street} if street else {})
            raise Invalid(_("Vui lòng chọn xã, phường của %(label)s.") % {"label": _lower_first(label)})
        try:
            commune_unit = organisations.unit_get(commune)
        except NotFound as exc:
            raise Invalid(_("Xã, phường đã chọn không có trong danh mục.")) from exc
        if commune_unit.parent_id != province_unit.pk:
            raise Invalid(
                _("Xã, phường đã chọn không thuộc %(province)s.") % {"province": province_unit.name}
            )
        cleaned.update(commune=commune, commune_name=commune_unit.name)
    if street_mode(field) != "none":
        if not street and street_mode(field) == "required" and not partial:
            raise Invalid(
                _("Vui lòng nhập số nhà, đường, thôn, tổ của %(label)s.") % {"label": _lower_first(label)}
            )
        if len(street) > TEXT_MAX:
            raise Invalid(_("%(label)s dài quá %(n)d ký tự.") % {"label": label, "n": TEXT_MAX})
        cleaned["street"] = street
    return cleaned


def is_empty(field: Mapping[str, Any], value: Any) -> bool:
    if value is None:
        return True
    if field["type"] == "checkbox":
        return not truthy(value)
    if field["type"] == "address":
        return not isinstance(value, Mapping) or not any(
            str(value.get(part) or "").strip() for part in ("province", "commune", "street")
        )
    return str(value).strip() == ""


def truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_VALUES


def clean_field(
    field: Mapping[str, Any],
    value: Any,
    *,
    today: dt.date | None = None,
    context: Mapping[str, Any] | None = None,
    partial: bool = False,
) -> Any:
    """The cleaned value of one field, or raises `Invalid` with a message for the citizen. An empty value is
    None (False for a checkbox); a required one is refused unless `partial` (a draft saved half-filled)."""
    today = today or timezone.localdate()
    # A declaration's label is a sentence: messages may name it by a shorter one.
    label = text_of(field, "short_label") or text_of(field, "label")
    kind = field["type"]
    required = bool(field.get("required")) and not partial
    if kind == "address":
        return _clean_address(field, value, label, required=required, partial=partial)
    if is_empty(field, value):
        if required:
            if kind == "checkbox":
                raise Invalid(_("Vui lòng đánh dấu vào ô %(label)s.") % {"label": _lower_first(label)})
            if kind == "select":
                raise Invalid(_("Vui lòng chọn %(label)s.") % {"label": _lower_first(label)})
            raise Invalid(_("Vui lòng nhập %(label)s.") % {"label": _lower_first(label)})
        return False if kind == "checkbox" else None
    if kind in ("text", "textarea"):
        return _clean_text(field, value, label)
    if kind == "date":
        return _clean_date(field, value, label, today)
    if kind in ("money", "number"):
        return _clean_integer(field, value, label)
    if kind == "id_number":
        return _clean_id_number(field, value, today, context or {})
    if kind == "select":
        return _clean_select(field, value, label)
    if kind == "checkbox":
        return True
    try:
        if kind == "tax_code":
            return identifiers.validate_tax_code(str(value), field_name=field["name"])
        if kind == "phone":
            return identifiers.normalize_phone(str(value), field_name=field["name"])
    except ValidationFailed as exc:
        raise Invalid(_identifier_message(exc)) from exc
    if kind == "email":
        email = str(value).strip()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise Invalid(_("Thư điện tử chưa đúng, ví dụ ten@example.vn.")) from exc
        return email
    raise Invalid(_("Kiểu trường “%(type)s” không được hỗ trợ.") % {"type": kind})


# --- showing values -------------------------------------------------------------------------------------------


def input_value(field: Mapping[str, Any], value: Any) -> Any:
    """A saved value as it goes back into its input: dates as dd/mm/yyyy, money grouped, an address as its
    parts; text typed but refused is shown as typed."""
    if value is None:
        return {} if field["type"] == "address" else ""
    kind = field["type"]
    if kind == "date":
        date = iso_date(value)
        return f"{date:%d/%m/%Y}" if date else str(value)
    if kind == "money" and isinstance(value, int):
        return format_money(value)
    if kind == "address":
        return value if isinstance(value, Mapping) else {}
    if kind == "checkbox":
        return truthy(value)
    return str(value)


def readable(field: Mapping[str, Any], value: Any) -> str:
    """A saved value as a sentence part on the review page and the dossier page."""
    kind = field["type"]
    if value in (None, "") or (kind == "address" and not value):
        return ""
    if kind == "checkbox":
        return _("Có") if truthy(value) else _("Không")
    if kind == "select":
        return dict(choices(field)).get(str(value), str(value))
    if kind == "money" and isinstance(value, int):
        return _("%(amount)s đồng") % {"amount": format_money(value)}
    if kind == "address" and isinstance(value, Mapping):
        parts = [value.get("street"), value.get("commune_name"), value.get("province_name")]
        return ", ".join(str(part) for part in parts if part)
    return str(input_value(field, value))
