"""Reminders and escalation of late feedback, run by the beat every few minutes (`tasks.send_reminders`).

- received or accepted past the forwarding time limit → the portal's operators (TRIAGE_OVERDUE);
- handling, the answer due within `FEEDBACK_REMIND_BEFORE_WORKING_DAYS` working days → the agency's handlers
  (DUE_SOON);
- handling past the due date → the handlers and the heads of the agency (OVERDUE);
- `FEEDBACK_ESCALATE_AFTER_WORKING_DAYS` working days later → the heads of the agency above it, or the
  operators when there is none (ESCALATED).

Each is sent once per feedback, stage and deadline (`FeedbackAlert`'s unique constraint): running the sweep
again, or two sweeps at once, sends nothing more; a transfer that restarts the clock sets a new deadline, so the
new agency is reminded afresh. The work is set-wise: candidates are read in batches by id, already-alerted rows
excluded in SQL, rows another sweep holds skipped (`SKIP LOCKED`), and alerts, events and notices written in
bulk. Working days are counted on the agency's calendar (the national one before forwarding).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dichvucong.accounts.models import User
from dichvucong.accounts.roles import Role
from dichvucong.core import outbox
from dichvucong.core.calendar import WorkingCalendar
from dichvucong.dossiers import deadlines
from dichvucong.dossiers.models import Notification
from dichvucong.dossiers.services import EMAIL_TOPIC, SMS_TOPIC
from dichvucong.feedback import selectors, states
from dichvucong.feedback.models import Action, AlertStage, Feedback, FeedbackAlert, FeedbackEvent, Status
from dichvucong.feedback.notices import when
from dichvucong.organisations.models import Agency

BATCH_SIZE = 500


@dataclass(frozen=True)
class Alert:
    feedback: Feedback
    stage: str
    deadline: dt.datetime
    agency: Agency | None
    recipients: list[User]
    escalated_to: Agency | None = None


def _not_alerted(queryset: QuerySet[Feedback], stage: str, deadline_field: str) -> QuerySet[Feedback]:
    sent = FeedbackAlert.objects.filter(
        feedback=OuterRef("pk"), stage=stage, deadline=OuterRef(deadline_field)
    )
    return queryset.filter(~Exists(sent))


def candidates(stage: str, now: dt.datetime) -> QuerySet[Feedback]:
    """Feedback that may need `stage`'s alert now and has not had it for its current deadline."""
    if stage == AlertStage.TRIAGE_OVERDUE:
        found = Feedback.objects.filter(status__in=states.TRIAGE, forward_due_at__lt=now)
        return _not_alerted(found, stage, "forward_due_at")
    handling = Feedback.objects.filter(status=Status.HANDLING, due_at__isnull=False)
    if stage == AlertStage.DUE_SOON:
        # A loose window on the national calendar; each row is then checked on its agency's calendar.
        calendar = selectors.national_calendar(now)
        horizon = calendar.add_working_days(
            deadlines.local(now).date(), settings.FEEDBACK_REMIND_BEFORE_WORKING_DAYS + 3
        )
        end = dt.datetime.combine(horizon + dt.timedelta(days=1), dt.time(0, 0), tzinfo=deadlines.LOCAL)
        found = handling.filter(due_at__gte=now, due_at__lt=end)
    else:
        found = handling.filter(due_at__lt=now)
    return _not_alerted(found, stage, "due_at")


def _due_soon(feedback: Feedback, calendar: WorkingCalendar, now: dt.datetime) -> bool:
    assert feedback.due_at is not None
    last = calendar.add_working_days(
        deadlines.local(now).date(), settings.FEEDBACK_REMIND_BEFORE_WORKING_DAYS
    )
    return deadlines.local(feedback.due_at).date() <= last


def _escalation_due(feedback: Feedback, calendar: WorkingCalendar, now: dt.datetime) -> bool:
    assert feedback.due_at is not None
    return deadlines.extend(calendar, feedback.due_at, settings.FEEDBACK_ESCALATE_AFTER_WORKING_DAYS) < now


class _Recipients:
    """Who is told, read once per batch: handlers and heads by agency, the operators."""

    def __init__(self, agencies: Iterable[Agency]) -> None:
        agencies = list(agencies)
        ids = {a.pk for a in agencies} | {a.parent_id for a in agencies if a.parent_id}
        self.handlers = selectors.officers_with_role(ids, Role.HANDLER)
        self.heads = selectors.officers_with_role(ids, Role.HEAD)
        self._operators: list[User] | None = None

    @property
    def operators(self) -> list[User]:
        if self._operators is None:
            self._operators = selectors.operators()
        return self._operators


def _alerts_for(stage: str, rows: list[Feedback], now: dt.datetime) -> list[Alert]:
    agencies = {f.agency.pk: f.agency for f in rows if f.agency is not None}
    calendars = selectors.agency_calendars(agencies.values(), now) if agencies else {}
    national = selectors.national_calendar(now)
    people = _Recipients(agencies.values())
    alerts: list[Alert] = []
    for feedback in rows:
        agency = feedback.agency
        calendar = calendars.get(agency.pk, national) if agency else national
        if stage == AlertStage.TRIAGE_OVERDUE:
            alerts.append(Alert(feedback, stage, feedback.forward_due_at, None, people.operators))
            continue
        assert agency is not None and feedback.due_at is not None
        if stage == AlertStage.DUE_SOON and _due_soon(feedback, calendar, now):
            alerts.append(Alert(feedback, stage, feedback.due_at, agency, people.handlers.get(agency.pk, [])))
        elif stage == AlertStage.OVERDUE:
            told = people.handlers.get(agency.pk, []) + people.heads.get(agency.pk, [])
            alerts.append(
                Alert(feedback, stage, feedback.due_at, agency, list({u.pk: u for u in told}.values()))
            )
        elif stage == AlertStage.ESCALATED and _escalation_due(feedback, calendar, now):
            parent = agency.parent
            superiors = people.heads.get(parent.pk, []) if parent else []
            alerts.append(
                Alert(
                    feedback,
                    stage,
                    feedback.due_at,
                    agency,
                    superiors or people.operators,
                    parent if superiors else None,
                )
            )
    return alerts


def _texts(alert: Alert) -> tuple[str, str]:
    f, agency_name = alert.feedback, alert.agency.name if alert.agency else ""
    values = {"code": f.code, "title": f.title, "due": when(alert.deadline), "agency": agency_name}
    if alert.stage == AlertStage.TRIAGE_OVERDUE:
        return (
            _("Phản ánh %(code)s quá hạn chuyển xử lý") % values,
            _("Phản ánh “%(title)s” phải được phân loại và chuyển cơ quan có thẩm quyền trước %(due)s.")
            % values,
        )
    if alert.stage == AlertStage.DUE_SOON:
        return (
            _("Phản ánh %(code)s sắp đến hạn trả lời") % values,
            _("Phản ánh “%(title)s” cần được trả lời trước %(due)s.") % values,
        )
    if alert.stage == AlertStage.OVERDUE:
        return (
            _("Phản ánh %(code)s đã quá hạn trả lời") % values,
            _("Phản ánh “%(title)s” phải được %(agency)s trả lời trước %(due)s nhưng chưa có trả lời.")
            % values,
        )
    return (
        _("Phản ánh %(code)s của %(agency)s quá hạn trả lời") % values,
        _(
            "Phản ánh “%(title)s” do %(agency)s xử lý đã quá hạn trả lời (%(due)s) mà chưa có kết quả. Đề nghị "
            "lãnh đạo đôn đốc xử lý."
        )
        % values,
    )


def _record(alerts: list[Alert], now: dt.datetime) -> list[Alert]:
    """Write the alerts (once each); returns those written now. Rows are locked, so a conflict means another
    sweep wrote the same alert outside them (it never should): then each is written on its own, and only the
    ones this sweep wrote are kept."""
    rows = [
        FeedbackAlert(
            feedback=a.feedback,
            stage=a.stage,
            deadline=a.deadline,
            agency=a.agency,
            recipients=[u.username for u in a.recipients],
            sent_at=now,
        )
        for a in alerts
    ]
    try:
        with transaction.atomic():
            FeedbackAlert.objects.bulk_create(rows)
        return alerts
    except IntegrityError:
        written = []
        for alert, row in zip(alerts, rows, strict=True):
            _obj, created = FeedbackAlert.objects.get_or_create(
                feedback=alert.feedback,
                stage=alert.stage,
                deadline=alert.deadline,
                defaults={"agency": alert.agency, "recipients": row.recipients, "sent_at": now},
            )
            if created:
                written.append(alert)
        return written


def _notify_all(alerts: list[Alert], now: dt.datetime) -> None:
    """In-app notices, with e-mail and SMS copies, for every recipient of every alert, in bulk (once per key)."""
    wanted: dict[str, tuple[User, str, str]] = {}
    for alert in alerts:
        title, body = _texts(alert)
        stamp = f"{deadlines.local(alert.deadline):%Y%m%d%H%M}"
        for user in alert.recipients:
            wanted[f"pakn:{alert.feedback.code}:{alert.stage}:{stamp}:{user.pk}"[:120]] = (user, title, body)
    known = set(Notification.objects.filter(key__in=list(wanted)).values_list("key", flat=True))
    notices, messages = [], []
    for key, (user, title, body) in wanted.items():
        if key in known:
            continue
        notices.append(Notification(user=user, key=key, title=title[:300], body=body, created_at=now))
        if user.email:
            messages.append((EMAIL_TOPIC, key, {"to": user.email, "subject": title, "body": body}))
        if user.phone:
            messages.append((SMS_TOPIC, key, {"to": user.phone, "text": title}))
    Notification.objects.bulk_create(notices, ignore_conflicts=True)
    outbox.enqueue_many(messages)


def _events(alerts: list[Alert], now: dt.datetime) -> None:
    events = []
    for alert in alerts:
        label = AlertStage(alert.stage).label
        names = ", ".join(u.username for u in alert.recipients) or _("không có người nhận")
        events.append(
            FeedbackEvent(
                feedback=alert.feedback,
                at=now,
                action=Action.ESCALATED if alert.stage == AlertStage.ESCALATED else Action.REMINDED,
                from_agency=alert.agency,
                to_agency=alert.escalated_to,
                note=f"{label}: {names}",
            )
        )
    FeedbackEvent.objects.bulk_create(events)


def _process(stage: str, ids: list[int], now: dt.datetime) -> int:
    with transaction.atomic():
        rows = list(
            candidates(stage, now)
            .filter(pk__in=ids)
            .select_related("agency", "agency__parent")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
        )
        alerts = _record(_alerts_for(stage, rows, now), now)
        _events(alerts, now)
        _notify_all(alerts, now)
    return len(alerts)


def _sweep(stage: str, now: dt.datetime) -> int:
    total, last_id = 0, 0
    while True:
        ids = list(
            candidates(stage, now)
            .filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH_SIZE]
        )
        if not ids:
            return total
        last_id = ids[-1]
        total += _process(stage, ids, now)


def send_reminders(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Send every reminder and escalation due at `now`; returns how many alerts of each stage were sent."""
    now = now or timezone.now()
    return {stage: _sweep(stage, now) for stage in AlertStage.values}
