"""Writes to the catalogue: procedure versions through their review (draft → review → published, see
`review.py`: every change of state goes through `review.move`), FAQ, life events, and all-or-nothing import."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from pydantic import ValidationError

from dichvucong.core import audit
from dichvucong.core.errors import DomainError, FieldError, Forbidden, NotFound, ValidationFailed
from dichvucong.core.text import slugify_vi
from dichvucong.organisations.models import AdministrativeUnit, Agency, UnitLevel

from . import review, search
from .models import (
    Faq,
    FaqProcedure,
    Field,
    ImportRun,
    LifeEvent,
    Procedure,
    ProcedureStatus,
    SearchEntry,
)
from .records import FaqRecord, ProcedureRecord
from .validation import read_file


@dataclass
class ImportReport:
    procedures_created: int = 0
    procedures_unchanged: int = 0
    faqs_created: int = 0
    faqs_updated: int = 0
    faqs_unchanged: int = 0
    codes: list[str] = field(default_factory=list)


def content_hash(record: ProcedureRecord | FaqRecord) -> str:
    payload = record.model_dump(mode="json", exclude={"status"})
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def field_for_name(name: str) -> Field:
    slug = slugify_vi(name)[:120]
    found = Field.objects.filter(slug=slug).first()
    return found or Field.objects.create(slug=slug, name=name.strip())


def _procedure_values(
    record: ProcedureRecord, agency: Agency, province: AdministrativeUnit | None
) -> dict[str, Any]:
    data = record.model_dump(mode="json")
    return {
        "name": record.name,
        "name_en": record.name_en,
        "summary": record.summary,
        "summary_en": record.summary_en,
        "decision": record.decision,
        "levels": record.levels,
        "audiences": record.audiences,
        "managing_agency": agency,
        "competent_agency": record.competent_agency,
        "implementing_agency": record.implementing_agency,
        "authorised_agency": record.authorised_agency,
        "coordinating_agencies": record.coordinating_agencies,
        "receiving_address": record.receiving_address,
        "steps": data["steps"],
        "methods": data["methods"],
        "documents": data["documents"],
        "conditions": record.conditions,
        "results": data["results"],
        "legal_basis": data["legal_basis"],
        "related_procedures": record.related_procedures,
        "online_level": record.online_level,
        "province": province,
        "source": record.source,
        "synthetic": record.synthetic,
        "content_hash": content_hash(record),
    }


def _reindex(procedure: Procedure) -> None:
    if procedure.status in review.UNPUBLISHED:
        SearchEntry.objects.filter(kind="procedure", object_id=procedure.pk).delete()
        return
    search.index_entry("procedure", procedure.pk, search.entry_values_for_procedure(procedure))


@transaction.atomic
def save_procedure(*, record: ProcedureRecord, imported_by: str = "") -> tuple[Procedure, bool]:
    """Save a procedure record as a new version; returns (version, created).

    Published content that is unchanged is a no-op (imports are idempotent). A published record with new
    content becomes the published version and the previous one is superseded. A draft record replaces the
    open draft of its code, or opens one. New content for a version in review sends it back to draft first
    (audited, with `imported_by`, the import's actor label): what was reviewed is no longer what it holds.
    """
    agency = Agency.objects.filter(code=record.managing_agency).first()
    if agency is None:
        raise DomainError(f"Không có cơ quan mã {record.managing_agency} trong danh mục cơ quan.")
    province = None
    if record.province:
        province = AdministrativeUnit.objects.filter(code=record.province, level=UnitLevel.PROVINCE).first()
        if province is None:
            raise DomainError(f"Không có tỉnh, thành phố mã {record.province}.")
    values = _procedure_values(record, agency, province)
    versions = Procedure.objects.select_for_update().filter(code=record.code)
    current = versions.filter(status=ProcedureStatus.PUBLISHED).first()
    if (
        record.status == ProcedureStatus.PUBLISHED
        and current
        and current.content_hash == values["content_hash"]
    ):
        return current, False
    now = timezone.now()
    draft = versions.filter(status__in=review.UNPUBLISHED).first()
    if draft is not None:
        was_in_review = draft.status == ProcedureStatus.IN_REVIEW
        if was_in_review:
            review.move(draft, ProcedureStatus.DRAFT, at=now)
        for key, value in values.items():
            setattr(draft, key, value)
        draft.save()
        if was_in_review:
            audit.record("catalogue.returned_to_draft", target=draft, detail={"imported_by": imported_by})
        procedure = draft
    else:
        next_version = (versions.aggregate(m=Max("version"))["m"] or 0) + 1
        procedure = Procedure.objects.create(code=record.code, version=next_version, **values)
    procedure.fields.set([field_for_name(name) for name in record.fields])
    if record.status == ProcedureStatus.PUBLISHED:
        # The import of the national database publishes without the review step (`review.IMPORT_TRANSITIONS`).
        changed = review.move(procedure, ProcedureStatus.PUBLISHED, at=now, imported=True)
        _save_published(procedure, changed, at=now)
    return procedure, True


def _locked(procedure_id: int) -> Procedure:
    found = Procedure.objects.select_for_update().filter(pk=procedure_id).first()
    if found is None:
        raise NotFound(gettext("Không tìm thấy phiên bản thủ tục hành chính."))
    return found


def submit_for_review(*, procedure_id: int, actor: Any, request: HttpRequest | None = None) -> Procedure:
    """Send a draft version for review. The draft must be a complete record (what an import would accept);
    it cannot be edited while in review."""
    with transaction.atomic():
        procedure = _locked(procedure_id)
        changed = review.move(procedure, ProcedureStatus.IN_REVIEW, at=timezone.now(), by=actor)
        from .selectors import procedure_record

        try:
            procedure_record(procedure)
        except ValidationError as error:
            raise DomainError(
                gettext("Bản nháp %(code)s chưa đủ thông tin để gửi duyệt: %(problem)s")
                % {"code": procedure.code, "problem": "; ".join(str(e["msg"]) for e in error.errors()[:3])}
            ) from error
        procedure.save(update_fields=changed)
        audit.record("catalogue.submitted_for_review", actor=actor, request=request, target=procedure)
    return procedure


def return_to_draft(
    *, procedure_id: int, actor: Any, reason: str, request: HttpRequest | None = None
) -> Procedure:
    """Return a version in review to its author as a draft, with the reason (shown on the draft)."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DomainError(gettext("Hãy ghi lý do trả lại để cán bộ cập nhật biết cần sửa gì."))
    _require_publisher(actor)
    with transaction.atomic():
        procedure = _locked(procedure_id)
        changed = review.move(procedure, ProcedureStatus.DRAFT, at=timezone.now(), note=reason[:2000])
        procedure.save(update_fields=changed)
        audit.record(
            "catalogue.returned_to_draft",
            actor=actor,
            request=request,
            target=procedure,
            detail={"reason": reason[:2000]},
        )
    return procedure


def _require_publisher(actor: Any) -> None:
    if actor is None or not actor.has_perm(review.PUBLISH_PERMISSION):
        raise Forbidden(
            gettext("Chỉ lãnh đạo đơn vị hoặc quản trị Cổng được duyệt và công bố thủ tục hành chính.")
        )


def publish(*, procedure_id: int, actor: Any, request: HttpRequest | None = None) -> Procedure:
    """Publish a version in review; the version it replaces is superseded and stays readable.

    Only someone with `catalogue.publish_procedure` may publish, and with `CATALOGUE_REVIEW_FOUR_EYES` not the
    officer who sent the version for review."""
    _require_publisher(actor)
    with transaction.atomic():
        procedure = _locked(procedure_id)
        now = timezone.now()
        changed = review.move(procedure, ProcedureStatus.PUBLISHED, at=now)
        # The state is checked first; a refusal here drops the moved copy with the transaction.
        if settings.CATALOGUE_REVIEW_FOUR_EYES and procedure.submitted_by_id == actor.pk:
            raise Forbidden(
                gettext(
                    "Người gửi duyệt không được tự công bố phiên bản %(code)s v%(version)s: cần một người khác duyệt."
                )
                % {"code": procedure.code, "version": procedure.version}
            )
        _save_published(procedure, changed, at=now)
        audit.record(
            "catalogue.published",
            actor=actor,
            request=request,
            target=procedure,
            detail={"submitted_by": procedure.submitted_by_id},
        )
    return procedure


def _save_published(procedure: Procedure, changed: list[str], *, at: datetime) -> None:
    """Save `procedure`, just moved to published (`changed` by `review.move`), as the published version of its
    code: the previous one is superseded first (one published version per code). The caller holds the
    transaction."""
    previous = (
        Procedure.objects.select_for_update()
        .filter(code=procedure.code, status=ProcedureStatus.PUBLISHED)
        .exclude(pk=procedure.pk)
        .first()
    )
    if previous is not None:
        previous.save(update_fields=review.move(previous, ProcedureStatus.SUPERSEDED, at=at))
        _reindex(previous)
    # A draft may have been edited since it was opened: the hash must describe what is published, so that
    # re-importing older content is not taken as "unchanged".
    from .selectors import procedure_record

    procedure.content_hash = content_hash(procedure_record(procedure))
    procedure.save(update_fields=[*changed, "content_hash"])
    _reindex(procedure)


# What a new version does not take from the one it revises: its identity, and its state with the fields that go
# with it (a new version starts as the model's default, a draft never sent for review).
_VERSION_FIELDS = frozenset(
    {
        "id",
        "code",
        "version",
        "status",
        "created_at",
        "published_at",
        "superseded_at",
        "submitted_by",
        "submitted_at",
        "review_note",
    }
)


@transaction.atomic
def start_revision(*, code: str, actor: Any = None, request: HttpRequest | None = None) -> Procedure:
    """Open a draft of the next version of a published procedure, copied from it (editing a published
    procedure never changes it in place). If the code already has an open version (a draft, or the version in
    review), that one is handed back instead; only a new version is audited."""
    current = Procedure.objects.filter(code=code, status=ProcedureStatus.PUBLISHED).first()
    if current is None:
        raise NotFound(f"Không có thủ tục đang áp dụng với mã {code}.")
    existing = Procedure.objects.filter(code=code, status__in=review.UNPUBLISHED).first()
    if existing:
        return existing
    next_version = (Procedure.objects.filter(code=code).aggregate(m=Max("version"))["m"] or 0) + 1
    content = {
        model_field.attname: getattr(current, model_field.attname)
        for model_field in Procedure._meta.concrete_fields
        if model_field.name not in _VERSION_FIELDS
    }
    draft = Procedure.objects.create(code=code, version=next_version, **content)
    draft.fields.set(current.fields.all())
    audit.record("catalogue.revision_started", actor=actor, request=request, target=draft)
    return draft


@transaction.atomic
def save_faq(*, record: FaqRecord) -> str:
    """Create or update a FAQ by code; returns "created", "updated" or "unchanged"."""
    digest = content_hash(record)
    faq = Faq.objects.select_for_update().filter(code=record.code).first()
    if faq is not None and faq.content_hash == digest:
        return "unchanged"
    agency = Agency.objects.filter(code=record.agency).first() if record.agency else None
    if record.agency and agency is None:
        raise DomainError(f"Không có cơ quan mã {record.agency} trong danh mục cơ quan.")
    values = {
        "question": record.question,
        "answer": record.answer,
        "question_en": record.question_en,
        "answer_en": record.answer_en,
        "field": field_for_name(record.field) if record.field else None,
        "agency": agency,
        "source": record.source,
        "synthetic": record.synthetic,
        "content_hash": digest,
    }
    faq, created = Faq.objects.update_or_create(code=record.code, defaults=values)
    FaqProcedure.objects.filter(faq=faq).delete()
    FaqProcedure.objects.bulk_create(
        [FaqProcedure(faq=faq, procedure_code=code) for code in dict.fromkeys(record.procedures)]
    )
    search.index_entry("faq", faq.pk, search.entry_values_for_faq(faq))
    return "created" if created else "updated"


def import_catalogue(*, content: bytes, file_name: str, actor: str = "") -> ImportReport:
    """Import a JSON or CSV file of procedures and/or FAQ, all or nothing.

    Every error of the file is collected (row and column, in Vietnamese) and raised together as
    `ValidationFailed`; then nothing of the file is saved. The attempt is recorded in `ImportRun` either way.
    """
    file_format = "csv" if file_name.lower().endswith(".csv") else "json"
    try:
        parsed = read_file(content, file_format=file_format)
        parsed.errors += _reference_errors(parsed.procedures, parsed.faqs)
        parsed.raise_errors()
        report = _save_all(parsed.procedures, parsed.faqs, imported_by=actor)
    except ValidationFailed as failure:
        ImportRun.objects.create(
            file_name=file_name,
            file_format=file_format,
            actor=actor,
            accepted=False,
            errors=[{"row": e.row, "column": e.column, "message": e.message} for e in failure.errors],
        )
        raise
    ImportRun.objects.create(
        file_name=file_name,
        file_format=file_format,
        actor=actor,
        accepted=True,
        procedures_created=report.procedures_created,
        procedures_unchanged=report.procedures_unchanged,
        faqs_created=report.faqs_created,
        faqs_updated=report.faqs_updated,
        faqs_unchanged=report.faqs_unchanged,
    )
    return report


def _reference_errors(
    procedures: list[tuple[int, ProcedureRecord]], faqs: list[tuple[int, FaqRecord]]
) -> list[FieldError]:
    """What only the database can tell: unknown agencies and provinces, and codes repeated in the file."""
    errors: list[FieldError] = []
    agency_codes = {r.managing_agency for _, r in procedures} | {r.agency for _, r in faqs if r.agency}
    known_agencies = set(Agency.objects.filter(code__in=agency_codes).values_list("code", flat=True))
    provinces = set(
        AdministrativeUnit.objects.filter(level=UnitLevel.PROVINCE).values_list("code", flat=True)
    )
    seen: dict[str, int] = {}
    for row, record in procedures:
        if record.code in seen:
            errors.append(
                FieldError(row, "code", f"Mã thủ tục {record.code} bị trùng với dòng {seen[record.code]}.")
            )
        seen.setdefault(record.code, row)
        if record.managing_agency not in known_agencies:
            errors.append(
                FieldError(
                    row,
                    "managing_agency",
                    f"Không có cơ quan mã “{record.managing_agency}” trong danh mục cơ quan.",
                )
            )
        if record.province and record.province not in provinces:
            errors.append(FieldError(row, "province", f"Không có tỉnh, thành phố mã “{record.province}”."))
    seen_faq: dict[str, int] = {}
    for row, faq in faqs:
        if faq.code in seen_faq:
            errors.append(
                FieldError(row, "code", f"Mã câu hỏi {faq.code} bị trùng với dòng {seen_faq[faq.code]}.")
            )
        seen_faq.setdefault(faq.code, row)
        if faq.agency and faq.agency not in known_agencies:
            errors.append(
                FieldError(row, "agency", f"Không có cơ quan mã “{faq.agency}” trong danh mục cơ quan.")
            )
    return errors


@transaction.atomic
def _save_all(
    procedures: list[tuple[int, ProcedureRecord]], faqs: list[tuple[int, FaqRecord]], *, imported_by: str
) -> ImportReport:
    report = ImportReport()
    for _, record in procedures:
        _, created = save_procedure(record=record, imported_by=imported_by)
        if created:
            report.procedures_created += 1
        else:
            report.procedures_unchanged += 1
        report.codes.append(record.code)
    for _, faq in faqs:
        outcome = save_faq(record=faq)
        setattr(report, f"faqs_{outcome}", getattr(report, f"faqs_{outcome}") + 1)
    return report


@transaction.atomic
def save_life_event(
    *,
    slug: str,
    name: str,
    name_en: str,
    description: str,
    description_en: str,
    audience: str,
    procedure_codes: list[str],
    position: int,
) -> LifeEvent:
    event, _ = LifeEvent.objects.update_or_create(
        slug=slug,
        defaults={
            "name": name,
            "name_en": name_en,
            "description": description,
            "description_en": description_en,
            "audience": audience,
            "procedure_codes": procedure_codes,
            "position": position,
        },
    )
    return event
