"""The interchange record of a procedure and of a FAQ (docs/import-format.md), validated with pydantic.

The same records are what import reads, export writes and the demo data holds, so there is one definition of
what a valid procedure is.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

LevelValue = Literal["ministry", "province", "commune", "other"]
AudienceValue = Literal[
    "citizen",
    "overseas_vietnamese",
    "foreigner",
    "enterprise",
    "fdi_enterprise",
    "cooperative",
    "organisation",
    "foreign_organisation",
    "official",
]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Step(Record):
    case: str = ""
    title: str = Field(min_length=1)
    description: str = ""
    title_en: str = ""
    description_en: str = ""


class Fee(Record):
    code: str = ""
    kind: Literal["fee", "charge"] = "fee"
    amount: int | None = Field(default=None, ge=0)
    description: str = ""


class Method(Record):
    channel: Literal["in_person", "online", "post"]
    time_limit: float | None = Field(default=None, ge=0)
    time_unit: Literal["working_days", "days", "hours", "months"] = "working_days"
    time_limit_text: str = ""
    description: str = ""
    fees: list[Fee] = []


class Document(Record):
    group: str = "Giấy tờ phải nộp"
    case: str = ""
    name: str = Field(min_length=1)
    template: str = ""
    template_url: str = ""
    originals: int = Field(default=0, ge=0)
    copies: int = Field(default=0, ge=0)
    required: bool = True


class Result(Record):
    name: str = Field(min_length=1)
    code: str = Field(default="", pattern=r"^(KQ\.G\d{2}\.\d{6})?$")


class LegalBasis(Record):
    number: str = Field(min_length=1)
    title: str = ""
    issued_on: dt.date | None = None
    issuer: str = ""


class ProcedureRecord(Record):
    code: str = Field(pattern=r"^\d\.\d{6}$")
    name: str = Field(min_length=3, max_length=500)
    name_en: str = ""
    summary: str = Field(min_length=1)
    summary_en: str = ""
    decision: str = ""
    levels: list[LevelValue] = Field(min_length=1)
    fields: list[str] = Field(min_length=1)
    audiences: list[AudienceValue] = Field(min_length=1)
    managing_agency: str = Field(min_length=1)
    competent_agency: str = Field(min_length=1)
    implementing_agency: str = ""
    authorised_agency: str = ""
    coordinating_agencies: str = ""
    receiving_address: str = ""
    steps: list[Step] = Field(min_length=1)
    methods: list[Method] = Field(min_length=1)
    documents: list[Document] = []
    conditions: str = ""
    results: list[Result] = Field(min_length=1)
    legal_basis: list[LegalBasis] = Field(min_length=1)
    related_procedures: list[str] = []
    online_level: Literal["none", "partial", "full"] = "none"
    province: str | None = Field(default=None, pattern=r"^\d{2}$")
    source: str = Field(min_length=1)
    status: Literal["draft", "published"] = "published"
    synthetic: bool = False

    @field_validator("code")
    @classmethod
    def _known_prefix(cls, value: str) -> str:
        from django.conf import settings

        if value[:1] not in settings.PROCEDURE_CODE_PREFIXES:
            raise ValueError(f"prefix:{value[:1]}")
        return value

    @field_validator("fields")
    @classmethod
    def _fields_not_blank(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip() for v in value if v.strip()]
        if not cleaned:
            raise ValueError("empty")
        return cleaned

    @field_validator("related_procedures")
    @classmethod
    def _related_codes(cls, value: list[str]) -> list[str]:
        import re

        for code in value:
            if not re.fullmatch(r"\d\.\d{6}", code):
                raise ValueError(f"related:{code}")
        return value


class FaqRecord(Record):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    question: str = Field(min_length=5)
    answer: str = Field(min_length=5)
    question_en: str = ""
    answer_en: str = ""
    procedures: list[str] = []
    field: str = ""
    agency: str = ""
    source: str = Field(min_length=1)
    synthetic: bool = False

    @field_validator("procedures")
    @classmethod
    def _linked_codes(cls, value: list[str]) -> list[str]:
        # Links have no order: keep them sorted so that a round trip hashes the same.
        return sorted(set(value))


PROCEDURE_LIST_FIELDS = ("levels", "fields", "audiences", "related_procedures")
PROCEDURE_JSON_FIELDS = ("steps", "methods", "documents", "results", "legal_basis")
FAQ_LIST_FIELDS = ("procedures",)
