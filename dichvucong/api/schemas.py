"""Response schemas of the public read API (v1)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema


class ProcedureItem(Schema):
    code: str
    name: str
    name_en: str
    summary: str
    status: str
    levels: list[str]
    fields: list[str]
    agency: str
    online_level: str
    province: str | None
    name_html: str
    snippet_html: str
    score: float


class ProcedureList(Schema):
    items: list[ProcedureItem]
    count: int
    corrections: list[list[str]]
    matched_all_words: bool


class VersionItem(Schema):
    version: int
    status: str
    published_at: dt.datetime | None
    superseded_at: dt.datetime | None


class ProcedureDetail(Schema):
    code: str
    version: int
    status: str
    procedure_type: str
    published_at: dt.datetime | None
    name: str
    name_en: str
    summary: str
    summary_en: str
    decision: str
    levels: list[str]
    fields: list[str]
    audiences: list[str]
    managing_agency: str
    competent_agency: str
    implementing_agency: str
    authorised_agency: str
    coordinating_agencies: str
    receiving_address: str
    steps: list[dict[str, Any]]
    methods: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    conditions: str
    results: list[dict[str, Any]]
    legal_basis: list[dict[str, Any]]
    related_procedures: list[str]
    online_level: str
    province: str | None
    source: str
    versions: list[VersionItem]
    faqs: list[str]


class FaqItem(Schema):
    code: str
    question: str
    answer: str
    question_en: str
    answer_en: str
    field: str | None
    agency: str | None
    procedures: list[str]
    source: str


class FaqHit(Schema):
    code: str
    question: str
    question_html: str
    snippet_html: str
    score: float


class FaqList(Schema):
    items: list[FaqHit]
    count: int


class SearchItem(Schema):
    kind: str
    code: str
    title: str
    title_html: str
    snippet_html: str
    status: str
    score: float


class SearchList(Schema):
    items: list[SearchItem]
    count: int
    corrections: list[list[str]]
    matched_all_words: bool


class Suggestion(Schema):
    kind: str
    code: str
    title: str


class AgencyItem(Schema):
    code: str
    name: str
    name_en: str
    level: str
    kind: str
    sector: str
    parent: str | None
    province: str | None
    identification_code: str


class AgencyDetail(AgencyItem):
    address: str
    phone: str
    email: str
    website: str
    office_hours: list[str]
    receipt_cutoff: str
    works_saturday_morning: bool


class DayOff(Schema):
    date: dt.date
    reason: str


class AgencyList(Schema):
    items: list[AgencyItem]
    count: int


class UnitItem(Schema):
    code: str
    name: str
    level: str
    division_type: str
    parent: str | None


class UnitList(Schema):
    items: list[UnitItem]
    count: int


class FieldItem(Schema):
    slug: str
    name: str
    name_en: str


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    instance: str
