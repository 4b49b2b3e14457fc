"""Checking a `Submission` before it is received: every problem at once, one `FieldError` per field (column =
the Submission's field name, "attachments" for the files), messages in Vietnamese.

The content must be in Vietnamese (DOMAIN.md); that is said on the form, not guessed from the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _

from dichvucong.accounts.models import User
from dichvucong.core.errors import FieldError, ValidationFailed
from dichvucong.dossiers.models import Dossier
from dichvucong.feedback.models import Channel, Kind, SenderKind, Topic
from dichvucong.feedback.redaction import national_phone
from dichvucong.organisations.models import AdministrativeUnit, Agency

if TYPE_CHECKING:
    from dichvucong.feedback.services import Submission

TITLE_MAX = 300
CONTENT_MIN = 20
CONTENT_MAX = 10000
NAME_MAX = 200
ADDRESS_MAX = 300


@dataclass(frozen=True)
class CheckedFile:
    title: str
    content_type: str
    content: bytes
    storage_name: str


@dataclass
class Checked:
    """What validation found out: the normalised phone and the rows the codes name."""

    phone: str = ""
    dossier: Dossier | None = None
    unit: AdministrativeUnit | None = None
    agency: Agency | None = None
    files: list[CheckedFile] = field(default_factory=list)


def _text(errors: list[FieldError], column: str, value: str, *, required: str, limit: int) -> None:
    text = (value or "").strip()
    if not text:
        errors.append(FieldError(None, column, required))
    elif len(text) > limit:
        errors.append(FieldError(None, column, _("Tối đa %(limit)s ký tự.") % {"limit": limit}))


def _choice(errors: list[FieldError], column: str, value: str, choices: Any, message: str) -> None:
    if value not in choices.values:
        errors.append(FieldError(None, column, message))


def _coordinate(errors: list[FieldError], column: str, value: Decimal | None, bound: int) -> None:
    if value is None:
        return
    try:
        number = Decimal(value)
    except (ArithmeticError, ValueError, TypeError):
        number = Decimal(bound + 1)
    if not number.is_finite() or abs(number) > bound:
        errors.append(FieldError(None, column, _("Tọa độ không hợp lệ.")))


def _references(
    errors: list[FieldError], submission: Submission, user: User | None, checked: Checked
) -> None:
    if submission.procedure_code.strip():
        from dichvucong.catalogue.selectors import published_procedures

        if not published_procedures().filter(code=submission.procedure_code.strip()).exists():
            errors.append(
                FieldError(
                    None,
                    "procedure_code",
                    _("Không tìm thấy thủ tục hành chính có mã %(code)s.")
                    % {"code": submission.procedure_code.strip()},
                )
            )
    if submission.dossier_code.strip():
        code = submission.dossier_code.strip()
        dossier = Dossier.objects.filter(code=code).only("id", "code", "owner_id", "agency_id").first()
        user_id = user.pk if user is not None and user.is_authenticated else None
        if dossier is None or (user_id is not None and dossier.owner_id not in (None, user_id)):
            # Someone else's dossier is "not found", like one that does not exist.
            errors.append(
                FieldError(None, "dossier_code", _("Không tìm thấy hồ sơ có mã %(code)s.") % {"code": code})
            )
        else:
            checked.dossier = dossier
    if submission.unit_code.strip():
        code = submission.unit_code.strip()
        checked.unit = AdministrativeUnit.objects.select_related("parent").filter(code=code).first()
        if checked.unit is None:
            errors.append(
                FieldError(
                    None, "unit_code", _("Không tìm thấy đơn vị hành chính có mã %(code)s.") % {"code": code}
                )
            )
    if submission.agency_code.strip():
        code = submission.agency_code.strip()
        checked.agency = Agency.objects.filter(code=code, is_active=True).first()
        if checked.agency is None:
            errors.append(
                FieldError(None, "agency_code", _("Không tìm thấy cơ quan có mã %(code)s.") % {"code": code})
            )


def _attachments(errors: list[FieldError], attachments: Sequence[UploadedFile], checked: Checked) -> None:
    from dichvucong.dossiers.attachments import UploadRefused, check_upload, storage_name, title_of

    if len(attachments) > settings.FEEDBACK_MAX_ATTACHMENTS:
        errors.append(
            FieldError(
                None,
                "attachments",
                _("Tối đa %(limit)s tệp đính kèm.") % {"limit": settings.FEEDBACK_MAX_ATTACHMENTS},
            )
        )
        return
    total = 0
    for uploaded in attachments:
        try:
            content_type, content = check_upload(uploaded, already=total)
        except UploadRefused as refused:
            errors.append(FieldError(None, "attachments", refused.message))
            continue
        total += len(content)
        checked.files.append(
            CheckedFile(title_of(uploaded), content_type, content, storage_name(content_type))
        )


def validate(submission: Submission, *, user: User | None, attachments: Sequence[UploadedFile]) -> Checked:
    """Check a submission; `ValidationFailed` with every problem, or what was found out."""
    errors: list[FieldError] = []
    checked = Checked()
    s = submission
    _choice(errors, "topic", s.topic, Topic, _("Vui lòng chọn nội dung phản ánh, kiến nghị về việc gì."))
    _choice(errors, "kind", s.kind, Kind, _("Vui lòng chọn loại phản ánh, kiến nghị."))
    _choice(errors, "sender_kind", s.sender_kind, SenderKind, _("Vui lòng chọn cá nhân hoặc tổ chức."))
    _choice(errors, "channel", s.channel, Channel, _("Kênh tiếp nhận không hợp lệ."))
    _text(errors, "title", s.title, required=_("Vui lòng nhập tiêu đề."), limit=TITLE_MAX)
    content = (s.content or "").strip()
    if not content:
        errors.append(FieldError(None, "content", _("Vui lòng nhập nội dung phản ánh, kiến nghị.")))
    elif len(content) < CONTENT_MIN:
        errors.append(
            FieldError(None, "content", _("Nội dung quá ngắn: ít nhất %(min)s ký tự.") % {"min": CONTENT_MIN})
        )
    elif len(content) > CONTENT_MAX:
        errors.append(FieldError(None, "content", _("Tối đa %(limit)s ký tự.") % {"limit": CONTENT_MAX}))
    _text(errors, "sender_name", s.sender_name, required=_("Vui lòng nhập họ và tên."), limit=NAME_MAX)
    _text(errors, "sender_address", s.sender_address, required=_("Vui lòng nhập địa chỉ."), limit=ADDRESS_MAX)
    if s.sender_kind == SenderKind.ORGANISATION:
        _text(
            errors,
            "organisation_name",
            s.organisation_name,
            required=_("Vui lòng nhập tên tổ chức, doanh nghiệp."),
            limit=ADDRESS_MAX,
        )
    elif len(s.organisation_name.strip()) > ADDRESS_MAX:
        errors.append(
            FieldError(None, "organisation_name", _("Tối đa %(limit)s ký tự.") % {"limit": ADDRESS_MAX})
        )
    if not (s.sender_phone or "").strip():
        errors.append(FieldError(None, "sender_phone", _("Vui lòng nhập số điện thoại.")))
    else:
        phone = national_phone(s.sender_phone)
        if phone is None:
            errors.append(
                FieldError(
                    None,
                    "sender_phone",
                    _(
                        "Số điện thoại không hợp lệ: số di động 10 chữ số (ví dụ 0912345678) hoặc số cố định "
                        "11 chữ số có mã vùng (ví dụ 024 3825 1234)."
                    ),
                )
            )
        else:
            checked.phone = phone
    if s.sender_email.strip():
        try:
            validate_email(s.sender_email.strip())
        except ValidationError:
            errors.append(FieldError(None, "sender_email", _("Địa chỉ thư điện tử không hợp lệ.")))
    if len(s.address.strip()) > ADDRESS_MAX:
        errors.append(FieldError(None, "address", _("Tối đa %(limit)s ký tự.") % {"limit": ADDRESS_MAX}))
    _coordinate(errors, "latitude", s.latitude, 90)
    _coordinate(errors, "longitude", s.longitude, 180)
    for column in ("device_id", "account_id"):
        if len(getattr(s, column).strip()) > 200:
            errors.append(FieldError(None, column, _("Tối đa %(limit)s ký tự.") % {"limit": 200}))
    if s.media_url.strip():
        try:
            URLValidator(schemes=["http", "https"])(s.media_url.strip())
            if len(s.media_url.strip()) > 1000:
                raise ValidationError("too long")
        except ValidationError:
            errors.append(FieldError(None, "media_url", _("Đường dẫn ảnh không hợp lệ.")))
    _references(errors, s, user, checked)
    _attachments(errors, attachments, checked)
    if errors:
        raise ValidationFailed(
            errors=errors,
            summary=_("Phản ánh, kiến nghị chưa gửi được: vui lòng sửa %(count)s lỗi.")
            % {"count": len(errors)},
        )
    return checked
