"""How a dossier moves in the one-stop system: the national status code list (TrangThaiHoSo), the transitions an
officer may make from each status, and what a status change tells the portal (one status event)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NATIONAL_DATE = "%Y%m%d%H%M%S"

STATUS_LABELS = {
    1: "Mới đăng ký",
    2: "Đã tiếp nhận",
    3: "Không được tiếp nhận",
    4: "Đang xử lý",
    5: "Yêu cầu bổ sung giấy tờ",
    6: "Yêu cầu thực hiện nghĩa vụ tài chính",
    7: "Công dân yêu cầu rút hồ sơ",
    8: "Dừng xử lý",
    9: "Đã xử lý xong",
    10: "Đã trả kết quả",
}
# What an officer may do from each status (the button labels of the dossier page).
NEXT_STATUSES: dict[int, tuple[int, ...]] = {
    1: (2, 3, 5),
    2: (4, 5, 6, 8),
    4: (5, 6, 8, 9),
    5: (2, 4, 3, 8),
    6: (4, 9, 8),
    9: (10,),
}
ACTIONS = {
    2: "Tiếp nhận",
    3: "Từ chối tiếp nhận",
    4: "Chuyển xử lý",
    5: "Yêu cầu bổ sung",
    6: "Yêu cầu nghĩa vụ tài chính",
    8: "Dừng xử lý",
    9: "Có kết quả",
    10: "Trả kết quả",
}
# Statuses whose event must say why (a refusal, a supplement, a stop): the officer writes it.
CONTENT_REQUIRED = frozenset({3, 5, 8})
DEFAULT_CONTENT = {
    2: "Tiếp nhận hồ sơ",
    4: "Chuyển phòng chuyên môn xử lý",
    6: "Đề nghị thực hiện nghĩa vụ tài chính",
    9: "Hồ sơ đã giải quyết xong, có kết quả",
    10: "Đã trả kết quả cho công dân",
}
# The automatic path (SANDBOX_ONESTOP_AUTO): each new dossier is accepted, processed, finished and returned.
AUTO_NEXT = {1: 2, 2: 4, 4: 9, 9: 10}


class TransitionError(ValueError):
    """The status asked for does not follow the dossier's current one, or its reason is missing."""


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the Vietnamese offset (+07:00), as the portal's status events take times. Microseconds are
    kept: the portal orders a dossier's events by time, and an officer may click twice in one second."""
    return moment.astimezone(VN).isoformat() if moment else None


def national_date(moment: datetime | None) -> str:
    return moment.astimezone(VN).strftime(NATIONAL_DATE) if moment else ""


def parse_national_date(value: Any) -> datetime | None:
    """`yyyyMMddHHmmss` (local time) or ISO 8601; None when empty or unreadable."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        if text.isdigit() and len(text) == 14:
            return datetime.strptime(text, NATIONAL_DATE).replace(tzinfo=VN).astimezone(UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=VN)).astimezone(UTC)


def check_transition(current: int, wanted: int, content: str) -> None:
    if wanted not in NEXT_STATUSES.get(current, ()):
        raise TransitionError(
            f"Không chuyển được từ “{STATUS_LABELS.get(current, current)}” "
            f"sang “{STATUS_LABELS.get(wanted, wanted)}”."
        )
    if wanted in CONTENT_REQUIRED and not content.strip():
        raise TransitionError(f"Cần ghi rõ nội dung khi {ACTIONS[wanted].lower()}.")


def add_working_days(start: datetime, days: int) -> datetime:
    """A rough appointment for counter dossiers: `days` weekdays later, at 17:00 local time (the sandbox knows
    no public holidays; the portal recomputes nothing from it, it takes the date as the agency states it)."""
    local = start.astimezone(VN)
    counted = 0
    while counted < days:
        local += timedelta(days=1)
        if local.weekday() < 5:
            counted += 1
    return local.replace(hour=17, minute=0, second=0, microsecond=0).astimezone(UTC)


def status_event(
    *,
    code: str,
    status: int,
    at: datetime,
    step_started_at: datetime | None,
    due_at: datetime | None,
    content: str,
    actor_name: str,
    actor_title: str,
    unit: str,
    dossier: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One event of `POST /api/v1/agency/status-events` (its id is the portal's de-duplication key)."""
    event: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "dossier_code": code,
        "status": status,
        "occurred_at": iso(at),
        "step": {
            "actor_name": actor_name,
            "actor_title": actor_title,
            "unit": unit,
            "content": content,
            "started_at": iso(step_started_at),
            "due_at": iso(due_at),
        },
    }
    if dossier is not None:
        event["dossier"] = dossier
    return event
