"""Reminders and escalation of late feedback: the clock is moved across each point (`now=`), and a second
sweep sends nothing more."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dichvucong.accounts.roles import Role
from dichvucong.accounts.selectors import agency_scope
from dichvucong.dossiers.deadlines import LOCAL
from dichvucong.dossiers.models import Notification
from dichvucong.feedback import reminders, services, tasks
from dichvucong.feedback.models import Action, AlertStage, FeedbackAlert, FeedbackEvent
from dichvucong.organisations.models import Agency
from tests.feedback.factories import forwarded_feedback, handler, make_feedback, operator

pytestmark = pytest.mark.django_db

NOTHING = {"triage_overdue": 0, "due_soon": 0, "overdue": 0, "escalated": 0}


def at(month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=LOCAL)


def sweep(now: dt.datetime) -> dict[str, int]:
    return reminders.send_reminders(now=now)


def told(feedback: Any, stage: str) -> set[str]:
    return set(
        Notification.objects.filter(key__startswith=f"pakn:{feedback.code}:{stage}:").values_list(
            "user__username", flat=True
        )
    )


def test_handling_feedback_is_reminded_then_overdue_then_escalated_to_the_agency_above() -> None:
    # A commune's People's Committee, under the city's: due Friday 20 November, 17:00.
    worker = handler("UBND-00004")
    head = handler("UBND-00004", role=Role.HEAD)
    above = handler("UBND-01", role=Role.HEAD)
    handler("UBND-01")  # the city's handlers are not told
    operator()
    feedback = forwarded_feedback("UBND-00004")
    assert feedback.due_at == at(11, 20, 17)

    assert sweep(at(11, 17)) == NOTHING  # Friday is three working days away
    assert sweep(at(11, 18)) == NOTHING | {"due_soon": 1}
    assert told(feedback, "due_soon") == {worker.username}
    assert sweep(at(11, 18, 15)) == NOTHING

    assert sweep(at(11, 23)) == NOTHING | {"overdue": 1}
    assert told(feedback, "overdue") == {worker.username, head.username}
    # Three working days after Friday 20 (Tuesday 24 is a holiday): Thursday 26, 17:00.
    assert sweep(at(11, 26)) == NOTHING
    assert sweep(at(11, 27)) == NOTHING | {"escalated": 1}
    assert told(feedback, "escalated") == {above.username}
    escalation = FeedbackEvent.objects.get(feedback=feedback, action=Action.ESCALATED)
    assert (escalation.from_agency.code, escalation.to_agency.code) == ("UBND-00004", "UBND-01")
    assert above.username in escalation.note

    notices = Notification.objects.count()
    assert sweep(at(12, 10)) == NOTHING
    assert Notification.objects.count() == notices
    assert FeedbackEvent.objects.filter(feedback=feedback, action=Action.REMINDED).count() == 2
    alert = FeedbackAlert.objects.get(feedback=feedback, stage=AlertStage.OVERDUE)
    assert sorted(alert.recipients) == sorted([worker.username, head.username])


def test_escalation_without_an_agency_above_goes_to_the_operators() -> None:
    op = operator()
    handler("UBND-01", role=Role.HEAD)
    feedback = forwarded_feedback("UBND-01")
    assert sweep(at(11, 27)) == NOTHING | {"overdue": 1, "escalated": 1}
    assert told(feedback, "escalated") == {op.username}


def test_feedback_not_forwarded_in_time_is_reported_to_operators_once() -> None:
    op = operator()
    feedback = make_feedback()  # to be forwarded by Friday 6 November, 17:00
    assert sweep(at(11, 6, 16)) == NOTHING
    services.accept(feedback_id=feedback.pk, actor=op, now=at(11, 6, 16))
    assert sweep(at(11, 9)) == NOTHING | {"triage_overdue": 1}
    assert told(feedback, "triage_overdue") == {op.username}
    assert sweep(at(11, 10)) == NOTHING
    assert FeedbackEvent.objects.filter(feedback=feedback, action=Action.REMINDED).count() == 1


def test_a_transfer_gives_new_alerts_for_the_new_agency() -> None:
    first = handler("UBND-01")
    second = handler("UBND-79")
    handler("UBND-79", role=Role.HEAD)
    feedback = forwarded_feedback("UBND-01")
    assert sweep(at(11, 23))["overdue"] == 1
    assert told(feedback, "overdue") == {first.username}
    services.transfer(
        feedback_id=feedback.pk,
        agency_id=Agency.objects.get(code="UBND-79").pk,
        actor=first,
        scope=agency_scope(first),
        reason="Không thuộc thẩm quyền của thành phố.",
        now=at(11, 23, 10),
    )
    assert sweep(at(11, 23, 11)) == NOTHING
    # 15 working days from Monday 23 November, Tuesday 24 off: Monday 14 December.
    assert sweep(at(12, 10)) == NOTHING | {"due_soon": 1}
    assert told(feedback, "due_soon") == {second.username}
    assert sweep(at(12, 15))["overdue"] == 1
    stages = FeedbackAlert.objects.filter(feedback=feedback, agency__code="UBND-79").values_list(
        "stage", flat=True
    )
    assert sorted(stages) == ["due_soon", "overdue"]


def test_answered_feedback_is_not_reminded() -> None:
    officer = handler("UBND-01")
    feedback = forwarded_feedback("UBND-01")
    services.answer(feedback_id=feedback.pk, actor=officer, scope=agency_scope(officer), text="Đã xử lý.")
    assert sweep(at(12, 30)) == NOTHING


def test_an_alert_written_by_another_sweep_is_not_sent_again() -> None:
    handler("UBND-01")
    feedback = forwarded_feedback("UBND-01")
    now = at(11, 23)
    rows = list(reminders.candidates(AlertStage.OVERDUE, now).select_related("agency", "agency__parent"))
    alerts = reminders._alerts_for(AlertStage.OVERDUE, rows, now)
    FeedbackAlert.objects.create(
        feedback=feedback,
        stage=AlertStage.OVERDUE,
        deadline=feedback.due_at,
        agency=feedback.agency,
        sent_at=now,
    )
    assert reminders._record(alerts, now) == []
    assert FeedbackAlert.objects.filter(feedback=feedback).count() == 1


def test_the_sweep_reads_and_writes_in_bulk() -> None:
    handler("UBND-01")
    handler("UBND-01", role=Role.HEAD)
    for _ in range(2):
        forwarded_feedback("UBND-01")
    with CaptureQueriesContext(connection) as few:
        assert sweep(at(11, 23))["overdue"] == 2
    for _ in range(5):
        forwarded_feedback("UBND-01", now=at(11, 3))
    with CaptureQueriesContext(connection) as many:
        assert sweep(at(11, 24, 9))["overdue"] == 5
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_celery_task_runs_the_sweep() -> None:
    assert set(tasks.send_reminders()) == set(NOTHING)


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_alert_once() -> None:
    import threading

    from django.db import connections

    from tests.conftest import on_postgres

    if not on_postgres():
        pytest.skip("SQLite runs one writer at a time")
    handler("UBND-01")
    feedback = [forwarded_feedback("UBND-01") for _ in range(12)]
    results: list[dict[str, int]] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            results.append(sweep(at(11, 23)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r["overdue"] for r in results) == len(feedback)
    assert FeedbackAlert.objects.filter(stage=AlertStage.OVERDUE).count() == len(feedback)
    assert FeedbackEvent.objects.filter(action=Action.REMINDED).count() == len(feedback)
