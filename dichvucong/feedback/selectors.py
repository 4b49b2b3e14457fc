"""Reads of feedback: the sender's own, the published answers, an officer's within their agency scope, the
timeline, the agencies the portal suggests, and the working-day calendars the time limits are counted on."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dichvucong.accounts.models import AccountKind, OfficerRole, User
from dichvucong.core.calendar import WorkingCalendar
from dichvucong.core.errors import NotFound
from dichvucong.core.scope import AgencyScope
from dichvucong.core.text import fold
from dichvucong.feedback import states
from dichvucong.feedback.models import (
    PUBLIC_ACTIONS,
    Feedback,
    FeedbackEvent,
    Open311Client,
    Status,
)
from dichvucong.feedback.redaction import national_phone
from dichvucong.organisations.models import (
    AdministrativeUnit,
    Agency,
    AgencyKind,
    CalendarException,
    UnitLevel,
)

LIST_RELATED = ("agency", "suggested_agency", "unit", "unit__parent")
MAX_SUGGESTIONS = 6


def _feedback() -> QuerySet[Feedback]:
    return Feedback.objects.select_related(*LIST_RELATED)


def _normal_code(code: str) -> str:
    return code.strip().upper()


def _not_found() -> NotFound:
    return NotFound(_("Không tìm thấy phản ánh, kiến nghị."))


# --- the sender -------------------------------------------------------------------------------------------------


def my_feedback(user: User) -> QuerySet[Feedback]:
    """The feedback filed by `user` while signed in, newest first."""
    return _feedback().filter(user=user).order_by("-received_at", "-id")


def feedback_for_owner(user: User, code: str) -> Feedback:
    found = my_feedback(user).filter(code=_normal_code(code)).first()
    if found is None:
        raise _not_found()
    return found


def lookup(*, code: str, phone: str) -> Feedback:
    """The feedback with this tracking code whose sender gave this phone number (compared in its national form,
    however it is typed); NotFound otherwise, the same answer whichever of the two is wrong."""
    number = national_phone(phone or "")
    found = _feedback().filter(code=_normal_code(code)).first() if number else None
    if found is None or national_phone(found.sender_phone) != number:
        raise _not_found()
    return found


# --- the public -------------------------------------------------------------------------------------------------


def published(*, q: str = "", agency_code: str = "") -> QuerySet[Feedback]:
    """Published answers, newest first; `q` searches them with the catalogue's search (diacritics optional)."""
    found = _feedback().filter(status=Status.PUBLISHED)
    if agency_code:
        found = found.filter(agency__code=agency_code)
    if q.strip():
        from dichvucong.catalogue.search import Filters, search

        hits = search(q, Filters(kind="feedback", agency=agency_code or None), limit=500).items
        found = found.filter(code__in=[hit.code for hit in hits])
    return found.order_by("-published_at", "-id")


def published_get(code: str) -> Feedback:
    found = _feedback().filter(status=Status.PUBLISHED, code=_normal_code(code)).first()
    if found is None:
        raise _not_found()
    return found


# --- officers and operators -------------------------------------------------------------------------------------


def overdue_q(now: dt.datetime) -> Q:
    """Waiting for triage past the forwarding time limit, or for an answer past its due date."""
    return Q(status__in=states.TRIAGE, forward_due_at__lt=now) | Q(status=Status.HANDLING, due_at__lt=now)


def feedback_in_scope(
    scope: AgencyScope,
    *,
    status: str = "",
    q: str = "",
    overdue: bool = False,
    now: dt.datetime | None = None,
) -> QuerySet[Feedback]:
    """The feedback of the agencies in scope (unforwarded feedback has no agency: operators only), newest first.
    `q` is a tracking code, or words (diacritics optional) of the title, content, sender, phone or place."""
    found = scope.filter(_feedback(), "agency")
    if status:
        found = found.filter(status=status)
    if q.strip():
        text = q.strip()
        words = Q()
        for word in fold(text).split():
            words &= Q(search_text__contains=word)
        found = found.filter(Q(code__iexact=text) | words)
    if overdue:
        found = found.filter(overdue_q(now or timezone.now()))
    return found.order_by("-received_at", "-id")


def feedback_get_in_scope(scope: AgencyScope, code: str) -> Feedback:
    found = scope.filter(_feedback(), "agency").filter(code=_normal_code(code)).first()
    if found is None:
        raise _not_found()
    return found


def timeline(feedback: Feedback, *, public: bool) -> QuerySet[FeedbackEvent]:
    """The feedback's events in order; `public` keeps what the sender and the public see (no reminders)."""
    events = FeedbackEvent.objects.filter(feedback=feedback).select_related(
        "actor", "from_agency", "to_agency"
    )
    if public:
        events = events.filter(action__in=PUBLIC_ACTIONS)
    return events.order_by("at", "id")


def is_overdue(feedback: Feedback, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    if feedback.status in states.TRIAGE:
        return feedback.forward_due_at < now
    return feedback.status == Status.HANDLING and feedback.due_at is not None and feedback.due_at < now


def duplicates(feedback: Feedback) -> QuerySet[Feedback]:
    return Feedback.objects.filter(merged_into=feedback).order_by("received_at", "id")


# --- suggested agencies -----------------------------------------------------------------------------------------


def _committees(units: Iterable[AdministrativeUnit | None]) -> list[int]:
    """The People's Committees' ids of `units`, in the order given."""
    wanted = [u.pk for u in units if u is not None]
    by_unit = dict(
        Agency.objects.filter(
            kind=AgencyKind.PEOPLES_COMMITTEE, administrative_unit_id__in=wanted, is_active=True
        ).values_list("administrative_unit_id", "id")
    )
    return [by_unit[u] for u in wanted if u in by_unit]


def _unit_and_province(unit_code: str) -> tuple[AdministrativeUnit | None, AdministrativeUnit | None]:
    if not unit_code:
        return None, None
    unit = AdministrativeUnit.objects.select_related("parent").filter(code=unit_code).first()
    if unit is None:
        return None, None
    if unit.level == UnitLevel.COMMUNE:
        return unit, unit.parent
    return None, unit


def suggest_agencies(*, procedure_code: str = "", field_slug: str = "", unit_code: str = "") -> list[Agency]:
    """Agencies the feedback may concern, most specific first, at most six, each once: from the procedure (the
    People's Committee of the place for procedures done at commune or province level, then the agency managing
    it), from the place (the commune's, then the province's People's Committee), from the field (the agencies
    managing most of its published procedures)."""
    from dichvucong.catalogue.selectors import published_procedures

    commune, province = _unit_and_province(unit_code)
    ordered: list[int] = []
    if procedure_code:
        procedure = published_procedures().filter(code=procedure_code.strip()).first()
        if procedure is not None:
            levels = set(procedure.levels or [])
            places: list[AdministrativeUnit | None] = []
            if "commune" in levels:
                places.append(commune)
            if "province" in levels or "commune" in levels:
                places.append(province or procedure.province)
            ordered += _committees(places)
            ordered.append(procedure.managing_agency_id)
    ordered += _committees([commune, province])
    if field_slug:
        ordered += list(
            published_procedures()
            .filter(fields__slug=field_slug)
            .order_by()
            .values("managing_agency")
            .annotate(n=Count("id"))
            .order_by("-n", "managing_agency")
            .values_list("managing_agency", flat=True)[: MAX_SUGGESTIONS * 2]
        )
    unique = list(dict.fromkeys(ordered))
    agencies = Agency.objects.select_related("province").in_bulk(unique)
    return [agencies[i] for i in unique if i in agencies and agencies[i].is_active][:MAX_SUGGESTIONS]


# --- working days -----------------------------------------------------------------------------------------------


def _span(around: dt.datetime) -> tuple[dt.date, dt.date]:
    return dt.date(around.year - 1, 1, 1), dt.date(around.year + 1, 12, 31)


def national_calendar(around: dt.datetime | None = None) -> WorkingCalendar:
    """The portal's own calendar: public holidays and the national exceptions (days off or swapped working days
    the government announces), for the years around `around`."""
    start, end = _span(around or timezone.now())
    off: dict[dt.date, str] = {}
    worked: dict[dt.date, str] = {}
    for exception in CalendarException.objects.filter(agency__isnull=True, date__gte=start, date__lte=end):
        (worked if exception.is_working_day else off)[exception.date] = exception.reason
    return WorkingCalendar(extra_days_off=off, extra_working_days=worked)


def agency_calendar(agency: Agency, around: dt.datetime) -> WorkingCalendar:
    from dichvucong.organisations.selectors import working_calendar

    start, end = _span(around)
    return working_calendar(agency, start=start, end=end)


def agency_calendars(agencies: Iterable[Agency], around: dt.datetime) -> dict[int, WorkingCalendar]:
    from dichvucong.organisations.selectors import working_calendars

    start, end = _span(around)
    return working_calendars(agencies, start=start, end=end)


# --- who is told ------------------------------------------------------------------------------------------------


def officers_with_role(agency_ids: Iterable[int], role: str) -> dict[int, list[User]]:
    """Active officers holding `role` in each of `agency_ids` (one query), by agency id."""
    found: dict[int, list[User]] = {}
    rows = (
        OfficerRole.objects.filter(role=role, user__agency_id__in=list(agency_ids), user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    for row in rows:
        assert row.user.agency_id is not None
        found.setdefault(row.user.agency_id, []).append(row.user)
    return found


def operators() -> list[User]:
    return list(User.objects.filter(kind=AccountKind.OPERATOR, is_active=True).order_by("username"))


# --- Open311 ------------------------------------------------------------------------------------------------------


def key_digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def open311_client_for_key(api_key: str) -> Open311Client | None:
    """The active client whose key this is (`<prefix>.<secret>`), or None. Keys are long random strings, so a
    plain SHA-256 is enough to keep them unreadable in the database; the comparison takes constant time."""
    prefix, dot, _secret = (api_key or "").strip().partition(".")
    if not dot or not prefix:
        return None
    client = Open311Client.objects.filter(key_prefix=prefix, is_active=True).first()
    if client is None or not hmac.compare_digest(client.key_hash, key_digest(api_key.strip())):
        return None
    return client


def feedback_counts(scope: AgencyScope, *, now: dt.datetime | None = None) -> dict[str, int]:
    """For the officer's home page: feedback waiting for triage (not forwarded: operators only), being handled
    by the agencies in scope, and overdue (either), each read through an index that leads with the status or
    the agency."""
    moment = now or timezone.now()
    found = scope.filter(Feedback.objects.all(), "agency")
    return {
        "triage": found.filter(status__in=states.TRIAGE).count() if scope.is_everything else 0,
        "handling": found.filter(status=Status.HANDLING).count(),
        "overdue": found.filter(overdue_q(moment)).count(),
    }
