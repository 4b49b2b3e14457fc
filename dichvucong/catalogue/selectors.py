"""Reads of the catalogue: procedures and their versions, FAQ, life events, and export."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from dichvucong.core.errors import NotFound
from dichvucong.core.scope import AgencyScope

from .models import Faq, FaqProcedure, Field, LifeEvent, Procedure, ProcedureStatus
from .records import FAQ_LIST_FIELDS, PROCEDURE_JSON_FIELDS, PROCEDURE_LIST_FIELDS, FaqRecord, ProcedureRecord


def _procedures() -> QuerySet[Procedure]:
    return Procedure.objects.select_related("managing_agency", "province").prefetch_related("fields")


def procedure_get(code: str, *, version: int | None = None) -> Procedure:
    """The published version of a procedure, or the given version (published or superseded)."""
    procedures = _procedures().filter(code=code)
    if version is None:
        found = procedures.filter(status=ProcedureStatus.PUBLISHED).first()
    else:
        found = procedures.filter(version=version).exclude(status=ProcedureStatus.DRAFT).first()
    if found is None:
        raise NotFound(f"Không tìm thấy thủ tục hành chính có mã {code}.")
    return found


def procedure_versions(code: str) -> list[Procedure]:
    return list(
        Procedure.objects.filter(code=code)
        .exclude(status=ProcedureStatus.DRAFT)
        .only("code", "version", "status", "published_at", "superseded_at", "name")
        .order_by("-version")
    )


def published_procedures() -> QuerySet[Procedure]:
    return _procedures().filter(status=ProcedureStatus.PUBLISHED).order_by("code")


def procedures_by_codes(codes: list[str]) -> list[Procedure]:
    """Published procedures in the order of `codes` (unknown codes are skipped)."""
    found = {p.code: p for p in published_procedures().filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


def faqs_for_procedure(code: str, *, limit: int = 10) -> list[Faq]:
    return list(
        Faq.objects.filter(procedure_links__procedure_code=code)
        .select_related("field")
        .order_by("code")[:limit]
    )


def faq_list(*, field: str | None = None) -> QuerySet[Faq]:
    faqs = Faq.objects.select_related("field", "agency").prefetch_related(
        Prefetch("procedure_links", queryset=FaqProcedure.objects.order_by("procedure_code"))
    )
    if field:
        faqs = faqs.filter(field__slug=field)
    return faqs.order_by("code")


def faq_get(code: str) -> Faq:
    try:
        return faq_list().get(code=code)
    except Faq.DoesNotExist as exc:
        raise NotFound(f"Không tìm thấy câu hỏi có mã {code}.") from exc


def field_list() -> QuerySet[Field]:
    return Field.objects.order_by("name")


def life_events() -> QuerySet[LifeEvent]:
    return LifeEvent.objects.order_by("position", "slug")


def life_event_get(slug: str) -> LifeEvent:
    try:
        return LifeEvent.objects.get(slug=slug)
    except LifeEvent.DoesNotExist as exc:
        raise NotFound("Không tìm thấy nhóm thủ tục này.") from exc


# --- export ----------------------------------------------------------------------------------------------------


def procedure_record(procedure: Procedure) -> ProcedureRecord:
    return ProcedureRecord.model_validate(
        {
            "code": procedure.code,
            "name": procedure.name,
            "name_en": procedure.name_en,
            "summary": procedure.summary,
            "summary_en": procedure.summary_en,
            "decision": procedure.decision,
            "levels": procedure.levels,
            "fields": [f.name for f in procedure.fields.all()],
            "audiences": procedure.audiences,
            "managing_agency": procedure.managing_agency.code,
            "competent_agency": procedure.competent_agency,
            "implementing_agency": procedure.implementing_agency,
            "authorised_agency": procedure.authorised_agency,
            "coordinating_agencies": procedure.coordinating_agencies,
            "receiving_address": procedure.receiving_address,
            "steps": procedure.steps,
            "methods": procedure.methods,
            "documents": procedure.documents,
            "conditions": procedure.conditions,
            "results": procedure.results,
            "legal_basis": procedure.legal_basis,
            "related_procedures": procedure.related_procedures,
            "online_level": procedure.online_level,
            "province": procedure.province.code if procedure.province else None,
            "source": procedure.source,
            "status": "published",
            "synthetic": procedure.synthetic,
        }
    )


def faq_record(faq: Faq) -> FaqRecord:
    return FaqRecord(
        code=faq.code,
        question=faq.question,
        answer=faq.answer,
        question_en=faq.question_en,
        answer_en=faq.answer_en,
        procedures=[link.procedure_code for link in faq.procedure_links.all()],
        field=faq.field.name if faq.field else "",
        agency=faq.agency.code if faq.agency else "",
        source=faq.source,
        synthetic=faq.synthetic,
    )


def export_catalogue(*, kind: str, file_format: str, agency: str | None = None) -> str:
    """The published procedures (kind="procedures") or the FAQ (kind="faqs") in the import format, so that an
    export imports back unchanged."""
    if kind == "procedures":
        procedures = published_procedures()
        if agency:
            procedures = procedures.filter(managing_agency__code=agency)
        rows: list[dict[str, Any]] = [procedure_record(p).model_dump(mode="json") for p in procedures]
        list_fields: tuple[str, ...] = PROCEDURE_LIST_FIELDS
        json_fields: tuple[str, ...] = PROCEDURE_JSON_FIELDS
        columns = list(ProcedureRecord.model_fields)
    else:
        faqs = faq_list()
        if agency:
            faqs = faqs.filter(agency__code=agency)
        rows = [faq_record(f).model_dump(mode="json") for f in faqs]
        list_fields, json_fields = FAQ_LIST_FIELDS, ()
        columns = list(FaqRecord.model_fields)
    if file_format == "json":
        return json.dumps({kind: rows}, ensure_ascii=False, indent=2)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        out: dict[str, Any] = {}
        for column in columns:
            value = row.get(column)
            if column in list_fields:
                out[column] = ";".join(value or [])
            elif column in json_fields:
                out[column] = json.dumps(value, ensure_ascii=False)
            elif value is None:
                out[column] = ""
            elif isinstance(value, bool):
                out[column] = "true" if value else "false"
            else:
                out[column] = value
        writer.writerow(out)
    return buffer.getvalue()


# --- reads for officers, limited to their agency scope ---------------------------------------------------------


def procedures_in_scope(scope: AgencyScope, *, status: str | None = None) -> QuerySet[Procedure]:
    """Every version (drafts included) of the procedures managed by the agencies in scope."""
    procedures = scope.filter(Procedure.objects.select_related("managing_agency"), "managing_agency")
    if status:
        procedures = procedures.filter(status=status)
    return procedures.order_by("code", "-version")


def procedure_versions_in_scope(scope: AgencyScope, code: str) -> list[Procedure]:
    versions = list(procedures_in_scope(scope).filter(code=code))
    if not versions:
        raise NotFound(f"Không tìm thấy thủ tục có mã {code}.")
    return versions


def faqs_in_scope(scope: AgencyScope) -> QuerySet[Faq]:
    return scope.filter(Faq.objects.select_related("agency", "field"), "agency").order_by("code")


def faq_in_scope(scope: AgencyScope, code: str) -> Faq:
    try:
        return faqs_in_scope(scope).get(code=code)
    except Faq.DoesNotExist as exc:
        raise NotFound(f"Không tìm thấy câu hỏi có mã {code}.") from exc


def counts_in_scope(scope: AgencyScope) -> dict[str, int]:
    """Procedure versions by state for the managing agencies in `scope` (every state present, 0 if none); one
    query on `procedure_agency_status_idx`."""
    counts = {status.value: 0 for status in ProcedureStatus}
    rows = (
        scope.filter(Procedure.objects.all(), "managing_agency")
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def awaiting_review(scope: AgencyScope, *, limit: int = 5) -> list[Procedure]:
    """The versions in review of the agencies in `scope`, the longest waiting first."""
    return list(
        scope.filter(Procedure.objects.filter(status=ProcedureStatus.IN_REVIEW), "managing_agency")
        .select_related("managing_agency", "submitted_by")
        .order_by("submitted_at", "id")[:limit]
    )
