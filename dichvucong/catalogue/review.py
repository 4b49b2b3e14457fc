"""The review step of procedure versions: the one table of allowed transitions, and the reads of the review
queue an officer's home page shows.

    draft ──submit──► review ──publish──► published ──(a newer version is published)──► superseded
      ▲                 │
      └────return───────┘  (with a reason)

An officer opens a draft (a new version of a published procedure, `services.start_revision`), edits it, and
sends it for review; someone allowed to publish (`catalogue.publish_procedure`: heads of agency and operators)
publishes it or returns it to draft with a reason. With `CATALOGUE_REVIEW_FOUR_EYES` the officer who sent a
version for review may not publish it. The operators' import of the national database publishes directly
(`services.save_procedure`): its records were approved where they come from.
"""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext as _

from dichvucong.core.errors import DomainError
from dichvucong.core.scope import AgencyScope

from .models import Procedure, ProcedureStatus

S = ProcedureStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.IN_REVIEW}),
    S.IN_REVIEW: frozenset({S.DRAFT, S.PUBLISHED}),
    S.PUBLISHED: frozenset({S.SUPERSEDED}),
    S.SUPERSEDED: frozenset(),
}

# Versions not yet published: editable (draft) or being reviewed; never shown to the public or indexed.
UNPUBLISHED = frozenset({S.DRAFT, S.IN_REVIEW})

PUBLISH_PERMISSION = "catalogue.publish_procedure"


class TransitionNotAllowed(DomainError):
    code = "transition-not-allowed"
    status = 409


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def check_move(procedure: Procedure, target: str) -> None:
    """Raise `TransitionNotAllowed` (in the user's language) unless the table allows `procedure` to `target`."""
    if not can_move(procedure.status, target):
        raise TransitionNotAllowed(
            _(
                "Thủ tục %(code)s phiên bản %(version)s đang ở trạng thái “%(current)s”, không thể chuyển sang “%(target)s”."
            )
            % {
                "code": procedure.code,
                "version": procedure.version,
                "current": S(procedure.status).label,
                "target": S(target).label,
            }
        )


def counts_in_scope(scope: AgencyScope) -> dict[str, int]:
    """Procedure versions by state for the managing agencies in `scope` (every state present, 0 if none); one
    query on `procedure_agency_status_idx`."""
    counts = {status.value: 0 for status in S}
    rows = (
        scope.filter(Procedure.objects.all(), "managing_agency")
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["status"]] = row["n"]
    return counts


def awaiting_review(scope: AgencyScope, *, limit: int = 5) -> list[Procedure]:
    """The versions in review of the agencies in `scope`, the longest waiting first."""
    return list(
        scope.filter(Procedure.objects.filter(status=S.IN_REVIEW), "managing_agency")
        .select_related("managing_agency", "submitted_by")
        .order_by("submitted_at", "id")[:limit]
    )
