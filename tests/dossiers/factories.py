"""Factories for the dossier tests: the real birth registration procedure and its e-form, a citizen with an
address, a filled-in form, real small files (PDF, JPEG, PNG), drafts and submitted dossiers."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from dichvucong.catalogue.records import ProcedureRecord

DEMO_PROCEDURES = (
    Path(__file__).resolve().parents[2] / "dichvucong" / "catalogue" / "demo" / "procedures.json"
)
BIRTH = "1.001193"
HA_NOI, BA_DINH, NGOC_HA = "01", "00004", "00008"
HO_CHI_MINH, THU_DAU_MOT = "79", "25747"
# Monday 2 November 2026, 09:00 in Hà Nội.
MONDAY_9AM = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
MOTHER_ID = "001195012345"  # Hà Nội, female born 1995
FATHER_ID = "001093054321"  # Hà Nội, male born 1993
APPLICANT_ID = "001093054321"


def demo_procedure(code: str) -> dict[str, Any]:
    procedures = json.loads(DEMO_PROCEDURES.read_text(encoding="utf-8"))["procedures"]
    return next(p for p in procedures if p["code"] == code)


def make_demo_procedure(code: str = BIRTH, **overrides: Any) -> Any:
    from dichvucong.catalogue.services import save_procedure

    data = demo_procedure(code) | overrides
    procedure, _ = save_procedure(record=ProcedureRecord.model_validate(data))
    from dichvucong.catalogue.selectors import procedure_get

    return procedure_get(procedure.code)


def birth_procedure_with_eform() -> Any:
    from dichvucong.dossiers.demo_eforms import load_demo_eforms

    procedure = make_demo_procedure(BIRTH)
    load_demo_eforms()
    return procedure


def citizen_with_address(**overrides: Any) -> Any:
    from dichvucong.organisations.models import AdministrativeUnit
    from tests.conftest import make_citizen

    values: dict[str, Any] = {
        "citizen_id": APPLICANT_ID,
        "date_of_birth": dt.date(1993, 5, 17),
        "sex": "male",
        "address_unit": AdministrativeUnit.objects.get(code=BA_DINH),
        "address_line": "12 phố Đội Cấn",
    }
    return make_citizen(**(values | overrides))


def birth_steps() -> list[dict[str, Any]]:
    """What a citizen types in each step of the birth registration form (raw, as posted)."""
    return [
        {
            "applicant_name": "Nguyễn Văn An",
            "applicant_id_number": APPLICANT_ID,
            "applicant_phone": "0912 345 678",
            "applicant_email": "an.nguyen@example.vn",
            "applicant_address": {"province": HA_NOI, "commune": BA_DINH, "street": "12 phố Đội Cấn"},
            "relation": "cha",
        },
        {
            "child_name": "Nguyễn Minh Khang",
            "child_date_of_birth": "20/10/2026",
            "child_sex": "male",
            "child_birth_place": {
                "province": HA_NOI,
                "commune": NGOC_HA,
                "street": "Bệnh viện Phụ sản Hà Nội",
            },
            "child_hometown": {"province": HA_NOI, "commune": BA_DINH, "street": ""},
            "child_ethnicity": "Kinh",
            "child_nationality": "Việt Nam",
        },
        {
            "mother_name": "Trần Thị Bình",
            "mother_date_of_birth": "03/04/1995",
            "mother_id_number": MOTHER_ID,
            "mother_ethnicity": "Kinh",
            "mother_nationality": "Việt Nam",
            "mother_residence": {"province": HA_NOI, "commune": BA_DINH, "street": "12 phố Đội Cấn"},
        },
        {
            "father_name": "Nguyễn Văn An",
            "father_date_of_birth": "17/05/1993",
            "father_id_number": FATHER_ID,
            "father_ethnicity": "Kinh",
            "father_nationality": "Việt Nam",
            "father_residence": {"province": HA_NOI, "commune": BA_DINH, "street": "12 phố Đội Cấn"},
        },
        {
            "registration_place": {"province": HA_NOI, "commune": BA_DINH, "street": ""},
            "copies": "1",
            "declaration": True,
        },
    ]


def post_data(raw: dict[str, Any]) -> dict[str, Any]:
    """A step's raw values as a browser posts them (an address as three inputs, a checkbox as "on")."""
    data: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, dict):
            for part, text in value.items():
                data[f"{name}__{part}"] = text
        elif value is True:
            data[name] = "on"
        elif value is not False:
            data[name] = value
    return data


# --- files ----------------------------------------------------------------------------------------------------


def pdf_bytes(text: str = "Giay chung sinh") -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(text=text)
    return bytes(pdf.output())


def image_bytes(kind: str = "JPEG", size: tuple[int, int] = (40, 30)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- drafts and dossiers --------------------------------------------------------------------------------------


def filled_draft(owner: Any, *, with_files: bool = True) -> Any:
    """A birth registration draft with every step saved and, if `with_files`, the birth certificate attached."""
    from dichvucong.dossiers import drafts

    draft = drafts.start_draft(owner=owner, procedure_code=BIRTH)
    for index, raw in enumerate(birth_steps()):
        errors = drafts.save_step(draft=draft, step=index, raw=raw, today=dt.date(2026, 11, 2))
        assert not errors, errors
    if with_files:
        drafts.attach_upload(
            draft=draft, slot="doc-2", uploaded_file=upload("giay-chung-sinh.pdf", pdf_bytes())
        )
    return draft


def submitted_dossier(owner: Any, *, now: dt.datetime = MONDAY_9AM) -> Any:
    from dichvucong.dossiers import drafts

    return drafts.submit(draft=filled_draft(owner), now=now)
