"""What the pages of the online form show, step by step: each field with the ids that tie its label, hint and
error together, the flow of a draft (form steps, documents, review) and the page of each. Assembled from the
dossier services and selectors; the templates only display.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.conf import settings
from django.urls import reverse

from dichvucong.catalogue import selectors as catalogue
from dichvucong.catalogue.models import Procedure
from dichvucong.dossiers import attachments, drafts, eform_values, eforms, selectors
from dichvucong.dossiers.models import Draft, StoredDocument
from dichvucong.organisations import selectors as organisations
from dichvucong.organisations.models import AdministrativeUnit

from . import support_pages

# --- the form, field by field ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    selected: bool
    input_id: str


@dataclass(frozen=True)
class FieldView:
    """One field as its template needs it: ids that tie label, hint and error to the input."""

    name: str
    label: str
    type: str
    required: bool
    help: str
    error: str
    value: Any  # str for inputs, bool for a checkbox, dict of parts for an address
    choices: list[Choice] = field(default_factory=list)
    radio: bool = False
    provinces: list[AdministrativeUnit] = field(default_factory=list)
    communes: list[AdministrativeUnit] = field(default_factory=list)
    has_commune: bool = True
    street: str = "optional"
    max_length: int = 0

    @property
    def input_id(self) -> str:
        return f"f-{self.name}"

    @property
    def hint_id(self) -> str:
        return f"f-{self.name}-goi-y" if self.help else ""

    @property
    def error_id(self) -> str:
        return f"f-{self.name}-loi" if self.error else ""

    @property
    def describedby(self) -> str:
        return " ".join(i for i in (self.hint_id, self.error_id) if i)

    @property
    def grouped(self) -> bool:
        """Shown as a fieldset with a legend (several inputs answer one question)."""
        return self.type == "address" or self.radio

    @property
    def target_id(self) -> str:
        """Where a link from the error summary moves the focus: the first input to correct."""
        if self.radio and self.choices:
            return self.choices[0].input_id
        if self.type == "address":
            parts = self.value if isinstance(self.value, Mapping) else {}
            if not parts.get("province") or not self.has_commune:
                return f"{self.input_id}__province"
            if not parts.get("commune"):
                return f"{self.input_id}__commune"
            return f"{self.input_id}__street" if self.street != "none" else f"{self.input_id}__province"
        return self.input_id

    @property
    def input_type(self) -> str:
        return {"phone": "tel", "email": "email"}.get(self.type, "text")

    @property
    def inputmode(self) -> str:
        return "numeric" if self.type in ("id_number", "tax_code", "money", "number") else ""

    @property
    def autocomplete(self) -> str:
        if self.type == "phone":
            return "tel"
        if self.type == "email":
            return "email"
        if self.name == "applicant_name":
            return "name"
        return "off" if self.type in ("id_number", "date", "tax_code") else ""


def field_view(
    spec: Mapping[str, Any], value: Any, error: str, provinces: list[AdministrativeUnit]
) -> FieldView:
    kind = spec["type"]
    shown = eform_values.input_value(spec, value)
    choices = []
    if kind == "select":
        choices = [
            Choice(value=v, label=label, selected=str(shown) == v, input_id=f"f-{spec['name']}-{i}")
            for i, (v, label) in enumerate(eform_values.choices(spec), start=1)
        ]
    communes: list[AdministrativeUnit] = []
    if (
        kind == "address"
        and eform_values.has_commune(spec)
        and isinstance(shown, Mapping)
        and shown.get("province")
    ):
        communes = list(organisations.unit_list(parent=str(shown["province"])).only("code", "name"))
    return FieldView(
        name=spec["name"],
        label=eform_values.text_of(spec, "label"),
        type=kind,
        required=bool(spec.get("required")),
        help=eform_values.text_of(spec, "help"),
        error=error,
        value=shown,
        choices=choices,
        radio=kind == "select" and spec.get("widget") == "radio",
        provinces=provinces if kind == "address" else [],
        communes=communes,
        has_commune=eform_values.has_commune(spec),
        street=eform_values.street_mode(spec),
        max_length=int(spec.get("max_length") or 0),
    )


@dataclass(frozen=True)
class ErrorLink:
    message: str
    href: str


# --- the flow of a draft ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    """A draft with its procedure and form: the steps of the form, then the documents (if the procedure asks
    for any), then the review."""

    draft: Draft
    procedure: Procedure
    definition: dict[str, Any]
    slots: list[eforms.Slot]

    @property
    def form_steps(self) -> int:
        return len(eforms.steps(self.definition))

    @property
    def documents_step(self) -> int | None:
        """The 1-based number of the documents step, None if the procedure asks for no document."""
        return self.form_steps + 1 if self.slots else None

    @property
    def total(self) -> int:
        return self.form_steps + (1 if self.slots else 0) + 1

    @property
    def title(self) -> str:
        return eform_values.text_of(self.definition, "title") or self.procedure.name

    def step_title(self, index: int) -> str:
        return eform_values.text_of(eforms.steps(self.definition)[index], "title")

    def step_url(self, number: int) -> str:
        """The page of step `number` (1-based, in the whole flow)."""
        if number <= self.form_steps:
            return reverse("web:draft_step", args=[self.draft.pk, number])
        if number == self.documents_step:
            return reverse("web:draft_documents", args=[self.draft.pk])
        return reverse("web:draft_review", args=[self.draft.pk])

    def resume_url(self) -> str:
        return self.step_url(min(self.draft.step + 1, self.total))

    @cached_property
    def help(self) -> support_pages.HelpBlock:
        """The procedure's questions and answers and a way to ask, beside every step of the form."""
        return support_pages.help_block(self.procedure.code)


def flow_for(draft: Draft) -> Flow:
    procedure = drafts.procedure_of(draft)
    definition = eforms.definition_for(procedure)
    return Flow(
        draft=draft,
        procedure=procedure,
        definition=definition,
        slots=eforms.document_slots(procedure, definition),
    )


@dataclass(frozen=True)
class StartPage:
    procedure: Procedure
    offered: bool
    online_method: dict[str, Any]
    step_titles: list[str]
    slots: list[eforms.Slot]
    draft: Draft | None

    @property
    def optional_slots(self) -> list[eforms.Slot]:
        return [s for s in self.slots if not s.required]

    @cached_property
    def help(self) -> support_pages.HelpBlock:
        return support_pages.help_block(self.procedure.code)


def start_page(code: str, user: Any) -> StartPage:
    procedure = catalogue.procedure_get(code)
    definition = eforms.definition_for(procedure)
    methods = [m for m in procedure.methods or [] if m.get("channel") == "online"]
    draft = None
    if user.is_authenticated:
        draft = drafts.open_drafts(user).filter(procedure_code=procedure.code).first()
    return StartPage(
        procedure=procedure,
        offered=drafts.offered_online(procedure),
        online_method=methods[0] if methods else {},
        step_titles=[eform_values.text_of(step, "title") for step in eforms.steps(definition)],
        slots=eforms.document_slots(procedure, definition),
        draft=draft,
    )


@dataclass(frozen=True)
class StepPage:
    flow: Flow
    index: int  # 0-based in the form
    title: str
    help: str
    fields: list[FieldView]
    errors: list[ErrorLink]
    saved: bool

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def previous_url(self) -> str:
        return self.flow.step_url(self.index) if self.index else ""


def step_page(
    flow: Flow,
    index: int,
    *,
    raw: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    saved: bool = False,
) -> StepPage:
    """Step `index` of the form: saved values, or what was typed where it was refused, with its message."""
    errors = errors or {}
    step = eforms.steps(flow.definition)[index]
    provinces = list(organisations.province_list().only("code", "name"))
    views = []
    for spec in eforms.step_fields(flow.definition, index):
        name = spec["name"]
        value = raw[name] if raw is not None and name in errors and name in raw else flow.draft.data.get(name)
        views.append(field_view(spec, value, errors.get(name, ""), provinces))
    return StepPage(
        flow=flow,
        index=index,
        title=eform_values.text_of(step, "title"),
        help=eform_values.text_of(step, "help"),
        fields=views,
        errors=[ErrorLink(message=v.error, href=f"#{v.target_id}") for v in views if v.error],
        saved=saved,
    )


@dataclass(frozen=True)
class SlotView:
    slot: eforms.Slot
    documents: list[StoredDocument]
    error: str
    choices: list[StoredDocument]  # documents of the store that can still be attached here

    @property
    def anchor(self) -> str:
        return f"giay-to-{self.slot.key}"


@dataclass(frozen=True)
class DocumentsPage:
    flow: Flow
    slots: list[SlotView]
    errors: list[ErrorLink]
    accepted: str
    max_file_mb: str

    @property
    def number(self) -> int:
        return self.flow.documents_step or 0

    @property
    def required_slots(self) -> list[SlotView]:
        return [s for s in self.slots if s.slot.required]

    @property
    def optional_slots(self) -> list[SlotView]:
        """Documents asked for only in some cases: folded away unless one is attached or refused."""
        return [s for s in self.slots if not s.slot.required]

    @property
    def optional_open(self) -> bool:
        return any(s.documents or s.error for s in self.optional_slots)


def documents_page(flow: Flow, *, errors: Mapping[str, str] | None = None) -> DocumentsPage:
    errors = errors or {}
    attached = drafts.attached_documents(flow.draft)
    store = list(selectors.my_documents(flow.draft.owner))
    views = []
    for slot in flow.slots:
        mine = attached.get(slot.key, [])
        taken = {d.pk for d in mine}
        views.append(
            SlotView(
                slot=slot,
                documents=mine,
                error=errors.get(slot.key, ""),
                choices=[d for d in store if d.pk not in taken],
            )
        )
    return DocumentsPage(
        flow=flow,
        slots=views,
        errors=[ErrorLink(message=v.error, href=f"#tep-{v.slot.key}") for v in views if v.error],
        accepted=attachments.accepted_type_names(),
        max_file_mb=attachments.megabytes(settings.DOSSIER_MAX_FILE_BYTES),
    )


@dataclass(frozen=True)
class ReviewRow:
    label: str
    value: str


@dataclass(frozen=True)
class ReviewSection:
    title: str
    url: str
    rows: list[ReviewRow]


@dataclass(frozen=True)
class ReviewPage:
    flow: Flow
    sections: list[ReviewSection]
    slots: list[SlotView]
    errors: list[ErrorLink]
    agency_name: str

    @property
    def number(self) -> int:
        return self.flow.total


def form_sections(
    definition: Mapping[str, Any], data: Mapping[str, Any], flow: Flow | None = None
) -> list[ReviewSection]:
    """The answers of a form, step by step, as label and text (with a link to change each step when `flow`
    is given)."""
    sections = []
    for index, step in enumerate(eforms.steps(definition)):
        rows = [
            ReviewRow(
                label=eform_values.text_of(spec, "label"),
                value=eform_values.readable(spec, data.get(spec["name"])),
            )
            for spec in step.get("fields") or []
        ]
        url = flow.step_url(index + 1) if flow else ""
        sections.append(ReviewSection(title=eform_values.text_of(step, "title"), url=url, rows=rows))
    return sections


def review_page(flow: Flow, *, today: dt.date | None = None) -> ReviewPage:
    cleaned, problems = drafts.missing(flow.draft, flow.procedure, flow.definition, today=today)
    links = []
    for key, message in problems.items():
        step = eforms.step_of(flow.definition, key)
        if step is None:
            links.append(
                ErrorLink(
                    message=message, href=f"{flow.step_url(flow.documents_step or flow.total)}#tep-{key}"
                )
            )
        else:
            links.append(ErrorLink(message=message, href=f"{flow.step_url(step + 1)}#f-{key}"))
    attached = drafts.attached_documents(flow.draft)
    agency_name = ""
    if not problems:
        agency_name = drafts.competent_agency(flow.procedure, flow.definition, cleaned).name
    return ReviewPage(
        flow=flow,
        sections=form_sections(flow.definition, flow.draft.data, flow),
        slots=[SlotView(slot=s, documents=attached.get(s.key, []), error="", choices=[]) for s in flow.slots],
        errors=links,
        agency_name=agency_name,
    )
