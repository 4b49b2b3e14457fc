"""Reads about accounts: agency scope, operators, sessions, consents, audit events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from dichvucong.core.errors import NotFound
from dichvucong.core.models import AuditEvent
from dichvucong.core.scope import AgencyScope
from dichvucong.organisations.models import Agency

from .models import AccountKind, Consent, PortalSession, RelyingParty, User


def agency_scope(user: Any) -> AgencyScope:
    """What agencies' data `user` may see: operators and superusers everything; an officer their agency and
    the agencies under it; anyone else nothing. Cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return AgencyScope.nothing()
    cached = getattr(user, "_agency_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser or user.kind == AccountKind.OPERATOR:
        scope = AgencyScope.everything()
    elif user.kind == AccountKind.OFFICER and user.agency_id:
        scope = AgencyScope(agency_ids=frozenset(agency_tree_ids(user.agency_id)))
    else:
        scope = AgencyScope.nothing()
    user._agency_scope = scope
    return scope


def agency_tree_ids(root_id: int) -> set[int]:
    """`root_id` and every agency under it (the tree is shallow: central → province → commune)."""
    found = {root_id}
    frontier = {root_id}
    while frontier:
        frontier = set(Agency.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - found
        found |= frontier
    return found


def active_operators() -> QuerySet[User]:
    """Every active operator (the portal's own staff, who run the back office), by id."""
    return User.objects.filter(kind=AccountKind.OPERATOR, is_active=True).order_by("pk")


def officer_roles(user: User) -> list[str]:
    return sorted(user.officer_roles.values_list("role", flat=True))


def active_sessions(user: User) -> QuerySet[PortalSession]:
    return (
        PortalSession.objects.filter(user=user, ended_at__isnull=True)
        .prefetch_related("rp_sessions__relying_party")
        .order_by("-last_seen_at")
    )


def session_of(user: User, session_id: int) -> PortalSession:
    try:
        return PortalSession.objects.get(pk=session_id, user=user, ended_at__isnull=True)
    except PortalSession.DoesNotExist as exc:
        raise NotFound("Không tìm thấy phiên đăng nhập này.") from exc


def consents_of(user: User) -> QuerySet[Consent]:
    return Consent.objects.filter(user=user).select_related("relying_party").order_by("-granted_at")


def relying_party_by_client_id(client_id: str) -> RelyingParty:
    try:
        return RelyingParty.objects.get(client_id=client_id)
    except RelyingParty.DoesNotExist as exc:
        raise NotFound("Không tìm thấy cổng kết nối này.") from exc


def agency_id_by_code(code: str) -> int | None:
    """The id of the agency whose code is `code` (any case, surrounding spaces ignored), or None."""
    return Agency.objects.filter(code__iexact=code.strip()).values_list("id", flat=True).first()


def with_agency_code(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """`events`, each with `agency_code` (the code of its agency, or None), in the same query."""
    code = Agency.objects.filter(pk=OuterRef("agency_id")).values("code")[:1]
    return events.annotate(agency_code=Subquery(code))


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


def narrow_audit_events(
    events: QuerySet[AuditEvent],
    *,
    action: str | None = None,
    actor: str | None = None,
    agency_id: int | None = None,
    day_from: dt.date | None = None,
    day_to: dt.date | None = None,
    object_type: str | None = None,
) -> QuerySet[AuditEvent]:
    """`events` narrowed by each criterion given (None or empty: not applied):

    - `action`: exactly this action (`agency.updated`);
    - `actor`: whose name holds this text, any case;
    - `agency_id`: of this agency only (not of the agencies under it);
    - `day_from`, `day_to`: from one day to another, both included, in the portal's local time (the log is
      kept in UTC; 23:30 in Hà Nội on the 10th is on the 10th);
    - `object_type`: about this kind of record (`catalogue.procedure`).

    Applies no scope: callers pass events already in scope (`audit_events`, the back office's list)."""
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor_label__icontains=actor)
    if agency_id is not None:
        events = events.filter(agency_id=agency_id)
    if day_from is not None:
        events = events.filter(at__gte=_local_midnight(day_from))
    if day_to is not None:
        events = events.filter(at__lt=_local_midnight(day_to + dt.timedelta(days=1)))
    if object_type:
        events = events.filter(object_type=object_type)
    return events


def audit_events(
    scope: AgencyScope,
    *,
    action: str | None = None,
    actor: str | None = None,
    agency_code: str | None = None,
    day_from: dt.date | None = None,
    day_to: dt.date | None = None,
    object_type: str | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events of the agencies in scope, newest first (operators see every event; events of no agency are
    for operators only), narrowed as `narrow_audit_events` says. `agency_code` is an agency's code, any case:
    an unknown code finds nothing, and so does an agency out of scope (the scope is applied first)."""
    events = scope.filter(AuditEvent.objects.all(), field="agency_id")
    agency_id = None
    if agency_code:
        agency_id = agency_id_by_code(agency_code)
        if agency_id is None:
            return events.none()
    return narrow_audit_events(
        events,
        action=action,
        actor=actor,
        agency_id=agency_id,
        day_from=day_from,
        day_to=day_to,
        object_type=object_type,
    ).order_by("-at", "-id")
