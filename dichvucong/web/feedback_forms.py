"""The feedback form as the sender typed it: its first values (the account, the sender's dossier), read from
the request, kept whole to be shown again when something is refused (nothing typed is lost), turned into the
service's `Submission`, and the refusals placed next to their fields; and the look-up form. The rules
themselves are the service's (`feedback.services.submit_feedback`); this module only parses.

Input names are the `Submission` field names, so that a `FieldError.column` names the input it is about; the
exceptions are the province (`place__province`, the name the communes fragment `web:draft_communes` reads) and
the field (`field`, used only to suggest agencies).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from django.utils.translation import gettext as _

from dichvucong.core.errors import DomainError, NotFound, ValidationFailed
from dichvucong.dossiers import selectors as dossier_selectors
from dichvucong.feedback.models import Kind, SenderKind, Topic
from dichvucong.feedback.services import Submission
from dichvucong.organisations.models import AdministrativeUnit

PROVINCE: Final = "place__province"
# What a text input keeps at most (the model's lengths; the service says what is too long).
MAX_LENGTHS: Final[dict[str, int]] = {
    "title": 300,
    "procedure_code": 300,  # a code, or the procedure's name typed to be found
    "dossier_code": 60,
    "address": 300,
    "sender_name": 200,
    "organisation_name": 300,
    "sender_address": 300,
    "sender_phone": 20,
    "sender_email": 254,
    "agency_code": 40,
    "field": 100,
    "unit_code": 8,
    PROVINCE: 8,
    "topic": 16,
    "kind": 24,
    "sender_kind": 16,
}
CONTENT_MAX_LENGTH: Final = 20_000
TEXT_FIELDS: Final = (*MAX_LENGTHS, "content")
# The element each error column points to, when it is not the input of that name.
ANCHORS: Final[dict[str, str]] = {
    "topic": f"topic-{Topic.PROCEDURE}",
    "sender_kind": f"sender_kind-{SenderKind.CITIZEN}",
    "agency_code": "agency_code-none",
    "unit_code": "unit_code",
    "attachments": "attachments",
}
FORM_IDS: Final = frozenset({*TEXT_FIELDS, *ANCHORS, "consent_to_publish", "province"}) - {PROVINCE}
PROCEDURE_CODE: Final = re.compile(r"\b(\d\.\d{6})\b")


@dataclass(frozen=True)
class FeedbackForm:
    """The form's values as typed (strings; `consent_to_publish` "on" or ""), the errors by input name, those
    that belong to no input, the title of the error summary, and how many files were chosen then dropped by a
    refusal (a browser cannot keep them: the sender chooses them again)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    message: str = ""
    files_dropped: int = 0

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def invalid(self) -> bool:
        return bool(self.errors or self.general)

    @property
    def summary(self) -> list[dict[str, str]]:
        """The error summary: a link to each refused input, in the order of the form, then the other errors
        (no link)."""
        order = {name: position for position, name in enumerate(SUMMARY_ORDER)}
        ordered = sorted(self.errors.items(), key=lambda item: order.get(item[0], len(order)))
        links = [{"href": f"#{ANCHORS.get(name, name)}", "message": message} for name, message in ordered]
        return links + [{"href": "", "message": message} for message in self.general]


SUMMARY_ORDER: Final = (
    "topic",
    "kind",
    "procedure_code",
    "dossier_code",
    "title",
    "content",
    "attachments",
    "unit_code",
    "address",
    "agency_code",
    "sender_kind",
    "sender_name",
    "organisation_name",
    "sender_address",
    "sender_phone",
    "sender_email",
    "consent_to_publish",
)


def _clean(value: Any, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def read(data: Mapping[str, Any]) -> dict[str, str]:
    """The form's values from a POST (or the agencies fragment's GET): one-line inputs trimmed with their
    spaces collapsed, the content kept with its lines."""
    values = {name: _clean(data.get(name, ""), limit) for name, limit in MAX_LENGTHS.items()}
    values["content"] = str(data.get("content", "")).replace("\r\n", "\n").strip()[:CONTENT_MAX_LENGTH]
    values["consent_to_publish"] = "on" if data.get("consent_to_publish") else ""
    return values


def procedure_code_in(text: str) -> str:
    """A procedure code typed alone or with the name ("1.001193 - Đăng ký khai sinh"), or ""."""
    found = PROCEDURE_CODE.search(text)
    return found.group(1) if found else ""


def submission(values: Mapping[str, str], *, procedure_code: str) -> Submission:
    """The service's input from the typed values; `procedure_code` is the code the typed procedure was found
    to be ("" when none was typed). The place is the commune, or the province when no commune was chosen."""
    organisation = values.get("sender_kind") == SenderKind.ORGANISATION
    return Submission(
        topic=values.get("topic", ""),
        kind=values.get("kind", ""),
        title=values.get("title", ""),
        content=values.get("content", ""),
        sender_name=values.get("sender_name", ""),
        sender_address=values.get("sender_address", ""),
        sender_phone=values.get("sender_phone", ""),
        sender_email=values.get("sender_email", ""),
        sender_kind=values.get("sender_kind", "") or SenderKind.CITIZEN,
        organisation_name=values.get("organisation_name", "") if organisation else "",
        procedure_code=procedure_code,
        dossier_code=values.get("dossier_code", ""),
        unit_code=values.get("unit_code", "") or values.get(PROVINCE, ""),
        agency_code=values.get("agency_code", ""),
        address=values.get("address", ""),
        consent_to_publish=values.get("consent_to_publish") == "on",
        channel="web",
    )


def refused(values: dict[str, str], exc: DomainError, *, files_dropped: int = 0) -> FeedbackForm:
    """The form shown again with the service's refusals next to their inputs."""
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    if isinstance(exc, ValidationFailed):
        for error in exc.errors:
            if error.column in FORM_IDS:
                errors.setdefault(error.column, []).append(error.message)
            else:
                general.append(error.message)
        title = exc.summary or _("Phản ánh, kiến nghị chưa gửi được. Vui lòng sửa các mục sau.")
    else:
        general.append(exc.message)
        title = _("Phản ánh, kiến nghị chưa gửi được.")
    return FeedbackForm(
        values=values,
        errors={name: " ".join(messages) for name, messages in errors.items()},
        general=general,
        message=title,
        files_dropped=files_dropped,
    )


# --- first values -------------------------------------------------------------------------------------------


def _place_of(unit: AdministrativeUnit | None) -> tuple[str, str]:
    """(province code, commune code) of a place."""
    if unit is None:
        return "", ""
    if unit.parent_id is None:
        return unit.code, ""
    assert unit.parent is not None
    return unit.parent.code, unit.code


def initial_values(user: Any, query: Mapping[str, str]) -> tuple[dict[str, str], str]:
    """The form's first values: the sender's contact from their account; the procedure of `?thu-tuc=`; for
    `?ho-so=` of the signed-in person's own dossier, its procedure, agency and place (and, when it is late, the
    kind "delays"). Returns the values and the dossier's code when it was the person's."""
    values = read({})
    values["sender_kind"] = SenderKind.CITIZEN
    signed_in = bool(getattr(user, "is_authenticated", False))
    if signed_in:
        values["sender_name"] = user.full_name or ""
        values["sender_phone"] = user.phone or ""
        values["sender_email"] = user.email or ""
        unit = user.address_unit
        where = ", ".join(p for p in (user.address_line, unit.name if unit else "") if p)
        if unit is not None and unit.parent_id:
            assert unit.parent is not None
            where = f"{where}, {unit.parent.name}" if where else unit.parent.name
        values["sender_address"] = where[:300]
    procedure = procedure_code_in(query.get("thu-tuc", "")[:20])
    if procedure:
        values["topic"], values["procedure_code"] = Topic.PROCEDURE, procedure
    dossier_code = " ".join(query.get("ho-so", "").split())[:60]
    if not dossier_code:
        return values, ""
    values["topic"], values["dossier_code"] = Topic.PROCEDURE, dossier_code
    if not signed_in:
        return values, ""
    try:
        dossier = dossier_selectors.dossier_for_owner(user, dossier_code)
    except NotFound:
        return values, ""
    values["procedure_code"] = dossier.procedure_code or values["procedure_code"]
    values["agency_code"] = dossier.agency.code
    agency = dossier.agency
    province, commune = _place_of(agency.administrative_unit if agency.administrative_unit_id else None)
    values[PROVINCE] = province or (agency.province.code if agency.province_id and agency.province else "")
    values["unit_code"] = commune
    if dossier_selectors.is_overdue(dossier):
        values["kind"] = Kind.DELAY_HARASSMENT
    return values, dossier.code


# --- the look-up --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LookupForm:
    code: str = ""
    phone: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> list[dict[str, str]]:
        return [{"href": f"#{name}", "message": message} for name, message in self.errors.items()]


def lookup_form(data: Mapping[str, Any]) -> LookupForm:
    code = "".join(str(data.get("code", "")).split()).upper()[:30]
    phone = " ".join(str(data.get("phone", "")).split())[:20]
    errors: dict[str, str] = {}
    if not code:
        errors["code"] = _("Vui lòng nhập mã phản ánh, kiến nghị (ví dụ PAKN-261102-7K3QX9).")
    if not phone:
        errors["phone"] = _("Vui lòng nhập số điện thoại bạn đã ghi khi gửi phản ánh.")
    return LookupForm(code=code, phone=phone, errors=errors)
