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


def connect() -> None:
    """Connect the receivers (from `StatsConfig.ready`). They are made here, so nothing else refers to them:
    `weak=False` keeps them (signals hold weak references by default)."""
    from dichvucong.dossiers.models import Dossier, DossierDocument, Rating
    from dichvucong.dossiers.signals import dossiers_changed
    from dichvucong.feedback.models import Feedback
    from dichvucong.payments.models import PaymentOrder

    for receiver, sender, uid in (
        (_saved(DOSSIER), Dossier, "stats.dossier"),
        (_saved(DOSSIER, "dossier_id"), DossierDocument, "stats.document"),
        (_saved(RATING), Rating, "stats.rating"),
        (_saved(PAYMENT), PaymentOrder, "stats.payment"),
        (_saved(FEEDBACK), Feedback, "stats.feedback"),
        (_created(ACCOUNT), get_user_model(), "stats.account"),
    ):
        post_save.connect(receiver, sender=sender, weak=False, dispatch_uid=uid)
    dossiers_changed.connect(_on_dossiers_changed, dispatch_uid="stats.dossiers_changed")
