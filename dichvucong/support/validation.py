"""Checking what is typed into a ticket: texts, call durations, the caller's contacts, the codes it is about
(each must exist), and the absence of the asker's personal data in a question to be published. Problems are
collected as FieldErrors, so that a form reports all of them at once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from dichvucong.catalogue import selectors as catalogue
from dichvucong.core.errors import FieldError, NotFound, ValidationFailed
from dichvucong.core.text import fold
from dichvucong.dossiers.models import Dossier
from dichvucong.feedback.models import Feedback
from dichvucong.payments.models import PaymentOrder

from . import selectors
from .models import Ticket, TicketChannel

TEXT_MAX = 5000
CALL_MAX_SECONDS = 6 * 3600


def text(value: str, column: str, message: str, errors: list[FieldError], *, limit: int = TEXT_MAX) -> str:
    value = (value or "").strip()
    if not value:
        errors.append(FieldError(None, column, message))
    elif len(value) > limit:
        errors.append(FieldError(None, column, _("Tối đa %(n)d ký tự.") % {"n": limit}))
    return value


def raise_errors(errors: list[FieldError], summary: str = "") -> None:
    if errors:
        raise ValidationFailed(
            errors=errors, summary=summary or _("Vui lòng kiểm tra lại thông tin đã nhập.")
        )


def duration(value: int | None, errors: list[FieldError], column: str) -> int | None:
    if value is not None and not 0 <= value <= CALL_MAX_SECONDS:
        errors.append(FieldError(None, column, _("Thời lượng cuộc gọi không hợp lệ.")))
    return value


def linked_codes(
    *,
    procedure_code: str,
    dossier_code: str,
    payment_reference: str,
    feedback_code: str,
    user: Any,
    web: bool,
    errors: list[FieldError],
) -> dict[str, str]:
    """The codes a ticket is about, each checked to exist. On the site, a signed-in person may name only their
    own dossier, payment or feedback (another person's answers as unknown)."""
    found: dict[str, str] = {}
    own = user if web and user is not None and getattr(user, "is_authenticated", False) else None
    if procedure_code:
        try:
            found["procedure_code"] = catalogue.procedure_get(procedure_code).code
        except NotFound:
            errors.append(
                FieldError(
                    None,
                    "procedure_code",
                    _("Không có thủ tục hành chính mã “%(code)s” trên Cổng.") % {"code": procedure_code[:20]},
                )
            )
    if dossier_code:
        dossier = (
            Dossier.objects.filter(code__in={dossier_code, dossier_code.upper()})
            .only("code", "owner")
            .first()
        )
        if dossier is None or (own is not None and dossier.owner_id not in (None, own.pk)):
            errors.append(
                FieldError(
                    None,
                    "dossier_code",
                    _("Không tìm thấy hồ sơ có mã “%(code)s”.") % {"code": dossier_code[:60]},
                )
            )
        else:
            found["dossier_code"] = dossier.code
    if payment_reference:
        order = (
            PaymentOrder.objects.filter(reference=payment_reference.upper()).only("reference", "user").first()
        )
        if order is None or (own is not None and order.user_id not in (None, own.pk)):
            errors.append(
                FieldError(
                    None,
                    "payment_reference",
                    _("Không tìm thấy lệnh thanh toán có mã “%(code)s”.") % {"code": payment_reference[:40]},
                )
            )
        else:
            found["payment_reference"] = order.reference
    if feedback_code:
        feedback = Feedback.objects.filter(code=feedback_code.upper()).only("code", "user").first()
        if feedback is None or (own is not None and feedback.user_id not in (None, own.pk)):
            errors.append(
                FieldError(
                    None,
                    "feedback_code",
                    _("Không tìm thấy phản ánh, kiến nghị có mã “%(code)s”.") % {"code": feedback_code[:24]},
                )
            )
        else:
            found["feedback_code"] = feedback.code
    return found


def contacts(
    *,
    channel: str,
    caller_name: str,
    caller_phone: str,
    caller_email: str,
    user: Any,
    actor: Any,
    errors: list[FieldError],
) -> tuple[str, str]:
    """The caller's phone (as stored: see `selectors.phone_digits`) and e-mail, checked. A question from the
    site needs a way to answer; a call logged by an agent needs the caller's number or name."""
    if len(caller_name) > 200:
        errors.append(FieldError(None, "caller_name", _("Họ tên tối đa 200 ký tự.")))
    phone = ""
    if (caller_phone or "").strip():
        phone = selectors.phone_digits(caller_phone) or ""
        if not phone:
            errors.append(
                FieldError(
                    None, "caller_phone", _("Số điện thoại không hợp lệ (ví dụ 0912345678 hoặc 02438234567).")
                )
            )
    email = (caller_email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(FieldError(None, "caller_email", _("Địa chỉ thư điện tử không hợp lệ.")))
    if any(e.column in ("caller_phone", "caller_email") for e in errors):
        return phone, email
    if actor is None and not (phone or email or user):
        errors.append(
            FieldError(
                None,
                "caller_phone",
                _("Vui lòng để lại số điện thoại hoặc thư điện tử để chúng tôi trả lời bạn."),
            )
        )
    elif channel == TicketChannel.PHONE and actor is not None and not (phone or caller_name):
        errors.append(
            FieldError(None, "caller_phone", _("Vui lòng ghi số điện thoại hoặc họ tên người gọi."))
        )
    return phone, email


def personal_data(ticket: Ticket, texts: dict[str, str]) -> list[FieldError]:
    """The asker's name, phone or e-mail must not be published with the question."""
    errors = []
    user = ticket.user if ticket.user_id is not None else None
    candidates = [fold(ticket.caller_name), ticket.caller_phone, fold(ticket.caller_email)]
    if user is not None:
        candidates += [fold(user.full_name), user.phone or "", fold(user.email)]
    known = [value for value in candidates if value and len(value) >= 5]
    for column, text in texts.items():
        folded = fold(text)
        digits = "".join(ch for ch in text if ch.isdigit())
        if any(value in folded or (value.isdigit() and value in digits) for value in known):
            errors.append(
                FieldError(
                    None,
                    column,
                    _("Có thông tin cá nhân của người hỏi (họ tên, số điện thoại, thư điện tử)."),
                )
            )
    return errors
