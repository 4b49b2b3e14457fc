"""Forms of the catalogue back office: each checks its input against the interchange records
(`records.ProcedureRecord`, `records.FaqRecord`) so that the admin accepts exactly what an import accepts, with
the same Vietnamese messages."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError

from .models import Faq, Field, ImportRun, LifeEvent, Procedure
from .records import FaqRecord, ProcedureRecord
from .validation import location_label, message_for

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_PROCEDURE_CODE = re.compile(r"^\d\.\d{6}$")


def _add_record_errors(form: forms.BaseForm, error: ValidationError, field_names: dict[str, str]) -> None:
    """Put each pydantic error of a record next to the form field it concerns, in Vietnamese."""
    for item in error.errors():
        loc = item["loc"]
        target = field_names.get(str(loc[0])) if loc else None
        message = message_for(item)
        if target is None or target not in form.fields:
            form.add_error(None, f"{location_label(loc)}: {message}")
        elif len(loc) > 1:
            form.add_error(target, f"{location_label(loc[1:])}: {message}")
        else:
            form.add_error(target, message)


class PrettyJSONField(forms.JSONField):
    """JSON shown indented and with Vietnamese letters as they are, so that a person can edit it."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2)


PROCEDURE_LABELS: dict[str, StrOrPromise] = {
    "code": _("Mã thủ tục"),
    "version": _("Phiên bản"),
    "status": _("Trạng thái"),
    "name": _("Tên thủ tục"),
    "name_en": _("Tên tiếng Anh"),
    "summary": _("Mô tả"),
    "summary_en": _("Mô tả tiếng Anh"),
    "decision": _("Quyết định công bố"),
    "levels": _("Cấp thực hiện"),
    "audiences": _("Đối tượng thực hiện"),
    "fields": _("Lĩnh vực"),
    "managing_agency": _("Cơ quan quản lý"),
    "competent_agency": _("Cơ quan có thẩm quyền"),
    "implementing_agency": _("Cơ quan thực hiện"),
    "authorised_agency": _("Cơ quan được ủy quyền"),
    "coordinating_agencies": _("Cơ quan phối hợp"),
    "receiving_address": _("Địa chỉ tiếp nhận hồ sơ"),
    "steps": _("Trình tự thực hiện"),
    "methods": _("Cách thức thực hiện"),
    "documents": _("Thành phần hồ sơ"),
    "conditions": _("Yêu cầu, điều kiện thực hiện"),
    "results": _("Kết quả thực hiện"),
    "legal_basis": _("Căn cứ pháp lý"),
    "related_procedures": _("Thủ tục hành chính liên quan"),
    "online_level": _("Mức độ dịch vụ công trực tuyến"),
    "province": _("Tỉnh, thành phố"),
    "source": _("Nguồn"),
    "synthetic": _("Dữ liệu giả lập"),
    "content_hash": _("Mã băm nội dung"),
    "created_at": _("Tạo lúc"),
    "published_at": _("Công bố lúc"),
    "superseded_at": _("Bị thay thế lúc"),
}


PROCEDURE_JSON = (
    "levels",
    "audiences",
    "steps",
    "methods",
    "documents",
    "results",
    "legal_basis",
    "related_procedures",
)


PROCEDURE_SYSTEM = (
    "code",
    "version",
    "status",
    "content_hash",
    "created_at",
    "published_at",
    "superseded_at",
)


class ProcedureAdminForm(forms.ModelForm):
    """A draft version, checked against the same record as an import (`records.ProcedureRecord`)."""

    class Meta:
        model = Procedure
        fields = tuple(name for name in PROCEDURE_LABELS if name not in PROCEDURE_SYSTEM)
        labels = PROCEDURE_LABELS
        field_classes = {name: PrettyJSONField for name in PROCEDURE_JSON}
        widgets = {name: forms.Textarea(attrs={"rows": 8, "cols": 100}) for name in PROCEDURE_JSON}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in PROCEDURE_JSON:
            if name in self.fields:
                # An empty list is allowed for some parts; the record says which must have items.
                self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in PROCEDURE_JSON:
            if name in self.fields and cleaned.get(name) is None:
                cleaned[name] = []
        if self.errors or "name" not in self.fields:
            return cleaned
        agency = cleaned.get("managing_agency")
        province = cleaned.get("province")
        data = {
            name: cleaned.get(name)
            for name in ProcedureRecord.model_fields
            if name in self.fields and name not in {"fields", "managing_agency", "province"}
        }
        data |= {
            "code": self.instance.code,
            "status": "draft",
            "fields": [f.name for f in cleaned.get("fields") or []],
            "managing_agency": agency.code if agency else "",
            "province": province.code if province else None,
        }
        try:
            ProcedureRecord.model_validate(data)
        except ValidationError as exc:
            _add_record_errors(self, exc, {name: name for name in self.fields})
        return cleaned


FAQ_LABELS: dict[str, StrOrPromise] = {
    "code": _("Mã câu hỏi"),
    "question": _("Câu hỏi"),
    "answer": _("Câu trả lời"),
    "question_en": _("Câu hỏi tiếng Anh"),
    "answer_en": _("Câu trả lời tiếng Anh"),
    "field": _("Lĩnh vực"),
    "agency": _("Cơ quan trả lời"),
    "source": _("Nguồn"),
    "synthetic": _("Dữ liệu giả lập"),
    "updated_at": _("Cập nhật lúc"),
}


def _codes(text: str) -> list[str]:
    return [c for c in re.split(r"[\s,;]+", text) if c]


class FaqAdminForm(forms.ModelForm):
    """A FAQ, checked against the import record (`records.FaqRecord`) and saved by `services.save_faq`."""

    procedure_codes = forms.CharField(
        label=_("Mã thủ tục liên quan"),
        required=False,
        help_text=_("Các mã thủ tục cách nhau bởi dấu phẩy, ví dụ 1.001456, 2.000123."),
    )

    class Meta:
        model = Faq
        fields = (
            "code",
            "question",
            "answer",
            "question_en",
            "answer_en",
            "field",
            "agency",
            "source",
            "synthetic",
        )
        labels = FAQ_LABELS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "procedure_codes" in self.fields:
            links = self.instance.procedure_links.order_by("procedure_code")
            self.fields["procedure_codes"].initial = ", ".join(link.procedure_code for link in links)

    def clean_procedure_codes(self) -> list[str]:
        codes = _codes(self.cleaned_data.get("procedure_codes") or "")
        wrong = [c for c in codes if not _PROCEDURE_CODE.match(c)]
        if wrong:
            raise forms.ValidationError(
                _("Mã thủ tục phải có dạng 1.001193: %(codes)s"), params={"codes": ", ".join(wrong)}
            )
        return codes

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        field, agency = cleaned.get("field"), cleaned.get("agency")
        data = {
            "code": cleaned.get("code") or self.instance.code,
            "question": cleaned.get("question", ""),
            "answer": cleaned.get("answer", ""),
            "question_en": cleaned.get("question_en", ""),
            "answer_en": cleaned.get("answer_en", ""),
            "procedures": cleaned.get("procedure_codes", []),
            "field": field.name if field else "",
            "agency": agency.code if agency else "",
            "source": cleaned.get("source", ""),
            "synthetic": bool(cleaned.get("synthetic")),
        }
        try:
            self.record = FaqRecord.model_validate(data)
        except ValidationError as exc:
            names = {name: name for name in self.fields} | {"procedures": "procedure_codes"}
            _add_record_errors(self, exc, names)
        return cleaned


class FieldAdminForm(forms.ModelForm):
    class Meta:
        model = Field
        fields = ("slug", "name", "name_en")
        labels = {"slug": _("Đường dẫn rút gọn"), "name": _("Tên lĩnh vực"), "name_en": _("Tên tiếng Anh")}


class LifeEventAdminForm(forms.ModelForm):
    class Meta:
        model = LifeEvent
        fields = (
            "slug",
            "name",
            "name_en",
            "description",
            "description_en",
            "audience",
            "procedure_codes",
            "position",
        )
        labels = {
            "slug": _("Đường dẫn rút gọn"),
            "name": _("Tên sự kiện"),
            "name_en": _("Tên tiếng Anh"),
            "description": _("Mô tả"),
            "description_en": _("Mô tả tiếng Anh"),
            "audience": _("Đối tượng"),
            "procedure_codes": _("Mã các thủ tục"),
            "position": _("Thứ tự"),
        }
        field_classes = {"procedure_codes": PrettyJSONField}

    def clean_procedure_codes(self) -> list[str]:
        codes = self.cleaned_data.get("procedure_codes")
        if not isinstance(codes, list) or not all(
            isinstance(c, str) and _PROCEDURE_CODE.match(c) for c in codes
        ):
            raise forms.ValidationError(_('Phải là danh sách JSON các mã thủ tục, ví dụ ["1.001456"].'))
        return codes


class ImportRunAdminForm(forms.ModelForm):
    class Meta:
        model = ImportRun
        fields = ("file_name", "file_format", "actor", "accepted")
        labels = {
            "created_at": _("Thời điểm"),
            "file_name": _("Tên tệp"),
            "file_format": _("Định dạng"),
            "actor": _("Người nhập"),
            "accepted": _("Đã nhập"),
            "procedures_created": _("Phiên bản thủ tục mới"),
            "procedures_unchanged": _("Thủ tục không đổi"),
            "faqs_created": _("Câu hỏi mới"),
            "faqs_updated": _("Câu hỏi cập nhật"),
            "faqs_unchanged": _("Câu hỏi không đổi"),
            "error_table": _("Lỗi"),
        }


class ImportFileForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp dữ liệu (.json hoặc .csv)"),
        help_text=_("Định dạng xem tại docs/import-format.md. Tệp có lỗi thì không dữ liệu nào được nhập."),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.csv,application/json,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".json", ".csv")):
            raise forms.ValidationError(_("Chỉ nhận tệp .json hoặc .csv."))
        return upload
