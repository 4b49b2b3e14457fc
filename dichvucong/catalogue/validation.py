"""Reading an import file into validated records, collecting every error with its row and column, in
Vietnamese. Nothing here writes."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from dichvucong.core.errors import FieldError, ValidationFailed

from .records import (
    FAQ_LIST_FIELDS,
    PROCEDURE_JSON_FIELDS,
    PROCEDURE_LIST_FIELDS,
    FaqRecord,
    ProcedureRecord,
)

MAX_FILE_BYTES = 20 * 1024 * 1024

_ALLOWED = {
    "levels": "ministry, province, commune, other",
    "audiences": "citizen, overseas_vietnamese, foreigner, enterprise, fdi_enterprise, cooperative, "
    "organisation, foreign_organisation, official",
    "online_level": "none, partial, full",
    "channel": "in_person, online, post",
    "time_unit": "working_days, days, hours, months",
    "status": "draft, published",
    "kind": "fee, charge",
}


def location_label(location: tuple[int | str, ...]) -> str:
    """`methods[1].fees[1].amount` from a pydantic location (positions 1-based, as people count rows)."""
    out = ""
    for part in location:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + part
    return out or "(bản ghi)"


def message_for(error: Any) -> str:
    """A Vietnamese message for one pydantic error."""
    kind = error["type"]
    location = [p for p in error["loc"] if isinstance(p, str)]
    name = location[-1] if location else ""
    context = error.get("ctx") or {}
    if kind == "missing":
        return "Thiếu trường bắt buộc."
    if kind == "extra_forbidden":
        return "Trường không có trong định dạng nhập (xem docs/import-format.md)."
    if kind == "string_pattern_mismatch":
        if name == "code" and "procedures" not in location:
            return "Mã thủ tục phải có dạng một chữ số, dấu chấm, sáu chữ số (ví dụ 1.001193)."
        if name == "province":
            return "Mã tỉnh, thành phố phải gồm 2 chữ số (ví dụ 01)."
        if name == "code" and "results" in location:
            return "Mã kết quả phải có dạng KQ.Gnn.nnnnnn (ví dụ KQ.G15.000031)."
        return "Giá trị không đúng định dạng."
    if kind in {"literal_error", "enum"}:
        allowed = _ALLOWED.get(name, context.get("expected", ""))
        return f"Giá trị không hợp lệ; chỉ chấp nhận: {allowed}."
    if kind in {"string_too_short", "too_short"}:
        return "Không được để trống."
    if kind == "string_too_long":
        return f"Quá dài (tối đa {context.get('max_length')} ký tự)."
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return "Phải là số nguyên (số tiền ghi bằng đồng, không có dấu chấm hay chữ)."
    if kind in {"float_parsing", "float_type"}:
        return "Phải là một số."
    if kind in {"greater_than_equal", "greater_than"}:
        limit = context.get("ge", context.get("gt", 0))
        return "Không được là số âm." if limit == 0 else f"Phải từ {limit} trở lên."
    if kind in {"less_than_equal", "less_than"}:
        return f"Vượt quá giới hạn cho phép (tối đa {context.get('le', context.get('lt'))})."
    if kind in {"bool_parsing", "bool_type"}:
        return "Phải là true hoặc false."
    if kind in {"list_type"}:
        return "Phải là một danh sách."
    if kind in {"string_type"}:
        return "Phải là chuỗi ký tự."
    if kind in {"date_from_datetime_parsing", "date_parsing", "date_type"}:
        return "Ngày phải có dạng YYYY-MM-DD (ví dụ 2024-07-01)."
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        return "Phải là một đối tượng JSON."
    if kind == "value_error" and str(context.get("error", "")).startswith("prefix:"):
        from django.conf import settings

        allowed = ", ".join(settings.PROCEDURE_CODE_PREFIXES)
        return f"Chữ số đầu của mã thủ tục (loại thủ tục) phải là một trong: {allowed}."
    if kind == "value_error" and str(context.get("error", "")).startswith("related:"):
        return "Mã thủ tục liên quan phải có dạng 1.001193."
    if kind == "value_error":
        return "Không được để trống."
    return "Giá trị không hợp lệ."


def _validate(
    model: type[ProcedureRecord] | type[FaqRecord], row: int, data: Any, errors: list[FieldError]
) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            errors.append(FieldError(row, location_label(error["loc"]), message_for(error)))
        return None


@dataclass
class ParsedFile:
    """The valid records of a file, each with the row it came from, and the errors of the others."""

    procedures: list[tuple[int, ProcedureRecord]] = field(default_factory=list)
    faqs: list[tuple[int, FaqRecord]] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)

    def raise_errors(self) -> None:
        if self.errors:
            self.errors.sort(key=lambda e: (e.row or 0,))
            raise ValidationFailed(
                errors=self.errors, summary=f"Tệp có {len(self.errors)} lỗi; chưa nhập dữ liệu nào."
            )


def parse_file(
    content: bytes, *, file_format: str
) -> tuple[list[tuple[int, ProcedureRecord]], list[tuple[int, FaqRecord]]]:
    """Validate a whole file; raise `ValidationFailed` listing every error, or return the records with the row
    each came from."""
    parsed = read_file(content, file_format=file_format)
    parsed.raise_errors()
    return parsed.procedures, parsed.faqs


def read_file(content: bytes, *, file_format: str) -> ParsedFile:
    """Read and validate every record of a file, keeping the errors instead of raising them, so that the caller
    can add its own checks and report everything at once. A file that cannot be read at all still raises."""
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed(
            errors=[FieldError(None, "(tệp)", "Tệp quá lớn (tối đa 20 MB); hãy chia thành nhiều tệp.")],
            summary="Tệp quá lớn.",
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            errors=[FieldError(None, "(tệp)", "Tệp phải được mã hóa UTF-8.")], summary="Tệp không đọc được."
        ) from None
    if file_format == "csv":
        return _parse_csv(text)
    return _parse_json(text)


def _parse_json(text: str) -> ParsedFile:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            errors=[
                FieldError(exc.lineno, "(tệp)", f"JSON không hợp lệ ở dòng {exc.lineno}, cột {exc.colno}.")
            ],
            summary="Tệp JSON không hợp lệ.",
        ) from None
    errors: list[FieldError] = []
    if not isinstance(document, dict) or not ({"procedures", "faqs"} & set(document)):
        raise ValidationFailed(
            errors=[
                FieldError(None, "(tệp)", "Tệp JSON phải là một đối tượng có “procedures” và/hoặc “faqs”.")
            ],
            summary="Tệp JSON không đúng định dạng.",
        )
    procedures: list[tuple[int, ProcedureRecord]] = []
    faqs: list[tuple[int, FaqRecord]] = []
    for key, model, out in (("procedures", ProcedureRecord, procedures), ("faqs", FaqRecord, faqs)):
        items = document.get(key, [])
        if not isinstance(items, list):
            errors.append(FieldError(None, key, "Phải là một danh sách."))
            continue
        for index, item in enumerate(items, start=1):
            record = _validate(model, index, item, errors)
            if record is not None:
                out.append((index, record))
    return ParsedFile(procedures=procedures, faqs=faqs, errors=errors)


def _parse_csv(text: str) -> ParsedFile:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if "question" in header:
        model: type[ProcedureRecord] | type[FaqRecord] = FaqRecord
        list_fields: tuple[str, ...] = FAQ_LIST_FIELDS
        json_fields: tuple[str, ...] = ()
    elif "name" in header:
        model, list_fields, json_fields = ProcedureRecord, PROCEDURE_LIST_FIELDS, PROCEDURE_JSON_FIELDS
    else:
        raise ValidationFailed(
            errors=[
                FieldError(
                    1, "(tiêu đề)", "Dòng tiêu đề phải có cột “name” (thủ tục) hoặc “question” (hỏi đáp)."
                )
            ],
            summary="Tệp CSV không đúng định dạng.",
        )
    errors: list[FieldError] = []
    records: list[tuple[int, Any]] = []
    for line, row in enumerate(reader, start=2):
        data: dict[str, Any] = {}
        row_ok = True
        for column, raw in row.items():
            if column is None:
                errors.append(FieldError(line, "(dòng)", "Dòng có nhiều ô hơn dòng tiêu đề."))
                row_ok = False
                continue
            value = (raw or "").strip()
            if value == "":
                continue
            if column in list_fields:
                data[column] = [v.strip() for v in value.split(";") if v.strip()]
            elif column in json_fields:
                try:
                    data[column] = json.loads(value)
                except json.JSONDecodeError:
                    errors.append(
                        FieldError(line, column, "Ô này phải chứa JSON hợp lệ (xem docs/import-format.md).")
                    )
                    row_ok = False
            elif column in {"synthetic"}:
                data[column] = value.lower() in {"1", "true", "có", "co", "yes"}
            else:
                data[column] = value
        if not row_ok:
            continue
        record = _validate(model, line, data, errors)
        if record is not None:
            records.append((line, record))
    if model is FaqRecord:
        return ParsedFile(faqs=records, errors=errors)
    return ParsedFile(procedures=records, errors=errors)
