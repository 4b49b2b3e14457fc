"""The feedback's state machine: one table of the transitions allowed, one function that applies them.

    received ──► accepted ──► handling ──► answered ──► published
       │            │           │  ▲
       │            │           └──┘ transfer to another agency
       ├────────────┴──► refused | merged
       └──► handling (forwarded at once, without a separate acceptance)

Refused, merged and published are final: a refused or merged feedback is not reopened (the sender files again),
a published answer stays published.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from dichvucong.core.errors import DomainError
from dichvucong.feedback.models import Feedback, Status

S = Status

TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.ACCEPTED, S.REFUSED, S.MERGED, S.HANDLING}),
    S.ACCEPTED: frozenset({S.REFUSED, S.MERGED, S.HANDLING}),
    S.HANDLING: frozenset({S.HANDLING, S.ANSWERED}),
    S.ANSWERED: frozenset({S.PUBLISHED}),
    S.REFUSED: frozenset(),
    S.MERGED: frozenset(),
    S.PUBLISHED: frozenset(),
}

# Waiting for the operators (triage); waiting for an agency's answer; no more work.
TRIAGE = frozenset({S.RECEIVED, S.ACCEPTED})
OPEN = frozenset({S.RECEIVED, S.ACCEPTED, S.HANDLING})
CLOSED = frozenset({S.REFUSED, S.MERGED, S.ANSWERED, S.PUBLISHED})
# An answer exists: the sender may rate it.
ANSWERED = frozenset({S.ANSWERED, S.PUBLISHED})


class TransitionNotAllowed(DomainError):
    code = "transition-not-allowed"
    status = 409


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def move(feedback: Feedback, target: str, at: datetime) -> list[str]:
    """Put `feedback` in `target` (in memory) if the table allows it; return the fields changed, for the
    caller's save. The caller holds the feedback's row lock and sets what belongs to the step (agency, answer)."""
    if not can_move(feedback.status, target):
        raise TransitionNotAllowed(
            _("Phản ánh %(code)s đang ở trạng thái “%(current)s”, không thể chuyển sang “%(target)s”.")
            % {
                "code": feedback.code,
                "current": Status(feedback.status).label,
                "target": Status(target).label,
            }
        )
    feedback.status = target
    changed = ["status", "updated_at"]
    if target == S.HANDLING:
        feedback.forwarded_at = at
        changed.append("forwarded_at")
    elif target == S.ANSWERED:
        feedback.answered_at = at
        changed.append("answered_at")
    elif target == S.PUBLISHED:
        feedback.published_at = at
        changed.append("published_at")
    return changed
