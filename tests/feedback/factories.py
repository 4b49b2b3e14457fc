"""Factories for feedback tests (shared: the web, API, Open311, back-office and support tests import them).

Times default to Monday 2 November 2026, 09:00 in Hà Nội (`MONDAY_9AM`), so that working days are predictable;
pass `now=` to move the clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dichvucong.accounts.roles import Role
from dichvucong.feedback import services
from dichvucong.feedback.services import Submission
from tests.dossiers.factories import MONDAY_9AM

SENDER_NAME = "Nguyễn Văn An"
SENDER_PHONE = "0912 345 678"
SENDER_EMAIL = "an.nguyen@example.vn"
SENDER_ADDRESS = "12 phố Đội Cấn, phường Ba Đình, Hà Nội"
ANSWER = (
    "Ủy ban nhân dân đã kiểm tra và yêu cầu bộ phận một cửa trả kết quả đúng hẹn; cán bộ liên quan đã bị nhắc "
    "nhở bằng văn bản."
)
PUBLIC = {
    "public_title": "Hồ sơ đăng ký khai sinh bị trả kết quả chậm",
    "public_content": "Người dân phản ánh hồ sơ đăng ký khai sinh tại bộ phận một cửa bị trả kết quả chậm hai tuần.",
    "public_answer": "Ủy ban nhân dân đã yêu cầu bộ phận một cửa trả kết quả đúng hẹn và nhắc nhở cán bộ liên quan.",
}

__all__ = [
    "ANSWER",
    "MONDAY_9AM",
    "PUBLIC",
    "SENDER_ADDRESS",
    "SENDER_EMAIL",
    "SENDER_NAME",
    "SENDER_PHONE",
    "answered_feedback",
    "forwarded_feedback",
    "handler",
    "make_feedback",
    "operator",
    "published_feedback",
    "submission",
]


def submission(**overrides: Any) -> Submission:
    """A valid submission (a late birth registration at a Hà Nội one-stop counter), with `overrides`."""
    values: dict[str, Any] = {
        "topic": "procedure",
        "kind": "delay_harassment",
        "title": "Hồ sơ đăng ký khai sinh bị trả chậm",
        "content": (
            "Tôi nộp hồ sơ đăng ký khai sinh cho con tại bộ phận một cửa, hẹn trả sau 1 ngày nhưng đã hai tuần "
            "chưa nhận được kết quả, cán bộ không giải thích lý do."
        ),
        "sender_name": SENDER_NAME,
        "sender_address": SENDER_ADDRESS,
        "sender_phone": SENDER_PHONE,
        "sender_email": SENDER_EMAIL,
        "consent_to_publish": True,
    }
    values.update(overrides)
    return Submission(**values)


def operator() -> Any:
    """The portal operator who triages in these tests (made once per test database)."""
    from dichvucong.accounts.models import AccountKind, User
    from tests.conftest import make_operator

    found = User.objects.filter(username="quantri-pakn", kind=AccountKind.OPERATOR).first()
    return found or make_operator("quantri-pakn")


def handler(agency_code: str = "UBND-01", *, role: str = Role.HANDLER, username: str | None = None) -> Any:
    """An officer of `agency_code` with `role` (made once per username)."""
    from dichvucong.accounts.models import User
    from tests.conftest import make_officer

    username = username or f"{role}-{agency_code.lower()}"
    found = User.objects.filter(username=username).first()
    return found or make_officer(agency_code, username=username, roles=(role,))


def make_feedback(
    *, user: Any = None, now: dt.datetime = MONDAY_9AM, attachments: tuple[Any, ...] = (), **overrides: Any
) -> Any:
    """Feedback received at `now` (status received), from `submission(**overrides)`."""
    return services.submit_feedback(
        submission=submission(**overrides), user=user, attachments=attachments, now=now
    )


def forwarded_feedback(
    agency_code: str = "UBND-01", *, now: dt.datetime = MONDAY_9AM, feedback: Any = None, **overrides: Any
) -> Any:
    """Feedback received and forwarded to `agency_code` at `now` (status handling)."""
    from dichvucong.organisations.models import Agency

    feedback = feedback or make_feedback(now=now, **overrides)
    return services.forward(
        feedback_id=feedback.pk,
        agency_id=Agency.objects.get(code=agency_code).pk,
        actor=operator(),
        now=now,
    )


def answered_feedback(
    agency_code: str = "UBND-01",
    *,
    now: dt.datetime = MONDAY_9AM,
    answered_at: dt.datetime | None = None,
    text: str = ANSWER,
    officer: Any = None,
    **overrides: Any,
) -> Any:
    """Feedback forwarded to `agency_code` at `now` and answered (at `answered_at`, default a day later)."""
    from dichvucong.accounts.selectors import agency_scope

    feedback = forwarded_feedback(agency_code, now=now, **overrides)
    officer = officer or handler(agency_code)
    return services.answer(
        feedback_id=feedback.pk,
        actor=officer,
        scope=agency_scope(officer),
        text=text,
        now=answered_at or now + dt.timedelta(days=1),
    )


def published_feedback(
    agency_code: str = "UBND-01",
    *,
    now: dt.datetime = MONDAY_9AM,
    public: dict[str, str] | None = None,
    **overrides: Any,
) -> Any:
    """Feedback answered by `agency_code` and published with `PUBLIC` texts (no personal data)."""
    from dichvucong.accounts.selectors import agency_scope

    feedback = answered_feedback(agency_code, now=now, **overrides)
    officer = handler(agency_code)
    return services.publish(
        feedback_id=feedback.pk,
        actor=officer,
        scope=agency_scope(officer),
        now=now + dt.timedelta(days=2),
        public_title=(public or PUBLIC)["public_title"],
        public_content=(public or PUBLIC)["public_content"],
        public_answer=(public or PUBLIC)["public_answer"],
    )
