"""The forms of the back office's feedback workflow pages. They only parse what was typed; every rule is checked
again by the service the page calls (`feedback.services`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dichvucong.core.errors import NotFound
from dichvucong.organisations import selectors as organisations
from dichvucong.organisations.models import Agency, AgencyLevel

TEXT_MAX = 20000

# Ready-made reasons for refusing (the operator may add their own words). Complaints and denunciations are out of
# the scope of feedback (Decree 20/2008/NĐ-CP): the sender is told which procedure to use instead.
READY_REASONS: dict[str, Any] = {
    "complaint": _(
        "Nội dung là khiếu nại, tố cáo, không thuộc phạm vi phản ánh, kiến nghị về quy định hành chính "
        "(Nghị định 20/2008/NĐ-CP). Đề nghị ông/bà gửi đơn theo thủ tục giải quyết khiếu nại (Luật Khiếu nại) "
        "hoặc thủ tục giải quyết tố cáo (Luật Tố cáo) đến cơ quan có thẩm quyền; có thể tra cứu các thủ tục "
        "này trên Cổng Dịch vụ công."
    ),
    "not_administrative": _(
        "Nội dung không phải là phản ánh, kiến nghị về quy định hành chính hoặc về việc thực hiện quy định "
        "hành chính."
    ),
}


def _textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "cols": 80})


class AcceptForm(forms.Form):
    """Nothing to type: the button confirms."""


class RefuseForm(forms.Form):
    ready_reason = forms.ChoiceField(
        label=_("Lý do soạn sẵn"),
        required=False,
        choices=[
            ("", _("— Tự ghi lý do —")),
            ("complaint", _("Là khiếu nại, tố cáo: hướng dẫn gửi theo thủ tục giải quyết khiếu nại, tố cáo")),
            ("not_administrative", _("Không phải phản ánh, kiến nghị về quy định hành chính")),
        ],
    )
    reason = forms.CharField(
        label=_("Lý do không tiếp nhận"),
        required=False,
        max_length=TEXT_MAX,
        widget=_textarea(),
        help_text=_("Gửi cho người phản ánh. Có thể bổ sung thêm vào lý do soạn sẵn."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ready = READY_REASONS.get(data.get("ready_reason") or "")
        typed = (data.get("reason") or "").strip()
        text = "\n".join(str(part) for part in (ready, typed) if part)
        if not text:
            self.add_error("reason", _("Vui lòng nêu lý do không tiếp nhận."))
        data["full_reason"] = text
        return data


class MergeForm(forms.Form):
    into_code = forms.CharField(
        label=_("Mã phản ánh được giữ lại"),
        max_length=24,
        help_text=_("Phản ánh này được gộp vào phản ánh có mã trên (ví dụ PAKN-261123-7K3QX9)."),
    )

    def clean_into_code(self) -> str:
        return str(self.cleaned_data["into_code"]).strip().upper()


def agency_choices(suggestions: Iterable[Agency]) -> list[tuple[Any, Any]]:
    """The portal's suggestions first, then central and provincial agencies; communes are typed by code (there
    are thousands of them)."""
    suggested = list(dict.fromkeys(suggestions))
    groups: list[tuple[Any, Any]] = [("", _("— Chọn cơ quan —"))]
    if suggested:
        groups.append((_("Cơ quan được gợi ý"), [(a.code, f"{a.name} ({a.code})") for a in suggested]))
    for level, label in (
        (AgencyLevel.CENTRAL, _("Cơ quan trung ương")),
        (AgencyLevel.PROVINCE, _("Cấp tỉnh")),
    ):
        rows = organisations.agency_list(level=level).values_list("code", "name")
        groups.append((label, [(code, f"{name} ({code})") for code, name in rows]))
    return groups


class _AgencyForm(forms.Form):
    """An agency picked in the list, or typed by its code (for a commune)."""

    agency = forms.ChoiceField(label=_("Cơ quan"), required=False)
    agency_code = forms.CharField(
        label=_("Hoặc mã cơ quan"),
        required=False,
        max_length=40,
        help_text=_("Ví dụ UBND-00004 cho Ủy ban nhân dân cấp xã. Để trống nếu đã chọn ở danh sách trên."),
    )

    def __init__(self, *args: Any, suggestions: Iterable[Agency] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = agency_choices(suggestions)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        typed = (data.get("agency_code") or "").strip().upper()
        code = typed or data.get("agency") or ""
        if not code:
            self.add_error("agency", _("Vui lòng chọn cơ quan hoặc nhập mã cơ quan."))
            return data
        try:
            data["agency_obj"] = organisations.agency_get(code)
        except NotFound:
            self.add_error(
                "agency_code" if typed else "agency", _("Không có cơ quan mã %(code)s.") % {"code": code}
            )
        return data


class ForwardForm(_AgencyForm):
    note = forms.CharField(
        label=_("Ghi chú cho cơ quan xử lý"), required=False, max_length=TEXT_MAX, widget=_textarea(3)
    )

    field_order = ["agency", "agency_code", "note"]


class TransferForm(_AgencyForm):
    reason = forms.CharField(
        label=_("Lý do chuyển"),
        max_length=TEXT_MAX,
        widget=_textarea(3),
        help_text=_("Vì sao phản ánh không thuộc thẩm quyền của cơ quan mình."),
        error_messages={"required": _("Vui lòng nêu lý do chuyển sang cơ quan khác.")},
    )

    field_order = ["agency", "agency_code", "reason"]

    def clean_reason(self) -> str:
        value = str(self.cleaned_data["reason"]).strip()
        if not value:
            raise forms.ValidationError(_("Vui lòng nêu lý do chuyển sang cơ quan khác."))
        return value


class AnswerForm(forms.Form):
    text = forms.CharField(
        label=_("Kết quả xử lý"),
        max_length=TEXT_MAX,
        widget=_textarea(10),
        help_text=_(
            "Gửi đầy đủ cho người phản ánh. Nội dung công khai được soạn riêng, không có thông tin cá nhân."
        ),
        error_messages={"required": _("Vui lòng nhập kết quả xử lý.")},
    )


class PublishForm(forms.Form):
    public_title = forms.CharField(label=_("Tiêu đề công khai"), max_length=300)
    public_content = forms.CharField(
        label=_("Nội dung phản ánh công khai"), max_length=TEXT_MAX, widget=_textarea(8)
    )
    public_answer = forms.CharField(
        label=_("Kết quả xử lý công khai"), max_length=TEXT_MAX, widget=_textarea(8)
    )
    public_interest = forms.BooleanField(
        label=_("Công khai vì lợi ích chung"),
        required=False,
        help_text=_("Người gửi không đồng ý công khai: chỉ công khai khi cần thiết vì lợi ích chung."),
    )

    def __init__(self, *args: Any, consented: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if consented:
            del self.fields["public_interest"]


class Open311ClientForm(forms.Form):
    name = forms.CharField(label=_("Tên ứng dụng"), max_length=200)
    contact_email = forms.EmailField(label=_("Thư điện tử liên hệ"), required=False)
