"""What the sender and the agencies' handlers are told, and how: an in-app notice (with e-mail and SMS copies to
the account's contacts) when the sender has an account, and SMS/e-mail through the outbox to the contacts given
on the feedback (a landline gets no SMS). Every message has a key per feedback and step, so a retry sends
nothing twice. Called inside the service's transaction.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dichvucong.accounts.roles import Role
from dichvucong.core import outbox
from dichvucong.core.text import fold
from dichvucong.dossiers.deadlines import local
from dichvucong.dossiers.services import EMAIL_TOPIC, SMS_TOPIC, notify
from dichvucong.feedback import selectors
from dichvucong.feedback.models import Feedback
from dichvucong.feedback.redaction import is_mobile
from dichvucong.organisations.models import Agency

# What the sender of a complaint or a denunciation is pointed to (the operator's refusal reason may say it
# shortly; the notice always adds the way to go when the reason names one of them).
COMPLAINT_POINTER = gettext_lazy(
    "Khiếu nại, tố cáo không được giải quyết theo quy trình phản ánh, kiến nghị về quy định hành chính. Bạn có "
    "thể gửi đơn khiếu nại theo Luật Khiếu nại năm 2011, hoặc đơn tố cáo theo Luật Tố cáo năm 2018, tới cơ quan "
    "có thẩm quyền giải quyết (xem thủ tục “Giải quyết khiếu nại”, “Giải quyết tố cáo” trên Cổng Dịch vụ công)."
)
COMPLAINT_REASON = gettext_lazy(
    "Nội dung là khiếu nại, tố cáo, không thuộc phạm vi tiếp nhận phản ánh, kiến nghị."
)


def _stamp(at: dt.datetime) -> str:
    return f"{local(at):%Y%m%d%H%M%S}"


def when(at: dt.datetime) -> str:
    return f"{local(at):%H:%M} ngày {local(at):%d/%m/%Y}"


def tell_sender(feedback: Feedback, step: str, *, title: str, body: str, now: dt.datetime) -> None:
    key = f"pakn:{feedback.code}:{step}"
    phone, email = feedback.sender_phone, feedback.sender_email
    if feedback.user is not None:
        user = feedback.user
        notify(user=user, dossier=None, key=key, title=title, body=body, now=now)
        # The contacts given on the feedback, when they are not the account's own (already told).
        key += ":lien-he"
        phone = "" if phone == user.phone else phone
        email = "" if email.lower() == (user.email or "").lower() else email
    if phone and is_mobile(phone):
        outbox.enqueue(topic=SMS_TOPIC, key=key, payload={"to": phone, "text": title})
    if email:
        outbox.enqueue(topic=EMAIL_TOPIC, key=key, payload={"to": email, "subject": title, "body": body})


def received(feedback: Feedback, *, now: dt.datetime) -> None:
    tell_sender(
        feedback,
        "received",
        title=_("Đã tiếp nhận phản ánh, kiến nghị, mã số %(code)s") % {"code": feedback.code},
        body=_(
            "Cổng Dịch vụ công quốc gia đã tiếp nhận phản ánh, kiến nghị “%(title)s” của bạn lúc %(when)s, mã "
            "số %(code)s. Dùng mã số này và số điện thoại đã khai để tra cứu kết quả xử lý."
        )
        % {"title": feedback.title, "when": when(now), "code": feedback.code},
        now=now,
    )


def mentions_complaint(reason: str) -> bool:
    folded = fold(reason)
    return "khieu nai" in folded or "to cao" in folded


def refused(feedback: Feedback, *, now: dt.datetime) -> None:
    body = _("Phản ánh, kiến nghị %(code)s không được tiếp nhận. Lý do: %(reason)s") % {
        "code": feedback.code,
        "reason": feedback.refusal_reason,
    }
    if mentions_complaint(feedback.refusal_reason):
        body += "\n\n" + str(COMPLAINT_POINTER)
    tell_sender(
        feedback,
        "refused",
        title=_("Phản ánh %(code)s không được tiếp nhận") % {"code": feedback.code},
        body=body,
        now=now,
    )


def merged(feedback: Feedback, target: Feedback, *, now: dt.datetime) -> None:
    tell_sender(
        feedback,
        "merged",
        title=_("Phản ánh %(code)s được gộp với phản ánh %(target)s")
        % {"code": feedback.code, "target": target.code},
        body=_(
            "Phản ánh, kiến nghị %(code)s của bạn trùng nội dung với phản ánh %(target)s đang được xử lý nên "
            "được gộp vào đó. Bạn sẽ nhận được kết quả xử lý khi có."
        )
        % {"code": feedback.code, "target": target.code},
        now=now,
    )


def forwarded(feedback: Feedback, agency: Agency, *, now: dt.datetime) -> None:
    due = when(feedback.due_at) if feedback.due_at else ""
    tell_sender(
        feedback,
        f"forwarded:{agency.code}:{_stamp(now)}",
        title=_("Phản ánh %(code)s đã được chuyển tới %(agency)s")
        % {"code": feedback.code, "agency": agency.name},
        body=_(
            "Phản ánh, kiến nghị %(code)s của bạn đã được chuyển tới %(agency)s để xử lý. Thời hạn trả lời: "
            "%(due)s."
        )
        % {"code": feedback.code, "agency": agency.name, "due": due},
        now=now,
    )


def answered(feedback: Feedback, *, now: dt.datetime) -> None:
    agency = feedback.agency.name if feedback.agency else ""
    title = _("Phản ánh %(code)s đã có kết quả xử lý") % {"code": feedback.code}
    tell_sender(
        feedback,
        "answered",
        title=title,
        body=_("%(agency)s trả lời phản ánh, kiến nghị %(code)s của bạn:\n\n%(answer)s")
        % {"agency": agency, "code": feedback.code, "answer": feedback.answer},
        now=now,
    )
    for duplicate in selectors.duplicates(feedback).select_related("user"):
        tell_sender(
            duplicate,
            "answered",
            title=_("Phản ánh %(code)s đã có kết quả xử lý") % {"code": duplicate.code},
            body=_(
                "Phản ánh, kiến nghị %(code)s của bạn đã được gộp với phản ánh %(target)s. %(agency)s trả lời:"
                "\n\n%(answer)s"
            )
            % {"code": duplicate.code, "target": feedback.code, "agency": agency, "answer": feedback.answer},
            now=now,
        )


def published(feedback: Feedback, *, now: dt.datetime) -> None:
    tell_sender(
        feedback,
        "published",
        title=_("Kết quả xử lý phản ánh %(code)s đã được công khai") % {"code": feedback.code},
        body=_(
            "Kết quả xử lý phản ánh, kiến nghị %(code)s đã được công khai trên Cổng Dịch vụ công, không kèm "
            "thông tin cá nhân của bạn."
        )
        % {"code": feedback.code},
        now=now,
    )


def handlers(feedback: Feedback, agency: Agency, *, transferred: bool, now: dt.datetime) -> None:
    """Tell the agency's handlers they have feedback to answer, and by when."""
    title = (
        _("Phản ánh %(code)s được chuyển tới đơn vị") if transferred else _("Phản ánh %(code)s cần xử lý")
    ) % {"code": feedback.code}
    body = _("“%(title)s”. Thời hạn trả lời: %(due)s.") % {
        "title": feedback.title,
        "due": when(feedback.due_at) if feedback.due_at else "",
    }
    for user in selectors.officers_with_role([agency.pk], Role.HANDLER).get(agency.pk, []):
        notify(
            user=user,
            dossier=None,
            key=f"pakn:{feedback.code}:assigned:{agency.code}:{_stamp(now)}:{user.pk}",
            title=title,
            body=body,
            now=now,
        )
