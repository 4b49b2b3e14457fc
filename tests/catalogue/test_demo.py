"""The curated demo catalogue keeps the promises of the foundation issue."""

import json

import pytest

from dichvucong.catalogue.demo import DEMO_DIR, load_demo
from dichvucong.catalogue.models import Faq, LifeEvent, Procedure
from dichvucong.catalogue.validation import parse_file

REQUIRED = {
    "3.000333": "lý lịch tư pháp",
    "1.001193": "khai sinh",
    "1.000894": "kết hôn",
    "1.000656": "khai tử",
    "3.000347": "giấy phép lái xe",
    "1.001456": "hộ chiếu phổ thông",
    "1.004222": "thường trú",
    "1.013225": "nhà ở riêng lẻ",
    "2.001199": "trách nhiệm hữu hạn",
    "1.001612": "hộ kinh doanh",
    "1.001978": "trợ cấp thất nghiệp",
    "2.000815": "bản sao từ bản chính",
    "1.014061": "căn cước",
    "1.005348": "bảo hiểm xã hội tự nguyện",
    "1.013978": "lần đầu",
    "1.012575": "đăng ký xe",
}


@pytest.fixture(scope="module")
def records() -> tuple[list, list]:
    procedures, _ = parse_file((DEMO_DIR / "procedures.json").read_bytes(), file_format="json")
    _, faqs = parse_file((DEMO_DIR / "faqs.json").read_bytes(), file_format="json")
    return [r for _, r in procedures], [r for _, r in faqs]


def test_at_least_40_real_procedures_from_8_fields_at_every_level(records: tuple[list, list]) -> None:
    procedures, _ = records
    assert len(procedures) >= 40
    assert len({f for p in procedures for f in p.fields}) >= 8
    assert {"ministry", "province", "commune"} <= {level for p in procedures for level in p.levels}
    assert all(p.source.strip() and not p.synthetic for p in procedures)


def test_the_common_procedures_are_there(records: tuple[list, list]) -> None:
    names = {p.code: p.name.lower() for p in records[0]}
    for code, words in REQUIRED.items():
        assert words in names.get(code, ""), code


def test_every_demo_procedure_has_english_name_and_summary(records: tuple[list, list]) -> None:
    assert all(p.name_en and p.summary_en for p in records[0])


def test_at_least_100_questions_and_answers_with_sources(records: tuple[list, list]) -> None:
    _, faqs = records
    assert len(faqs) >= 100
    assert all(f.source.strip() for f in faqs)
    codes = {p.code for p in records[0]}
    assert all(set(f.procedures) <= codes for f in faqs)


def test_life_events_point_at_demo_procedures(records: tuple[list, list]) -> None:
    codes = {p.code for p in records[0]}
    events = json.loads((DEMO_DIR / "life_events.json").read_text(encoding="utf-8"))["life_events"]
    assert {"Có con nhỏ", "Khởi sự kinh doanh"} <= {e["name"] for e in events}
    assert all(set(e["procedure_codes"]) <= codes for e in events)


@pytest.mark.django_db
def test_load_demo_loads_once() -> None:
    load_demo()
    counts = (Procedure.objects.count(), Faq.objects.count(), LifeEvent.objects.count())
    assert counts[0] >= 40 and counts[1] >= 100 and counts[2] >= 2
    assert all(e.procedure_codes for e in LifeEvent.objects.all())
    assert load_demo() == "demo data already loaded"
    assert (Procedure.objects.count(), Faq.objects.count(), LifeEvent.objects.count()) == counts
