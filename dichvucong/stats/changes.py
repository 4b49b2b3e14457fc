"""Which source rows changed: recorded in `Pending`, in the transaction of the change, for the roll-up to read.

Rows saved through the ORM are seen by `post_save`; the status sync, which writes with set-based SQL, sends
`dossiers.signals.dossiers_changed`. Marking is one `INSERT … ON CONFLICT DO NOTHING`: a row changed many times
before the roll-up is read once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save

from dichvucong.stats.models import Pending

DOSSIER = "dossier"
RATING = "rating"
PAYMENT = "payment"
FEEDBACK = "feedback"
ACCOUNT = "account"
KINDS = (DOSSIER, RATING, PAYMENT, FEEDBACK, ACCOUNT)


def mark(kind: str, ids: Iterable[int]) -> None:
    """Record that these rows of `kind` changed."""
    rows = [Pending(kind=kind, object_id=pk) for pk in sorted(set(ids))]
    if rows:
        Pending.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)


def _on_dossiers_changed(sender: Any, ids: Iterable[int], **kwargs: Any) -> None:
    mark(DOSSIER, ids)


def _saved(kind: str, attribute: str = "pk") -> Any:
    def receiver(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
        if not raw:
            mark(kind, [getattr(instance, attribute)])

    return receiver


def _created(kind: str) -> Any:
    """Accounts count once, when made: their later saves (every sign-in) change no figure."""

    def receiver(sender: Any, instance: Any, created: bool = False, raw: bool = False, **kwargs: Any) -> None:
        if created and not raw:
            mark(kind, [instance.pk])

    return receiver


# Kept at module level: signals hold weak references to receivers by default.
_RECEIVERS: dict[str, Any] = {}


def connect() -> None:
    """Connect the receivers (from `StatsConfig.ready`)."""
    from dichvucong.dossiers.models import Dossier, DossierDocument, Rating
    from dichvucong.dossiers.signals import dossiers_changed
    from dichvucong.feedback.models import Feedback
    from dichvucong.payments.models import PaymentOrder

    _RECEIVERS.update(
        dossier=_saved(DOSSIER),
        document=_saved(DOSSIER, "dossier_id"),
        rating=_saved(RATING),
        payment=_saved(PAYMENT),
        feedback=_saved(FEEDBACK),
        account=_created(ACCOUNT),
    )
    post_save.connect(_RECEIVERS["dossier"], sender=Dossier, dispatch_uid="stats.dossier")
    post_save.connect(_RECEIVERS["document"], sender=DossierDocument, dispatch_uid="stats.document")
    post_save.connect(_RECEIVERS["rating"], sender=Rating, dispatch_uid="stats.rating")
    post_save.connect(_RECEIVERS["payment"], sender=PaymentOrder, dispatch_uid="stats.payment")
    post_save.connect(_RECEIVERS["feedback"], sender=Feedback, dispatch_uid="stats.feedback")
    post_save.connect(_RECEIVERS["account"], sender=get_user_model(), dispatch_uid="stats.account")
    dossiers_changed.connect(_on_dossiers_changed, dispatch_uid="stats.dossiers_changed")
