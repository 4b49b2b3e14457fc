"""Import is all-or-nothing, with every error listed by row and column in Vietnamese."""

import csv
import io
import json

import pytest

from dichvucong.catalogue.models import Faq, ImportRun, Procedure, SearchEntry
from dichvucong.catalogue.selectors import export_catalogue
from dichvucong.catalogue.services import import_catalogue
from dichvucong.core.errors import ValidationFailed
from tests.conftest import procedure_data

pytestmark = pytest.mark.django_db


def _json(procedures: list[dict], faqs: list[dict] | None = None) -> bytes:
    return json.dumps({"procedures": procedures, "faqs": faqs or []}, ensure_ascii=False).encode()


def test_good_json_file_imports_procedures_and_faqs() -> None:
    faq = {
        "code": "HD-1",
        "question": "Làm hộ chiếu ở đâu?",
        "answer": "Tại cơ quan xuất nhập cảnh.",
        "procedures": ["1.001456"],
        "source": "test",
    }
    report = import_catalogue(content=_json([procedure_data()], [faq]), file_name="a.json")
    assert (report.procedures_created, report.faqs_created) == (1, 1)
    assert Procedure.objects.get(code="1.001456").status == "published"
    assert SearchEntry.objects.filter(kind="faq", code="HD-1").exists()


def test_bad_json_file_lists_every_error_by_row_and_column_and_imports_nothing() -> None:
    good = procedure_data(code="1.000001")
    bad_code = procedure_data(code="1001456")
    bad_fee = procedure_data(code="1.000003")
    bad_fee["methods"][0]["fees"][0]["amount"] = "hai trăm nghìn"
    bad_level = procedure_data(code="1.000004", levels=["district"], managing_agency="KHONGCO")
    missing = procedure_data(code="1.000005")
    del missing["name"]
    content = _json([good, bad_code, bad_fee, bad_level, missing])

    with pytest.raises(ValidationFailed) as failure:
        import_catalogue(content=content, file_name="bad.json")

    errors = {(e.row, e.column): e.message for e in failure.value.errors}
    assert "Mã thủ tục phải có dạng" in errors[(2, "code")]
    assert "số nguyên" in errors[(3, "methods[1].fees[1].amount")]
    assert "chỉ chấp nhận" in errors[(4, "levels[1]")]
    assert errors[(5, "name")] == "Thiếu trường bắt buộc."
    assert Procedure.objects.count() == 0
    assert SearchEntry.objects.count() == 0
    run = ImportRun.objects.get()
    assert not run.accepted and len(run.errors) == len(failure.value.errors)


def test_unknown_agency_and_duplicate_codes_reject_the_whole_file() -> None:
    content = _json(
        [procedure_data(), procedure_data(), procedure_data(code="1.000009", managing_agency="KHONGCO")]
    )
    with pytest.raises(ValidationFailed) as failure:
        import_catalogue(content=content, file_name="dup.json")
    messages = {(e.row, e.column): e.message for e in failure.value.errors}
    assert "trùng với dòng 1" in messages[(2, "code")]
    assert "KHONGCO" in messages[(3, "managing_agency")]
    assert Procedure.objects.count() == 0


def test_broken_json_is_reported_with_its_line() -> None:
    with pytest.raises(ValidationFailed) as failure:
        import_catalogue(content=b'{"procedures": [', file_name="x.json")
    assert "JSON không hợp lệ" in failure.value.errors[0].message


def test_bad_csv_row_reports_line_and_column_and_imports_nothing() -> None:
    exported = _csv_of([procedure_data(), procedure_data(code="1.000002", online_level="muc-4")])
    with pytest.raises(ValidationFailed) as failure:
        import_catalogue(content=exported.encode(), file_name="p.csv")
    assert [(e.row, e.column) for e in failure.value.errors] == [(3, "online_level")]
    assert Procedure.objects.count() == 0


def test_csv_json_cell_must_be_json() -> None:
    text = _csv_of([procedure_data()]).replace('[{""title"": ""Nộp hồ sơ""', "[{title: Nộp hồ sơ", 1)
    with pytest.raises(ValidationFailed) as failure:
        import_catalogue(content=text.encode(), file_name="p.csv")
    assert failure.value.errors[0].column == "steps"


def test_import_twice_changes_nothing() -> None:
    content = _json([procedure_data()])
    import_catalogue(content=content, file_name="a.json")
    report = import_catalogue(content=content, file_name="a.json")
    assert (report.procedures_created, report.procedures_unchanged) == (0, 1)
    assert Procedure.objects.count() == 1


def test_export_imports_back_unchanged_in_json_and_csv() -> None:
    import_catalogue(content=_json([procedure_data()]), file_name="a.json")
    for file_format in ("json", "csv"):
        exported = export_catalogue(kind="procedures", file_format=file_format)
        report = import_catalogue(content=exported.encode(), file_name=f"export.{file_format}")
        assert report.procedures_unchanged == 1, file_format
    assert Procedure.objects.count() == 1


def test_faq_csv_round_trip() -> None:
    faq = {
        "code": "HD-1",
        "question": "Làm hộ chiếu ở đâu?",
        "answer": "Tại cơ quan xuất nhập cảnh.",
        "procedures": ["1.001456", "1.001193"],
        "source": "test",
    }
    import_catalogue(content=_json([], [faq]), file_name="f.json")
    exported = export_catalogue(kind="faqs", file_format="csv")
    assert import_catalogue(content=exported.encode(), file_name="f.csv").faqs_unchanged == 1
    assert sorted(Faq.objects.get().procedure_links.values_list("procedure_code", flat=True)) == [
        "1.001193",
        "1.001456",
    ]


def _csv_of(records: list[dict]) -> str:
    from dichvucong.catalogue.records import PROCEDURE_JSON_FIELDS, PROCEDURE_LIST_FIELDS, ProcedureRecord

    columns = list(ProcedureRecord.model_fields)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    for record in records:
        row = {}
        for column in columns:
            value = record.get(column, "")
            if column in PROCEDURE_LIST_FIELDS:
                row[column] = ";".join(value or [])
            elif column in PROCEDURE_JSON_FIELDS:
                row[column] = json.dumps(value, ensure_ascii=False)
            else:
                row[column] = "" if value is None else value
        writer.writerow(row)
    return buffer.getvalue()


def test_procedure_code_prefix_must_be_a_configured_type(settings: object) -> None:
    settings.PROCEDURE_CODE_PREFIXES = ["1", "2", "3"]  # type: ignore[attr-defined]
    with pytest.raises(ValidationFailed) as failure:
        import_catalogue(content=_json([procedure_data(code="5.000001")]), file_name="p.json")
    assert [(e.row, e.column) for e in failure.value.errors] == [(1, "code")]
    assert "phải là một trong: 1, 2, 3" in failure.value.errors[0].message


def test_format_errors_and_unknown_agencies_are_reported_together() -> None:
    content = _json(
        [procedure_data(code="1001456"), procedure_data(code="1.000002", managing_agency="KHONGCO")]
    )
    with pytest.raises(ValidationFailed) as failure:
        import_catalogue(content=content, file_name="both.json")
    assert [(e.row, e.column) for e in failure.value.errors] == [(1, "code"), (2, "managing_agency")]
