"""Reads about accounts: agency scope, operators, sessions, consents, audit events."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

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


def audit_events(
    scope: AgencyScope, *, action: str | None = None, actor: str | None = None
) -> QuerySet[AuditEvent]:
    """Audit events of the agencies in scope, newest first (operators see every event)."""
    events = scope.filter(AuditEvent.objects.all(), field="agency_id")
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor_label__icontains=actor)
    return events.order_by("-at", "-id")
