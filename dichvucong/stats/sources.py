"""What each source row contributes to the figures now: `{"YYYY-MM|metric": amount}` and the agency it counts
for. These functions are the definitions of the published figures (docs/statistics.md states them); the roll-up
applies their changes, and the tests recount the same figures from the raw rows independently.

They read other apps' rows with `.values()` only, in batches: the roll-up is the one reader of all of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from dichvucong.catalogue.models import OnlineLevel, Procedure
from dichvucong.dossiers import deadlines
from dichvucong.dossiers.models import Channel, Dossier, DossierDocument, Rating
from dichvucong.feedback.models import Feedback
from dichvucong.payments.bills import fee_lines
from dichvucong.payments.models import BillSource, OrderStatus, PaymentOrder
from dichvucong.stats import changes

Values = dict[str, int]
Contributions = dict[int, tuple[int | None, Values]]  # object id → (agency id, values)

# Rating criteria (0-based positions in `Rating.scores`, DOMAIN.md's order) the index reads on their own.
CRITERION_PUBLISHED_CORRECTLY = 5
COUNTED_ORDER_STATES = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)


def local_tz() -> dt.tzinfo:
    """The portal's time zone (settings.TIME_ZONE, Asia/Ho_Chi_Minh): months and days are counted in it."""
    return timezone.get_default_timezone()


def month_key(at: dt.datetime) -> str:
    return at.astimezone(local_tz()).strftime("%Y-%m")


def _add(values: Values, month: str, metric: str, amount: int = 1) -> None:
    key = f"{month}|{metric}"
    values[key] = values.get(key, 0) + amount


def dossiers(ids: Sequence[int]) -> Contributions:
    rows = list(
        Dossier.objects.filter(id__in=ids).values_list(
            "id", "agency_id", "procedure_code", "channel", "received_at", "finished_at", "due_at", "details"
        )
    )
    codes = {row[2] for row in rows if row[2]}
    levels = (
        dict(Procedure.objects.filter(code__in=codes).values_list("code", "online_level")) if codes else {}
    )
    documents: dict[int, set[str]] = {}
    for dossier_id, kind in DossierDocument.objects.filter(dossier_id__in=ids).values_list(
        "dossier_id", "kind"
    ):
        documents.setdefault(dossier_id, set()).add(kind)
    result: Contributions = {}
    for pk, agency_id, procedure_code, channel, received_at, finished_at, due_at, details in rows:
        details = details if isinstance(details, dict) else {}
        kinds = documents.get(pk, set())
        values: Values = {}
        if received_at is not None:
            month = month_key(received_at)
            _add(values, month, "received")
            if channel == Channel.ONLINE:
                _add(values, month, "received_online")
                full = levels.get(procedure_code) == OnlineLevel.FULL
                _add(values, month, "received_online_full" if full else "received_online_partial")
            if fee_lines(details):  # a fee a bill could be made for (0 đồng lines owe nothing)
                _add(values, month, "received_with_fee")
            if "submitted" in kinds or details.get("TaiLieuNop"):
                _add(values, month, "received_digitised")
        if finished_at is not None:
            month = month_key(finished_at)
            _add(values, month, "resolved")
            # No appointment (a procedure without a time limit): on time.
            _add(values, month, "resolved_" + (deadlines.outcome(finished_at, due_at) or "on_time"))
            if "result" in kinds or details.get("DanhSachGiayToKetQua"):
                _add(values, month, "resolved_result_digitised")
        result[pk] = (agency_id, values)
    return result


def ratings(ids: Sequence[int]) -> Contributions:
    result: Contributions = {}
    for pk, agency_id, scores, total, overall, created_at in Rating.objects.filter(id__in=ids).values_list(
        "id", "agency_id", "scores", "total", "overall", "created_at"
    ):
        month = month_key(created_at)
        values: Values = {}
        _add(values, month, "ratings")
        _add(values, month, "rating_points", int(total))
        published = (
            scores[CRITERION_PUBLISHED_CORRECTLY] if len(scores) > CRITERION_PUBLISHED_CORRECTLY else 0
        )
        _add(values, month, "rating_published_correctly_points", int(published))
        _add(
            values,
            month,
            {2: "rating_very_satisfied", 1: "rating_satisfied"}.get(overall, "rating_not_satisfied"),
        )
        result[pk] = (agency_id, values)
    return result


def payments(ids: Sequence[int]) -> Contributions:
    result: Contributions = {}
    rows = PaymentOrder.objects.filter(id__in=ids).values_list(
        "id",
        "status",
        "paid_at",
        "amount",
        "refunded_amount",
        "bill__agency_id",
        "bill__group",
        "bill__source",
    )
    for pk, status, paid_at, amount, refunded, agency_id, group, source in rows:
        values: Values = {}
        if status in COUNTED_ORDER_STATES and paid_at is not None:
            month = month_key(paid_at)
            _add(values, month, "payments_online")
            _add(values, month, "payments_online_amount", int(amount) - int(refunded))
            _add(values, month, f"payments_online_{group}")
            if source == BillSource.DOSSIER:
                _add(values, month, "dossier_fees_paid_online")
        result[pk] = (agency_id, values)
    return result


def feedback(ids: Sequence[int]) -> Contributions:
    result: Contributions = {}
    rows = Feedback.objects.filter(id__in=ids).values_list(
        "id", "agency_id", "received_at", "due_at", "answered_at", "published_at"
    )
    for pk, agency_id, received_at, due_at, answered_at, published_at in rows:
        values: Values = {}
        _add(values, month_key(received_at), "feedback_received")
        if answered_at is not None:
            month = month_key(answered_at)
            _add(values, month, "feedback_answered")
            if due_at is None or answered_at <= due_at:
                _add(values, month, "feedback_answered_on_time")
            if published_at is not None:
                _add(values, month, "feedback_answered_published")
        result[pk] = (agency_id, values)
    return result


def accounts(ids: Sequence[int]) -> Contributions:
    """Accounts of people (citizens and the representatives of businesses); officers' and operators' are not
    counted."""
    result: Contributions = {}
    for pk, joined in (
        get_user_model().objects.filter(id__in=ids, kind="citizen").values_list("id", "date_joined")
    ):
        result[pk] = (None, {f"{month_key(joined)}|accounts": 1})
    return result


READERS: dict[str, Callable[[Sequence[int]], Contributions]] = {
    changes.DOSSIER: dossiers,
    changes.RATING: ratings,
    changes.PAYMENT: payments,
    changes.FEEDBACK: feedback,
    changes.ACCOUNT: accounts,
}


def all_ids(kind: str) -> Any:
    """Every row of a kind, for a rebuild (a queryset of ids, read in batches by the caller)."""
    model: Any = {
        changes.DOSSIER: Dossier,
        changes.RATING: Rating,
        changes.PAYMENT: PaymentOrder,
        changes.FEEDBACK: Feedback,
        changes.ACCOUNT: get_user_model(),
    }[kind]
    return model.objects.order_by("id").values_list("id", flat=True)
