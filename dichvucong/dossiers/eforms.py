"""E-forms (biểu mẫu điện tử): the definition of the form a citizen fills in to submit a dossier online, and the
server-side validation of what they type, with messages in Vietnamese.

A definition is JSON, stored in `EForm.definition` (one per procedure code) or made by `default_definition`:

    {"title": "Tờ khai đăng ký khai sinh",
     "steps": [{"title": "Thông tin của trẻ", "help": "…",
                "fields": [{"name": "child_name", "label": "Họ, chữ đệm và tên", "type": "text",
                            "required": true, "help": "…", "prefill": "profile.full_name",
                            "max_length": 100}, …]}, …],
     "documents": "from the procedure",
     "document_overrides": {"doc-1": {"skip": true}, "doc-3": {"required": false, "help": "…"}},
     "agency": {"field": "registration_place", "level": "commune", "prefix": "UBND"},
     "applicant": {"name": "applicant_name", "id_number": "applicant_id_number", …},
     "summary": "Đăng ký khai sinh cho {child_name}"}

Field types: text, textarea, date (dd/mm/yyyy; "min"/"max" as an ISO date or "today"), money (integer đồng:
"1.500.000", "1500000 đ"), number (integer, "min"/"max"), id_number (personal identification number, checked
by `accounts.identifiers`; "date_of_birth_field"/"sex_field" name fields to check it against), tax_code, phone,
email, select ("choices"; "widget": "radio" shows them as radio buttons), checkbox (required means it must be
ticked: a declaration), address (province + commune of the current units + street; "commune": false keeps the
province only, "street": "required" | "optional" | "none"). Labels and help may have an English text in
`label_en`/`help_en`; a label that is a sentence (a declaration) may have a `short_label` for messages.
Documents come from the procedure: one file slot per document (`document_slots`).

Cleaned values are JSON: text as str, dates as ISO "YYYY-MM-DD", money and numbers as int, checkboxes as bool,
addresses as {"province", "province_name", "commune", "commune_name", "street"}. Every cleaner also accepts its
own cleaned form, so that saved data validates again (`validate_all`) before a dossier is made of it. Values
field by field (cleaning, showing) are in `eform_values`; this module holds the definition and whole steps.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from dichvucong.core.errors import FieldError, ValidationFailed
from dichvucong.dossiers.eform_values import (
    STREET_MODES,
    Invalid,
    choices,
    clean_field,
    has_commune,
    iso_date,
    street_mode,
    text_of,
    truthy,
)
from dichvucong.dossiers.models import EForm

FIELD_TYPES = frozenset(
    {
        "text", "textarea", "date", "money", "number", "id_number", "tax_code", "phone", "email", "select",
        "checkbox", "address",
    }
)  # fmt: skip
PREFILL_SOURCES = frozenset(
    {
        "profile.full_name", "profile.citizen_id", "profile.phone", "profile.email", "profile.address",
        "profile.date_of_birth",
    }
)  # fmt: skip
APPLICANT_KEYS = ("name", "id_number", "phone", "email", "address")
DEFAULT_APPLICANT = {key: f"applicant_{key}" for key in APPLICANT_KEYS}
AGENCY_LEVELS = ("commune", "province")
FROM_PROCEDURE = "from the procedure"
NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,59}")
SLOT_RE = re.compile(r"doc-[1-9][0-9]{0,2}")


# --- reading a definition -------------------------------------------------------------------------------------


def steps(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(definition.get("steps") or [])


def step_fields(definition: Mapping[str, Any], step: int) -> list[dict[str, Any]]:
    return list(steps(definition)[step].get("fields") or [])


def all_fields(definition: Mapping[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(step index, field) for every field, in order."""
    for index, step in enumerate(steps(definition)):
        for field in step.get("fields") or []:
            yield index, field


def field_map(definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {field["name"]: field for _step, field in all_fields(definition)}


def step_of(definition: Mapping[str, Any], name: str) -> int | None:
    """The step that holds field `name`, or None."""
    for index, field in all_fields(definition):
        if field["name"] == name:
            return index
    return None


# --- document slots -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """A file slot of the form: one document of the procedure (thành phần hồ sơ)."""

    key: str  # doc-<n>, n the 1-based position in the procedure's documents
    name: str
    group: str
    case: str
    required: bool
    help: str = ""
    template: str = ""
    template_url: str = ""


def document_slots(procedure: Any, definition: Mapping[str, Any] | None = None) -> list[Slot]:
    """One slot per document of the procedure, keyed `doc-<n>`, required as the procedure says; a definition's
    `document_overrides` may skip a document (a declaration the e-form replaces) or change whether it is
    required and its help text."""
    overrides = (definition or {}).get("document_overrides") or {}
    slots = []
    for index, document in enumerate(procedure.documents or [], start=1):
        key = f"doc-{index}"
        override = overrides.get(key) or {}
        if override.get("skip"):
            continue
        slots.append(
            Slot(
                key=key,
                name=str(document.get("name") or ""),
                group=str(document.get("group") or ""),
                case=str(document.get("case") or ""),
                required=bool(override.get("required", document.get("required", True))),
                help=text_of(override, "help"),
                template=str(document.get("template") or ""),
                template_url=str(document.get("template_url") or ""),
            )
        )
    return slots


# --- the default definition -----------------------------------------------------------------------------------


def default_definition(procedure: Any) -> dict[str, Any]:
    """The form of a procedure that has no EForm: the applicant (prefilled from the profile), what they ask
    for, and the procedure's documents. The competent agency follows the applicant's address."""
    return {
        "title": _("Tờ khai %(procedure)s") % {"procedure": procedure.name},
        "steps": [
            {
                "title": _("Thông tin người nộp hồ sơ"),
                "help": _("Thông tin lấy từ tài khoản của bạn. Kiểm tra và sửa nếu cần."),
                "fields": [
                    {
                        "name": "applicant_name",
                        "label": _("Họ và tên"),
                        "type": "text",
                        "required": True,
                        "prefill": "profile.full_name",
                        "max_length": 100,
                    },
                    {
                        "name": "applicant_id_number",
                        "label": _("Số định danh cá nhân"),
                        "type": "id_number",
                        "required": True,
                        "help": _("12 chữ số trên thẻ căn cước."),
                        "prefill": "profile.citizen_id",
                        "date_of_birth_field": "applicant_date_of_birth",
                    },
                    {
                        "name": "applicant_date_of_birth",
                        "label": _("Ngày sinh"),
                        "type": "date",
                        "required": True,
                        "prefill": "profile.date_of_birth",
                        "max": "today",
                    },
                    {
                        "name": "applicant_phone",
                        "label": _("Số điện thoại di động"),
                        "type": "phone",
                        "required": True,
                        "help": _("Để nhận tin nhắn về hồ sơ."),
                        "prefill": "profile.phone",
                    },
                    {
                        "name": "applicant_email",
                        "label": _("Thư điện tử"),
                        "type": "email",
                        "required": False,
                        "prefill": "profile.email",
                    },
                    {
                        "name": "applicant_address",
                        "label": _("Nơi cư trú"),
                        "type": "address",
                        "required": True,
                        "prefill": "profile.address",
                    },
                ],
            },
            {
                "title": _("Nội dung đề nghị"),
                "fields": [
                    {
                        "name": "request",
                        "label": _("Nội dung đề nghị"),
                        "type": "textarea",
                        "required": True,
                        "help": _("Trình bày ngắn gọn việc bạn đề nghị cơ quan giải quyết."),
                    },
                ],
            },
        ],
        "documents": FROM_PROCEDURE,
        "agency": {"field": "applicant_address"},
        "summary": procedure.name + ": {applicant_name}",
    }


def definition_for(procedure: Any) -> dict[str, Any]:
    """The e-form of a procedure: its EForm, or the default one."""
    from dichvucong.dossiers import selectors

    eform = selectors.eform_for(procedure.code)
    return dict(eform.definition) if eform is not None else default_definition(procedure)


# --- checking a definition (operators) ------------------------------------------------------------------------


def validate_definition(definition: Any) -> None:
    """Check a definition before it is saved; raises `ValidationFailed` listing every problem, each with the
    place it was found (`steps[1].fields[0].type`)."""
    problems: list[tuple[str, str]] = []

    def problem(where: str, message: str) -> None:
        problems.append((where, message))

    if not isinstance(definition, dict):
        raise ValidationFailed(
            errors=[FieldError(None, "", _("Biểu mẫu phải là một đối tượng JSON."))],
            summary=_("Biểu mẫu điện tử không hợp lệ."),
        )
    if not str(definition.get("title") or "").strip():
        problem("title", _("Thiếu tiêu đề biểu mẫu."))
    if definition.get("documents", FROM_PROCEDURE) != FROM_PROCEDURE:
        problem("documents", _("Giấy tờ đính kèm lấy theo thủ tục: chỉ nhận giá trị “from the procedure”."))
    raw_steps = definition.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        problem("steps", _("Biểu mẫu cần ít nhất một bước."))
        raw_steps = []
    names: dict[str, str] = {}
    for s, step in enumerate(raw_steps):
        where = f"steps[{s}]"
        if not isinstance(step, dict):
            problem(where, _("Mỗi bước phải là một đối tượng JSON."))
            continue
        if not str(step.get("title") or "").strip():
            problem(f"{where}.title", _("Thiếu tên bước."))
        fields = step.get("fields")
        if not isinstance(fields, list) or not fields:
            problem(f"{where}.fields", _("Mỗi bước cần ít nhất một trường."))
            continue
        for f, field in enumerate(fields):
            _check_field(field, f"{where}.fields[{f}]", names, problem)
    _check_references(definition, names, problem)
    if problems:
        raise ValidationFailed(
            errors=[FieldError(None, where, message) for where, message in problems],
            summary=_("Biểu mẫu điện tử có %(n)d lỗi.") % {"n": len(problems)},
        )


def _check_field(field: Any, where: str, names: dict[str, str], problem: Any) -> None:
    if not isinstance(field, dict):
        problem(where, _("Mỗi trường phải là một đối tượng JSON."))
        return
    name = field.get("name")
    kind = field.get("type")
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        problem(
            f"{where}.name",
            _("Tên trường gồm chữ thường không dấu, chữ số và dấu gạch dưới, bắt đầu bằng chữ."),
        )
    elif name in names:
        problem(f"{where}.name", _("Tên trường “%(name)s” bị trùng.") % {"name": name})
    else:
        names[name] = str(kind)
    if not str(field.get("label") or "").strip():
        problem(f"{where}.label", _("Thiếu nhãn của trường."))
    if kind not in FIELD_TYPES:
        problem(f"{where}.type", _("Kiểu trường “%(type)s” không được hỗ trợ.") % {"type": kind})
    if "prefill" in field and field["prefill"] not in PREFILL_SOURCES:
        problem(f"{where}.prefill", _("Nguồn điền sẵn “%(source)s” không có.") % {"source": field["prefill"]})
    if kind == "select":
        values = [value for value, _label in choices(field)]
        if not values or len(values) != len(field.get("choices") or []):
            problem(f"{where}.choices", _("Trường chọn cần danh sách lựa chọn."))
        elif len(set(values)) != len(values):
            problem(f"{where}.choices", _("Các lựa chọn bị trùng."))
    if kind == "address" and field.get("street", "optional") not in STREET_MODES:
        problem(f"{where}.street", _("“street” nhận required, optional hoặc none."))
    for bound in ("min", "max"):
        if bound not in field:
            continue
        value = field[bound]
        if kind == "date":
            if value != "today" and iso_date(value) is None:
                problem(f"{where}.{bound}", _("Giới hạn ngày là “today” hoặc một ngày YYYY-MM-DD."))
        elif kind in ("number", "money"):
            if not isinstance(value, int) or isinstance(value, bool):
                problem(f"{where}.{bound}", _("Giới hạn phải là số nguyên."))
        else:
            problem(f"{where}.{bound}", _("Kiểu trường này không có giới hạn min/max."))
    if "max_length" in field and (not isinstance(field["max_length"], int) or field["max_length"] < 1):
        problem(f"{where}.max_length", _("Độ dài tối đa phải là số nguyên dương."))


def _check_references(definition: dict[str, Any], names: dict[str, str], problem: Any) -> None:
    agency = definition.get("agency")
    if agency is not None:
        if not isinstance(agency, dict) or names.get(str(agency.get("field"))) != "address":
            problem("agency.field", _("Cơ quan giải quyết phải theo một trường địa chỉ của biểu mẫu."))
        elif agency.get("level", "commune") not in AGENCY_LEVELS:
            problem("agency.level", _("Cấp của cơ quan là commune hoặc province."))
    applicant = definition.get("applicant") or {}
    if not isinstance(applicant, dict):
        problem("applicant", _("“applicant” phải là một đối tượng JSON."))
        applicant = {}
    for key, name in applicant.items():
        if key not in APPLICANT_KEYS:
            problem(f"applicant.{key}", _("Thông tin người nộp “%(key)s” không có.") % {"key": key})
        elif name not in names:
            problem(f"applicant.{key}", _("Không có trường “%(name)s”.") % {"name": name})
    for _index, field in _fields_of(definition):
        for link in ("date_of_birth_field", "sex_field"):
            if link in field and field[link] not in names:
                problem(
                    f"{field.get('name')}.{link}", _("Không có trường “%(name)s”.") % {"name": field[link]}
                )
    overrides = definition.get("document_overrides") or {}
    if not isinstance(overrides, dict):
        problem("document_overrides", _("“document_overrides” phải là một đối tượng JSON."))
        overrides = {}
    for key in overrides:
        if not SLOT_RE.fullmatch(str(key)):
            problem(
                f"document_overrides.{key}", _("Giấy tờ được gọi là doc-1, doc-2… theo thứ tự của thủ tục.")
            )
    for name in re.findall(r"{(\w+)}", str(definition.get("summary") or "")):
        if name not in names:
            problem("summary", _("Không có trường “%(name)s”.") % {"name": name})


def _fields_of(definition: Mapping[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    for index, step in enumerate(definition.get("steps") or []):
        if isinstance(step, dict):
            for field in step.get("fields") or []:
                if isinstance(field, dict):
                    yield index, field


def _validate_fields(
    fields: list[dict[str, Any]],
    data: Mapping[str, Any],
    *,
    partial: bool,
    today: dt.date | None,
    context: Mapping[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, str]]:
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    # Fields that an identification number is checked against (date of birth, sex) are cleaned first.
    linked = {f.get(link) for f in fields for link in ("date_of_birth_field", "sex_field")} - {None}
    ordered = sorted(fields, key=lambda f: f["name"] not in linked)
    known = dict(context or {})
    for field in ordered:
        name = field["name"]
        try:
            cleaned[name] = clean_field(field, data.get(name), today=today, context=known, partial=partial)
            known[name] = cleaned[name]
        except Invalid as exc:
            errors[name] = str(exc)
            known.pop(name, None)
    order = [f["name"] for f in fields]
    return {n: cleaned[n] for n in order if n in cleaned}, {n: errors[n] for n in order if n in errors}


def validate_step(
    definition: Mapping[str, Any],
    step: int,
    data: Mapping[str, Any],
    *,
    partial: bool = False,
    today: dt.date | None = None,
    context: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate the fields of step `step` (0-based) in `data` (as typed, or as saved): the cleaned values of the
    fields that are valid and one message per invalid field. `context` holds the values of other steps (an
    identification number is checked against a date of birth given earlier); `partial` accepts missing
    required values (a draft saved half-way)."""
    return _validate_fields(
        step_fields(definition, step), data, partial=partial, today=today, context=context
    )


def validate_all(
    definition: Mapping[str, Any], data: Mapping[str, Any], *, today: dt.date | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate every field of the form (before submitting)."""
    fields = [field for _step, field in all_fields(definition)]
    return _validate_fields(fields, data, partial=False, today=today, context=None)


# --- from a request and from the profile ----------------------------------------------------------------------


def raw_from_post(definition: Mapping[str, Any], step: int, post: Mapping[str, Any]) -> dict[str, Any]:
    """The values of step `step` as typed in a posted form: an address from its three inputs
    (`<name>__province`, `<name>__commune`, `<name>__street`), a checkbox as ticked or not."""
    raw: dict[str, Any] = {}
    for field in step_fields(definition, step):
        name = field["name"]
        if field["type"] == "address":
            raw[name] = {
                part: str(post.get(f"{name}__{part}", "")) for part in ("province", "commune", "street")
            }
        elif field["type"] == "checkbox":
            raw[name] = name in post and truthy(post.get(name, ""))
        else:
            raw[name] = str(post.get(name, ""))
    return raw


def _profile_address(user: Any) -> dict[str, str] | None:
    unit = getattr(user, "address_unit", None)
    if unit is None:
        return None
    if unit.parent_id is None:
        return {"province": unit.code, "province_name": unit.name, "street": user.address_line or ""}
    province = unit.parent
    return {
        "province": province.code,
        "province_name": province.name,
        "commune": unit.code,
        "commune_name": unit.name,
        "street": user.address_line or "",
    }


def profile_value(user: Any, source: str) -> Any:
    attribute = source.removeprefix("profile.")
    if attribute == "address":
        return _profile_address(user)
    if attribute == "date_of_birth":
        birth = getattr(user, "date_of_birth", None)
        return birth.isoformat() if birth else None
    return getattr(user, attribute, None) or None


def initial_data(definition: Mapping[str, Any], user: Any) -> dict[str, Any]:
    """The values a new draft starts with: the field's `default`, or what the profile says (`prefill`)."""
    data: dict[str, Any] = {}
    for _step, field in all_fields(definition):
        value = profile_value(user, field["prefill"]) if field.get("prefill") else None
        if value is None:
            value = field.get("default")
        if value in (None, ""):
            continue
        if field["type"] == "address" and isinstance(value, Mapping):
            if not has_commune(field):
                value = {k: v for k, v in value.items() if not k.startswith("commune")}
            if street_mode(field) == "none":
                value = {k: v for k, v in value.items() if k != "street"}
        data[field["name"]] = value
    return data


# --- saving (operators, demo data) ----------------------------------------------------------------------------


def save_eform(*, procedure_code: str, definition: dict[str, Any]) -> tuple[EForm, bool]:
    """Check a definition and make it the e-form of a procedure; returns (e-form, changed). Saving the same
    definition again changes nothing."""
    validate_definition(definition)
    title = str(definition["title"])[:300]
    eform = EForm.objects.filter(procedure_code=procedure_code).first()
    if eform is not None and eform.definition == definition and eform.title == title:
        return eform, False
    eform, _created = EForm.objects.update_or_create(
        procedure_code=procedure_code, defaults={"title": title, "definition": definition}
    )
    return eform, True
