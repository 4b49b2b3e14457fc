"""The feedback state machine: every pair of statuses, allowed or refused by the one table."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from dichvucong.feedback import states
from dichvucong.feedback.models import Feedback, Status

AT = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
ALLOWED = {
    (Status.RECEIVED, Status.ACCEPTED),
    (Status.RECEIVED, Status.REFUSED),
    (Status.RECEIVED, Status.MERGED),
    (Status.RECEIVED, Status.HANDLING),
    (Status.ACCEPTED, Status.REFUSED),
    (Status.ACCEPTED, Status.MERGED),
    (Status.ACCEPTED, Status.HANDLING),
    (Status.HANDLING, Status.HANDLING),
    (Status.HANDLING, Status.ANSWERED),
    (Status.ANSWERED, Status.PUBLISHED),
}
PAIRS = list(itertools.product(Status.values, Status.values))


@pytest.mark.parametrize(("current", "target"), [p for p in PAIRS if p in ALLOWED])
def test_allowed_transition_moves_the_status(current: str, target: str) -> None:
    feedback = Feedback(code="PAKN-261102-ABCDEF", status=current)
    changed = states.move(feedback, target, AT)
    assert feedback.status == target
    assert "status" in changed


@pytest.mark.parametrize(("current", "target"), [p for p in PAIRS if p not in ALLOWED])
def test_other_transition_is_refused_with_409(current: str, target: str) -> None:
    feedback = Feedback(code="PAKN-261102-ABCDEF", status=current)
    with pytest.raises(states.TransitionNotAllowed) as refused:
        states.move(feedback, target, AT)
    assert refused.value.status == 409
    assert "PAKN-261102-ABCDEF" in refused.value.message
    assert str(Status(current).label) in refused.value.message
    assert feedback.status == current


def test_final_statuses_have_no_way_out() -> None:
    for final in (Status.REFUSED, Status.MERGED, Status.PUBLISHED):
        assert states.TRANSITIONS[final] == frozenset()


@pytest.mark.parametrize(
    ("current", "target", "field"),
    [
        (Status.ACCEPTED, Status.HANDLING, "forwarded_at"),
        (Status.HANDLING, Status.ANSWERED, "answered_at"),
        (Status.ANSWERED, Status.PUBLISHED, "published_at"),
    ],
)
def test_move_stamps_the_time_of_the_step(current: str, target: str, field: str) -> None:
    feedback = Feedback(code="PAKN-261102-ABCDEF", status=current)
    changed = states.move(feedback, target, AT)
    assert getattr(feedback, field) == AT
    assert field in changed


def test_every_status_is_in_the_table() -> None:
    assert set(states.TRANSITIONS) == set(Status.values)
