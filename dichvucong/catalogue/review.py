"""The review step of procedure versions: the one table of allowed transitions and the one function that
applies them (`move`).

    draft ──submit──► review ──publish──► published ──(a newer version is published)──► superseded
      ▲                 │
      └────return───────┘  (with a reason; also when an import brings new content for a version in review)

An officer opens a draft (a new version of a published procedure, `services.start_revision`), edits it, and
sends it for review; someone allowed to publish (`catalogue.publish_procedure`: heads of agency and operators)
publishes it or returns it to draft with a reason. With `CATALOGUE_REVIEW_FOUR_EYES` the officer who sent a
version for review may not publish it. The operators' import of the national database publishes a draft
directly (`IMPORT_TRANSITIONS`, `services.save_procedure`): its records were approved where they come from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dichvucong.core.errors import DomainError

from .models import Procedure, ProcedureStatus

S = ProcedureStatus

# What officers may do, through the review pages and actions.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.IN_REVIEW}),
    S.IN_REVIEW: frozenset({S.DRAFT, S.PUBLISHED}),
    S.PUBLISHED: frozenset({S.SUPERSEDED}),
    S.SUPERSEDED: frozenset(),
}

# What the operators' import may do besides: publish a draft without review, because the record was approved
# (by the decision that announces it) where it comes from. Only `move(..., imported=True)` takes these.
IMPORT_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.PUBLISHED}),
}

# Versions not yet published: editable (draft) or being reviewed; never shown to the public or indexed.
UNPUBLISHED = frozenset({S.DRAFT, S.IN_REVIEW})

PUBLISH_PERMISSION = "catalogue.publish_procedure"

# Refusals worth a message of their own: what to do instead.
_REFUSALS: dict[tuple[str, str], Promise] = {
    (S.SUPERSEDED, S.PUBLISHED): gettext_lazy(
        "Không thể công bố lại một phiên bản đã được thay thế; hãy tạo phiên bản mới."
    ),
}


class TransitionNotAllowed(DomainError):
    code = "transition-not-allowed"
    status = 409


def can_move(current: str, target: str, *, imported: bool = False) -> bool:
    if target in TRANSITIONS.get(current, frozenset()):
        return True
    return imported and target in IMPORT_TRANSITIONS.get(current, frozenset())


def move(
    procedure: Procedure,
    target: str,
    *,
    at: datetime,
    by: Any = None,
    note: str = "",
    imported: bool = False,
) -> list[str]:
    """Put `procedure` in `target` (in memory) if the table allows it, or raise `TransitionNotAllowed` in the
    user's language; return the fields changed, for the caller's save. The caller holds the row lock.

    `by` is who sends a version for review; `note` the reason a version in review goes back to draft (shown on
    the draft); `imported` admits `IMPORT_TRANSITIONS`. Back in draft a version is no longer submitted: who sent
    it and when are cleared (the audit log keeps them)."""
    current = procedure.status
    if not can_move(current, target, imported=imported):
        refusal = _REFUSALS.get((current, target))
        raise TransitionNotAllowed(
            str(refusal)
            if refusal is not None
            else _(
                "Thủ tục %(code)s phiên bản %(version)s đang ở trạng thái “%(current)s”, không thể chuyển sang “%(target)s”."
            )
            % {
                "code": procedure.code,
                "version": procedure.version,
                "current": S(current).label,
                "target": S(target).label,
            }
        )
    procedure.status = target
    if target == S.IN_REVIEW:
        procedure.submitted_by = by
        procedure.submitted_at = at
        procedure.review_note = ""
        return ["status", "submitted_by", "submitted_at", "review_note"]
    if target == S.DRAFT:
        procedure.submitted_by = None
        procedure.submitted_at = None
        procedure.review_note = note
        return ["status", "submitted_by", "submitted_at", "review_note"]
    if target == S.PUBLISHED:
        procedure.published_at = at
        return ["status", "published_at"]
    # S.SUPERSEDED, the one target left.
    procedure.superseded_at = at
    return ["status", "superseded_at"]
