"""Reads on dossiers: a person's dossiers and timeline, the public look-up, ratings, notices, and the agency
systems connected to the portal."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from dichvucong.accounts.models import User
from dichvucong.core.errors import NotFound
from dichvucong.core.scope import AgencyScope
from dichvucong.dossiers.models import (
    OPEN_STATUSES,
    AgencyIntegration,
    Apology,
    Dossier,
    DossierDocument,
    DossierEvent,
    EForm,
    Notification,
    Rating,
    StoredDocument,
)
from dichvucong.dossiers.sync import SyncSource
from dichvucong.organisations import selectors as organisations


def my_dossiers(user: User) -> QuerySet[Dossier]:
    return Dossier.objects.filter(owner=user).select_related("agency").order_by("-created_at")


def dossier_for_owner(user: User, code: str) -> Dossier:
    try:
        return Dossier.objects.select_related("agency").get(owner=user, code=code)
    except Dossier.DoesNotExist as exc:
        raise NotFound(_("Không tìm thấy hồ sơ %(code)s trong tài khoản của bạn.") % {"code": code}) from exc


def timeline(dossier: Dossier) -> QuerySet[DossierEvent]:
    return DossierEvent.objects.filter(dossier=dossier).order_by("occurred_at", "event_id")


def documents(dossier: Dossier, kind: str | None = None) -> QuerySet[DossierDocument]:
    queryset = DossierDocument.objects.filter(dossier=dossier).select_related("document")
    return queryset.filter(kind=kind) if kind else queryset


def is_overdue(dossier: Dossier) -> bool:
    """Past the appointment and not finished (DOMAIN.md: overdue is derived)."""
    return bool(dossier.status in OPEN_STATUSES and dossier.due_at and dossier.due_at < timezone.now())


@dataclass(frozen=True)
class PublicStatus:
    """What the public look-up shows: no personal data."""

    code: str
    procedure_code: str
    procedure_name: str
    agency_name: str
    status: int
    status_label: str
    received_at: Any
    due_at: Any
    finished_at: Any
    returned_at: Any
    overdue: bool
    steps: list[tuple[Any, int, str, str]]  # (time, status, status label, unit)


def public_lookup(*, code: str, id_number: str) -> PublicStatus:
    """A dossier by its code, for someone who also knows the applicant's identification number. Anything that
    does not match answers the same way, so that the look-up tells nothing about which codes exist."""
    dossier = Dossier.objects.select_related("agency").filter(code=code.strip()).first()
    given = id_number.strip().encode()
    if (
        dossier is None
        or not dossier.applicant_id_number
        or not hmac.compare_digest(dossier.applicant_id_number.encode(), given)
    ):
        raise NotFound(_("Không tìm thấy hồ sơ với mã hồ sơ và số giấy tờ đã nhập."))
    steps = [
        (event.occurred_at, event.status, event.get_status_display(), event.unit)
        for event in timeline(dossier).only("occurred_at", "status", "unit")
    ]
    return PublicStatus(
        code=dossier.code,
        procedure_code=dossier.procedure_code,
        procedure_name=dossier.procedure_name,
        agency_name=dossier.agency.name,
        status=dossier.status,
        status_label=dossier.get_status_display(),
        received_at=dossier.received_at or dossier.submitted_at,
        due_at=dossier.due_at,
        finished_at=dossier.finished_at,
        returned_at=dossier.returned_at,
        overdue=is_overdue(dossier),
        steps=steps,
    )


def dossier_for_agencies(code: str, agency_ids: frozenset[int]) -> Dossier:
    """A dossier of one of `agency_ids` (an agency system's own), with its documents; anything else is NotFound,
    as if it did not exist."""
    dossier = (
        Dossier.objects.select_related("agency")
        .prefetch_related("documents__document")
        .filter(code=code)
        .first()
    )
    if dossier is None or dossier.agency_id not in agency_ids:
        raise NotFound(
            _("Không tìm thấy hồ sơ %(code)s trong các cơ quan của hệ thống.") % {"code": code[:60]}
        )
    return dossier


def submitted_document(document_id: int, dossier_code: str) -> DossierDocument:
    """A document submitted with a dossier, by the id and dossier code a download link names."""
    document = (
        DossierDocument.objects.select_related("document")
        .filter(pk=document_id, dossier__code=dossier_code, kind=DossierDocument.Kind.SUBMITTED)
        .first()
    )
    if document is None:
        raise NotFound(_("Không tìm thấy tệp."))
    return document


def my_documents(user: User) -> QuerySet[StoredDocument]:
    return StoredDocument.objects.filter(owner=user)


def eform_for(procedure_code: str) -> EForm | None:
    return EForm.objects.filter(procedure_code=procedure_code).first()


def notifications(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def unread_notifications(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def rating_averages(
    *, by: str, agency_id: int | None = None, procedure_code: str | None = None
) -> list[dict[str, Any]]:
    """Average rating per agency (`by="agency"`) or per procedure (`by="procedure"`): number of ratings, mean
    total (of 18), mean of each question; only one agency's or procedure's ratings when given."""
    column = {"agency": "agency__name", "procedure": "procedure_code"}[by]
    ratings = Rating.objects.all()
    if agency_id is not None:
        ratings = ratings.filter(agency_id=agency_id)
    if procedure_code is not None:
        ratings = ratings.filter(procedure_code=procedure_code)
    return list(
        ratings.values(column)
        .annotate(
            ratings=Count("id"),
            average_total=Avg("total"),
            average_convenience=Avg("convenience"),
            average_overall=Avg("overall"),
        )
        .order_by(column)
    )


def integration_for_agency(agency_id: int) -> AgencyIntegration | None:
    """The active one-stop system serving an agency: its own, or the nearest ancestor's (the rule of
    `integrations_for_agencies`, for one agency)."""
    return integrations_for_agencies([agency_id]).get(agency_id)


def integrations_for_agencies(agency_ids: Iterable[int]) -> dict[int, AgencyIntegration]:
    """The active one-stop system serving each agency: its own, or the nearest ancestor's (a province's system
    serves its communes); agencies that no system serves are left out. The one place of this rule: deliveries
    follow it one dossier at a time, the integration monitor for many at once. Two queries per level of the
    agency tree climbed, whatever the number of agencies; an agency with its own system climbs no further."""
    own: dict[int, AgencyIntegration] = {}
    parents: dict[int, int | None] = {}
    wanted = set(agency_ids)
    visited: set[int] = set()
    frontier = set(wanted)
    while frontier:
        visited |= frontier
        # An agency has at most one system (a one-to-one field); lowest id first all the same, as `.first()`.
        systems = AgencyIntegration.objects.filter(agency_id__in=frontier, is_active=True).order_by("pk")
        for integration in systems:
            own.setdefault(integration.agency_id, integration)
        climbing = organisations.parent_ids(frontier - own.keys())
        parents.update(climbing)
        frontier = {parent for parent in climbing.values() if parent is not None} - visited
    serving: dict[int, AgencyIntegration] = {}
    for agency_id in wanted:
        seen: set[int] = set()
        current: int | None = agency_id
        while current is not None and current not in seen:
            seen.add(current)
            if current in own:
                serving[agency_id] = own[current]
                break
            current = parents.get(current)
    return serving


def integration_ids_for_dossiers(codes: Iterable[str]) -> dict[str, int]:
    """For each dossier (by code), the id of the active one-stop system serving its agency, by the rule of
    `integrations_for_agencies`; dossiers that no system serves, or that do not exist, are left out."""
    agency_of = dict(Dossier.objects.filter(code__in=set(codes)).values_list("code", "agency_id"))
    serving = integrations_for_agencies(agency_of.values())
    return {code: serving[agency_id].pk for code, agency_id in agency_of.items() if agency_id in serving}


def active_integrations(*, integration_id: int | None = None) -> QuerySet[AgencyIntegration]:
    """The active one-stop systems with their agency, by name; only `integration_id` if given."""
    integrations = AgencyIntegration.objects.filter(is_active=True).select_related("agency")
    if integration_id is not None:
        integrations = integrations.filter(pk=integration_id)
    return integrations.order_by("name")


def integration_by_id(integration_id: int) -> AgencyIntegration | None:
    """A one-stop system, active or not, or None."""
    return AgencyIntegration.objects.filter(pk=integration_id).first()


def recorded_exchange_times(
    integration_ids: Iterable[int],
) -> dict[int, tuple[dt.datetime | None, dt.datetime | None]]:
    """(last delivery, last status sync) that each one-stop system keeps on itself (`last_delivered_at`,
    `last_synced_at`); unknown ids are left out. One query."""
    rows = AgencyIntegration.objects.filter(pk__in=set(integration_ids)).values_list(
        "pk", "last_delivered_at", "last_synced_at"
    )
    return {pk: (delivered, synced) for pk, delivered, synced in rows}


def sync_source(integration: AgencyIntegration, kind: str) -> SyncSource:
    """What an integration may write: its agency and every agency under it."""
    from dichvucong.accounts.selectors import agency_tree_ids

    return SyncSource(
        agency_id=integration.agency_id,
        allowed_agency_ids=frozenset(agency_tree_ids(integration.agency_id)),
        kind=kind,
    )


# --- reads for officers, limited to their agency scope ---------------------------------------------------------


def dossiers_in_scope(
    scope: AgencyScope,
    *,
    status: int | None = None,
    overdue: bool | None = None,
    procedure_code: str | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Dossier]:
    """The dossiers of the agencies in `scope`, newest first, without their `details`."""
    dossiers = scope.filter(Dossier.objects.select_related("agency").defer("details"))
    if status is not None:
        dossiers = dossiers.filter(status=status)
    if procedure_code:
        dossiers = dossiers.filter(procedure_code=procedure_code)
    if overdue is not None:
        # The same predicate as the partial index dossier_open_due_idx (open statuses, by due date).
        late = Q(status__in=OPEN_STATUSES, due_at__lt=now or timezone.now())
        dossiers = dossiers.filter(late) if overdue else dossiers.exclude(late)
    return dossiers.order_by("-id")


def dossier_in_scope(scope: AgencyScope, code: str, *, full: bool = False) -> Dossier:
    """One dossier of the agencies in `scope`, by code; anything else is NotFound. `full` also loads its
    events (in time order), documents and apologies."""
    dossiers = scope.filter(Dossier.objects.select_related("agency").filter(code=code))
    if full:
        dossiers = dossiers.prefetch_related(
            Prefetch("events", queryset=DossierEvent.objects.order_by("occurred_at", "event_id")),
            Prefetch("documents", queryset=DossierDocument.objects.order_by("kind", "id")),
            Prefetch("apologies", queryset=Apology.objects.order_by("created_at", "id")),
        )
    found = dossiers.first()
    if found is None:
        raise NotFound(_("Không tìm thấy hồ sơ có mã %(code)s.") % {"code": code[:60]})
    return found


def dossier_counts(scope: AgencyScope, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Open and overdue dossiers of the agencies in `scope`, for the officer's home page. Both counts read an
    index: (agency, status) for an officer's agencies, the partial index of open dossiers by due date for the
    whole country."""
    open_dossiers = scope.filter(Dossier.objects.filter(status__in=OPEN_STATUSES))
    return {
        "open": open_dossiers.count(),
        "overdue": open_dossiers.filter(due_at__lt=now or timezone.now()).count(),
    }
