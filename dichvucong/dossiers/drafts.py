"""Drafts of online dossiers: started (or resumed) from a procedure, saved step by step, documents attached
from the personal store or uploaded, then submitted once.

Rules:
- saving a step keeps every value that is valid and the earlier value of a field typed wrong, so that nothing
  the citizen had entered and was accepted is lost;
- the draft row is locked while documents are attached or the draft is submitted, so that two requests at once
  (a double click) neither lose an attachment nor make two dossiers: submitting a submitted draft returns its
  dossier.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from dichvucong.accounts.models import User
from dichvucong.catalogue import selectors as catalogue
from dichvucong.catalogue.models import Channel as MethodChannel
from dichvucong.catalogue.models import OnlineLevel, Procedure
from dichvucong.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from dichvucong.core.text import fold
from dichvucong.dossiers import attachments, deadlines, eform_values, eforms, services
from dichvucong.dossiers.models import Channel, Dossier, Draft, StoredDocument
from dichvucong.organisations import selectors as organisations
from dichvucong.organisations.models import Agency

MAX_FILES_PER_SLOT = 10
AGENCY_LEVELS = ("commune", "province")
# The first words of a procedure's competent agency → the register prefix of its local branches (UBND-01 …).
AGENCY_PREFIXES = (("cong an", "CA"), ("bao hiem xa hoi", "BHXH"), ("thue", "THUE"))


class DraftIncomplete(ValidationFailed):
    """The draft cannot be submitted yet: `errors` name the fields (by field name) and document slots (by slot
    key) to complete."""


# --- reads ----------------------------------------------------------------------------------------------------


def open_drafts(user: User) -> QuerySet[Draft]:
    return Draft.objects.filter(owner=user, dossier__isnull=True).order_by("-updated_at")


def draft_for_owner(user: User, draft_id: int) -> Draft:
    draft = Draft.objects.select_related("dossier").filter(owner=user, pk=draft_id).first()
    if draft is None:
        raise NotFound(_("Không tìm thấy hồ sơ đang soạn này trong tài khoản của bạn."))
    return draft


def offered_online(procedure: Procedure) -> bool:
    """A procedure can be submitted on the portal when it is an online public service (partial or full) with an
    online method."""
    channels = {method.get("channel") for method in procedure.methods or []}
    return procedure.online_level != OnlineLevel.NONE and MethodChannel.ONLINE in channels


def procedure_of(draft: Draft) -> Procedure:
    """The procedure as published now (a new version published while the draft was open applies)."""
    return catalogue.procedure_get(draft.procedure_code)


def attached_bytes(draft: Draft) -> int:
    ids = [i for ids in draft.documents.values() for i in ids]
    total = StoredDocument.objects.filter(pk__in=ids).aggregate(total=Sum("size"))["total"]
    return int(total or 0)


def attached_documents(draft: Draft) -> dict[str, list[StoredDocument]]:
    """Slot key → the documents attached to it, in the order they were added (one query)."""
    ids = [i for ids in draft.documents.values() for i in ids]
    found = {d.pk: d for d in StoredDocument.objects.filter(owner_id=draft.owner_id, pk__in=ids)}
    return {slot: [found[i] for i in ids if i in found] for slot, ids in draft.documents.items()}


# --- starting and saving --------------------------------------------------------------------------------------


def start_draft(*, owner: User, procedure_code: str) -> Draft:
    """The citizen's open draft for the procedure, or a new one filled in from their profile."""
    procedure = catalogue.procedure_get(procedure_code)
    if not offered_online(procedure):
        raise DomainError(_("Thủ tục này chưa được cung cấp trực tuyến. Vui lòng nộp hồ sơ tại cơ quan."))
    existing = open_drafts(owner).filter(procedure_code=procedure.code).first()
    if existing is not None:
        return existing
    definition = eforms.definition_for(procedure)
    return Draft.objects.create(
        owner=owner, procedure_code=procedure.code, data=eforms.initial_data(definition, owner)
    )


def _open(draft: Draft) -> None:
    if draft.dossier_id is not None:
        raise DomainError(_("Hồ sơ này đã được nộp, không sửa được nữa."))


def save_step(
    *,
    draft: Draft,
    step: int,
    raw: Mapping[str, Any],
    partial: bool = False,
    definition: Mapping[str, Any] | None = None,
    today: dt.date | None = None,
) -> dict[str, str]:
    """Validate step `step` (0-based) of the form and keep its valid values; returns the errors, by field.
    `partial` (saving to finish later, going back) does not require the required fields."""
    _open(draft)
    definition = definition or eforms.definition_for(procedure_of(draft))
    if not 0 <= step < len(eforms.steps(definition)):
        raise NotFound(_("Bước này không có trong biểu mẫu."))
    # A field the request does not carry keeps its saved value.
    values = {**draft.data, **raw}
    cleaned, errors = eforms.validate_step(
        definition, step, values, partial=partial, today=today, context=draft.data
    )
    with transaction.atomic():
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        _open(locked)
        locked.data = {**locked.data, **cleaned}
        if not errors and not partial:
            locked.step = max(locked.step, step + 1)
        locked.save(update_fields=["data", "step", "updated_at"])
    draft.data, draft.step = locked.data, locked.step
    return errors


def _slot(procedure: Procedure, definition: Mapping[str, Any], key: str) -> eforms.Slot:
    for slot in eforms.document_slots(procedure, definition):
        if slot.key == key:
            return slot
    raise NotFound(_("Giấy tờ này không có trong thành phần hồ sơ."))


def _add(draft: Draft, slot: str, document_id: int) -> None:
    ids = list(draft.documents.get(slot, []))
    if document_id in ids:
        return
    if len(ids) >= MAX_FILES_PER_SLOT:
        raise attachments.UploadRefused(
            _("Mỗi giấy tờ đính kèm tối đa %(n)d tệp.") % {"n": MAX_FILES_PER_SLOT}
        )
    draft.documents = {**draft.documents, slot: [*ids, document_id]}
    draft.save(update_fields=["documents", "updated_at"])


@transaction.atomic
def attach_upload(
    *, draft: Draft, slot: str, uploaded_file: UploadedFile, definition: Mapping[str, Any] | None = None
) -> StoredDocument:
    """Check an uploaded file, keep it in the citizen's document store and attach it to a slot of the draft."""
    locked = Draft.objects.select_for_update().get(pk=draft.pk)
    _open(locked)
    procedure = procedure_of(locked)
    found = _slot(procedure, definition or eforms.definition_for(procedure), slot)
    document = attachments.store_upload(
        owner=locked.owner,
        uploaded_file=uploaded_file,
        title=attachments.title_of(uploaded_file) or found.name,
        already=attached_bytes(locked),
    )
    _add(locked, slot, document.pk)
    draft.documents = locked.documents
    return document


@transaction.atomic
def attach_stored(
    *, draft: Draft, slot: str, document_id: int, definition: Mapping[str, Any] | None = None
) -> StoredDocument:
    """Attach a document of the citizen's store (an earlier upload or a result received) to a slot."""
    locked = Draft.objects.select_for_update().get(pk=draft.pk)
    _open(locked)
    procedure = procedure_of(locked)
    _slot(procedure, definition or eforms.definition_for(procedure), slot)
    document = StoredDocument.objects.filter(owner_id=locked.owner_id, pk=document_id).first()
    if document is None:
        raise NotFound(_("Không tìm thấy giấy tờ đã chọn trong kho của bạn."))
    already_attached = document_id in [i for ids in locked.documents.values() for i in ids]
    if not already_attached and attached_bytes(locked) + document.size > _max_dossier_bytes():
        raise attachments.UploadRefused(
            _("Không thêm được “%(name)s”: tổng dung lượng giấy tờ của một hồ sơ tối đa %(limit)s MB.")
            % {"name": document.title, "limit": attachments.megabytes(_max_dossier_bytes())}
        )
    _add(locked, slot, document.pk)
    draft.documents = locked.documents
    return document


def _max_dossier_bytes() -> int:
    return int(settings.DOSSIER_MAX_DOSSIER_BYTES)


@transaction.atomic
def detach(*, draft: Draft, slot: str, document_id: int) -> None:
    """Take a document off a slot (it stays in the document store)."""
    locked = Draft.objects.select_for_update().get(pk=draft.pk)
    _open(locked)
    ids = [i for i in locked.documents.get(slot, []) if i != document_id]
    documents = {**locked.documents, slot: ids}
    locked.documents = {key: value for key, value in documents.items() if value}
    locked.save(update_fields=["documents", "updated_at"])
    draft.documents = locked.documents


@transaction.atomic
def discard(*, draft: Draft) -> None:
    """Delete a draft that was not submitted (its documents stay in the store)."""
    _open(draft)
    Draft.objects.filter(pk=draft.pk, dossier__isnull=True).delete()


# --- submitting -----------------------------------------------------------------------------------------------


def missing_documents(draft: Draft, slots: list[eforms.Slot]) -> dict[str, str]:
    """Slot key → message for each required document not attached."""
    return {
        slot.key: _("Vui lòng đính kèm: %(name)s") % {"name": slot.name}
        for slot in slots
        if slot.required and not draft.documents.get(slot.key)
    }


def complete_documents(*, draft: Draft, slots: list[eforms.Slot], step: int) -> dict[str, str]:
    """Leave the documents step (number `step` of the flow) if every required document is attached; returns
    what is missing otherwise."""
    errors = missing_documents(draft, slots)
    if not errors:
        Draft.objects.filter(pk=draft.pk, step__lt=step).update(step=step)
    return errors


def missing(
    draft: Draft, procedure: Procedure, definition: Mapping[str, Any], *, today: dt.date | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The cleaned form, and what stops the draft from being submitted: field name or slot key → message."""
    cleaned, errors = eforms.validate_all(definition, draft.data, today=today)
    errors.update(missing_documents(draft, eforms.document_slots(procedure, definition)))
    return cleaned, errors


def _prefix_for(procedure: Procedure) -> str:
    competent = fold(procedure.competent_agency)
    for words, prefix in AGENCY_PREFIXES:
        if competent.startswith(words) or f"{words} cap" in competent:
            return prefix
    return "UBND"


def competent_agency(procedure: Procedure, definition: Mapping[str, Any], data: Mapping[str, Any]) -> Agency:
    """The agency that handles the dossier: the local agency (People's Committee `UBND-<unit>`, or the branch
    the procedure's competent agency names: police `CA-<province>` …) of the commune or province chosen in the
    definition's `agency.field` (by default the applicant's address), at the procedure's level; if the register
    has no such agency, the same kind at the province, then the procedure's managing agency."""
    rule = definition.get("agency") or {}
    address = data.get(rule.get("field") or "applicant_address") or {}
    levels = procedure.levels or []
    level = rule.get("level") or (
        "commune" if "commune" in levels else "province" if "province" in levels else ""
    )
    prefix = rule.get("prefix") or _prefix_for(procedure)
    candidates: list[str] = []
    if level == "commune" and address.get("commune"):
        candidates.append(f"{prefix}-{address['commune']}")
    if level in AGENCY_LEVELS and address.get("province"):
        candidates.append(f"{prefix}-{address['province']}")
    found = {a.code: a for a in organisations.agency_list().filter(code__in=candidates)}
    for code in candidates:
        if code in found:
            return found[code]
    return procedure.managing_agency


def applicant_for(definition: Mapping[str, Any], data: Mapping[str, Any], owner: User) -> services.Applicant:
    """Who submits: from the fields the definition names (`applicant`), else from the profile."""
    names = {**eforms.DEFAULT_APPLICANT, **(definition.get("applicant") or {})}
    fields = eforms.field_map(definition)
    address_field = fields.get(names["address"])
    address = eform_values.readable(address_field, data.get(names["address"])) if address_field else ""
    if not address and owner.address_unit_id:
        address = eform_values.readable({"type": "address"}, eforms.profile_value(owner, "profile.address"))
    return services.Applicant(
        name=str(data.get(names["name"]) or owner.full_name or owner.get_username()),
        id_number=str(data.get(names["id_number"]) or owner.citizen_id or ""),
        email=str(data.get(names["email"]) or owner.email or ""),
        phone=str(data.get(names["phone"]) or owner.phone or ""),
        address=address,
    )


def summary_for(definition: Mapping[str, Any], procedure: Procedure, data: Mapping[str, Any]) -> str:
    """The dossier's summary (trích yếu) from the definition's template, `{field}` replaced by its value."""
    fields = eforms.field_map(definition)
    template = str(definition.get("summary") or procedure.name)

    def value(match: re.Match[str]) -> str:
        field = fields.get(match.group(1))
        return eform_values.readable(field, data.get(match.group(1))) if field else match.group(0)

    return re.sub(r"{(\w+)}", value, template).strip()[:2000]


def submit(*, draft: Draft, now: dt.datetime | None = None) -> Dossier:
    """Submit a draft: every field valid and every required document attached, else `DraftIncomplete`; the
    competent agency from the form; then `services.submit_dossier` (code, appointment, delivery, notice).
    Submitting a draft already submitted returns its dossier."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Draft.objects.select_for_update().select_related("owner").get(pk=draft.pk)
        if locked.dossier_id is not None:
            return Dossier.objects.get(pk=locked.dossier_id)
        procedure = procedure_of(locked)
        if not offered_online(procedure):
            raise DomainError(
                _("Thủ tục này không còn được cung cấp trực tuyến. Vui lòng nộp hồ sơ tại cơ quan.")
            )
        definition = eforms.definition_for(procedure)
        cleaned, errors = missing(locked, procedure, definition, today=deadlines.local(now).date())
        if errors:
            raise DraftIncomplete(
                errors=[FieldError(None, key, message) for key, message in errors.items()],
                summary=_("Hồ sơ chưa đủ để nộp: còn %(n)d mục cần hoàn thiện.") % {"n": len(errors)},
            )
        agency = competent_agency(procedure, definition, cleaned)
        slots = {slot.key: slot for slot in eforms.document_slots(procedure, definition)}
        files = [
            services.Attachment(
                slot=key,
                name=slots[key].name if len(ids) == 1 else f"{slots[key].name} ({n}/{len(ids)})",
                document_id=document_id,
            )
            for key, ids in locked.documents.items()
            if key in slots
            for n, document_id in enumerate(ids, start=1)
        ]
        dossier = services.submit_dossier(
            owner=locked.owner,
            procedure=procedure,
            agency=agency,
            applicant=applicant_for(definition, cleaned, locked.owner),
            summary=summary_for(definition, procedure, cleaned),
            form_data=cleaned,
            attachments=files,
            channel=Channel.ONLINE,
            now=now,
        )
        locked.dossier = dossier
        locked.agency = agency
        locked.data = cleaned
        locked.save(update_fields=["dossier", "agency", "data", "updated_at"])
    draft.dossier, draft.agency = dossier, agency
    return dossier
