"""Public read API of the catalogue: procedures, FAQ, search, suggestions, fields."""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field as PydanticField

from dichvucong.catalogue import search as catalogue_search
from dichvucong.catalogue import selectors
from dichvucong.catalogue.models import Faq, Procedure

from .schemas import (
    FaqHit,
    FaqItem,
    FaqList,
    FieldItem,
    Problem,
    ProcedureDetail,
    ProcedureItem,
    ProcedureList,
    SearchItem,
    SearchList,
    Suggestion,
    VersionItem,
)

router = Router(tags=["catalogue"])
ERRORS = {404: Problem, 422: Problem}


class Page(Schema):
    q: str = PydanticField("", max_length=200, description="Từ khóa, có dấu hoặc không dấu")
    limit: int = PydanticField(20, ge=1, le=settings.API_MAX_LIMIT)
    offset: int = PydanticField(0, ge=0, le=100_000)


class ProcedureFilters(Page):
    field: str | None = None
    agency: str | None = None
    level: Literal["ministry", "province", "commune", "other"] | None = None
    audience: str | None = None
    online_level: Literal["none", "partial", "full"] | None = None
    province: str | None = PydanticField(None, pattern=r"^\d{2}$")
    include_superseded: bool = True


@router.get("/procedures", response={200: ProcedureList, 422: Problem}, summary="Tìm thủ tục hành chính")
def list_procedures(request: HttpRequest, params: Query[ProcedureFilters]) -> ProcedureList:
    results = catalogue_search.search(
        params.q,
        catalogue_search.Filters(
            kind="procedure",
            field=params.field,
            agency=params.agency,
            level=params.level,
            audience=params.audience,
            online_level=params.online_level,
            province=params.province,
            include_superseded=params.include_superseded,
        ),
        limit=params.limit,
        offset=params.offset,
    )
    return ProcedureList(
        items=[
            ProcedureItem(
                code=hit.code,
                name=hit.title,
                name_en=hit.title_en,
                summary=hit.summary,
                status=hit.status,
                levels=hit.levels,
                fields=hit.fields,
                agency=hit.agency,
                online_level=hit.online_level,
                province=hit.province or None,
                name_html=str(hit.title_html),
                snippet_html=str(hit.snippet_html),
                score=hit.score,
            )
            for hit in results.items
        ],
        count=results.count,
        corrections=[list(c) for c in results.corrections],
        matched_all_words=results.matched_all_words,
    )


def _detail(procedure: Procedure) -> ProcedureDetail:
    """The interchange record of the version (the same fields import and export use), with what only a published
    catalogue knows: version, status, history and linked FAQ."""
    record = selectors.procedure_record(procedure).model_dump(mode="json", exclude={"status", "synthetic"})
    return ProcedureDetail(
        **record,
        version=procedure.version,
        status=procedure.status,
        procedure_type=procedure.procedure_type,
        published_at=procedure.published_at,
        versions=[
            VersionItem(
                version=v.version, status=v.status, published_at=v.published_at, superseded_at=v.superseded_at
            )
            for v in selectors.procedure_versions(procedure.code)
        ],
        faqs=[f.code for f in selectors.faqs_for_procedure(procedure.code)],
    )


@router.get("/procedures/{code}", response={200: ProcedureDetail, **ERRORS}, summary="Một thủ tục hành chính")
def get_procedure(request: HttpRequest, code: str, version: int | None = None) -> ProcedureDetail:
    return _detail(selectors.procedure_get(code, version=version))


class FaqFilters(Page):
    field: str | None = None
    agency: str | None = None


@router.get("/faqs", response={200: FaqList, 422: Problem}, summary="Tìm câu hỏi thường gặp")
def list_faqs(request: HttpRequest, params: Query[FaqFilters]) -> FaqList:
    results = catalogue_search.search(
        params.q,
        catalogue_search.Filters(kind="faq", field=params.field, agency=params.agency),
        limit=params.limit,
        offset=params.offset,
    )
    return FaqList(
        items=[
            FaqHit(
                code=h.code,
                question=h.title,
                question_html=str(h.title_html),
                snippet_html=str(h.snippet_html),
                score=h.score,
            )
            for h in results.items
        ],
        count=results.count,
    )


def _faq(faq: Faq) -> FaqItem:
    record = selectors.faq_record(faq).model_dump(exclude={"synthetic"})
    return FaqItem(**{**record, "field": record["field"] or None, "agency": record["agency"] or None})


@router.get("/faqs/{code}", response={200: FaqItem, **ERRORS}, summary="Một câu hỏi thường gặp")
def get_faq(request: HttpRequest, code: str) -> FaqItem:
    return _faq(selectors.faq_get(code))


class SearchParams(Page):
    kind: Literal["procedure", "faq"] | None = None


@router.get("/search", response={200: SearchList, 422: Problem}, summary="Tìm chung thủ tục và hỏi đáp")
def search_all(request: HttpRequest, params: Query[SearchParams]) -> SearchList:
    results = catalogue_search.search(
        params.q, catalogue_search.Filters(kind=params.kind), limit=params.limit, offset=params.offset
    )
    return SearchList(
        items=[
            SearchItem(
                kind=h.kind,
                code=h.code,
                title=h.title,
                title_html=str(h.title_html),
                snippet_html=str(h.snippet_html),
                status=h.status,
                score=h.score,
            )
            for h in results.items
        ],
        count=results.count,
        corrections=[list(c) for c in results.corrections],
        matched_all_words=results.matched_all_words,
    )


@router.get("/suggestions", response=list[Suggestion], summary="Gợi ý khi đang gõ")
def suggestions(request: HttpRequest, q: str = "") -> list[Suggestion]:
    return [Suggestion(kind=h.kind, code=h.code, title=h.title) for h in catalogue_search.suggest(q[:200])]


@router.get("/fields", response=list[FieldItem], summary="Lĩnh vực")
def fields(request: HttpRequest) -> list[FieldItem]:
    return [FieldItem(slug=f.slug, name=f.name, name_en=f.name_en) for f in selectors.field_list()]
