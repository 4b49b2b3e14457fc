"""Factories for the help desk tests: a call-centre agent of the portal's desk (VPCP), officers, calls taken by
the agent and questions asked on the site, all made through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dichvucong.accounts.roles import Role
from tests.conftest import make_officer

# Monday 2 November 2026, 09:00 in Hà Nội.
MONDAY_9AM = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
CALLER_PHONE = "0987654321"


def agent(username: str = "tongdai", agency: str = "VPCP") -> Any:
    return make_officer(agency, username=username, roles=(Role.CALL_CENTRE,))


def handler(agency: str = "UBND-01", username: str | None = None) -> Any:
    return make_officer(agency, username=username or f"xuly-{agency.lower()}", roles=(Role.HANDLER,))


def scope_of(user: Any) -> Any:
    from dichvucong.accounts.selectors import agency_scope

    return agency_scope(user)


def call(actor: Any, **overrides: Any) -> Any:
    """A call the agent takes: a citizen asking about birth registration."""
    from dichvucong.support import services

    values: dict[str, Any] = {
        "channel": "phone",
        "topic": "procedure",
        "subject": "Hỏi giấy tờ đăng ký khai sinh",
        "description": "Người gọi hỏi cần mang giấy tờ gì khi đăng ký khai sinh cho con ở Hà Nội.",
        "caller_name": "Trần Thị Bình",
        "caller_phone": "0987 654 321",
        "actor": actor,
        "call_duration_seconds": 125,
        "now": MONDAY_9AM,
    }
    values.update(overrides)
    return services.open_ticket(**values)


def question(**overrides: Any) -> Any:
    """A question asked on the site by someone without an account."""
    from dichvucong.support import services

    values: dict[str, Any] = {
        "channel": "web",
        "topic": "account",
        "subject": "Không đăng nhập được bằng VNeID",
        "description": "Sau khi xác thực trên ứng dụng, trang báo lỗi.",
        "caller_name": "Phạm Thu Hoa",
        "caller_phone": CALLER_PHONE,
        "caller_email": "hoa.pham@example.vn",
        "now": MONDAY_9AM,
    }
    values.update(overrides)
    return services.open_ticket(**values)
