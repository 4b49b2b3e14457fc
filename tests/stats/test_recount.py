"""Acceptance 1 of issue 7: every published figure, at every level (each agency, province, ministry and the
country) and in every month, equals a recount from the raw rows, after the figures were kept up to date
incrementally through a history of changes (events in any order, dossiers moving agency, dates moving earlier,
appointments moved by supplements, ratings, payments, feedback forwarded and answered, accounts).

The recount here is written independently of `dichvucong.stats.sources`: SQL aggregates by month (TruncMonth in
Asia/Ho_Chi_Minh) where the database can do it, Python over the raw rows for what is inside JSON.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDate, TruncMonth

from dichvucong.catalogue.models import Procedure
from dichvucong.dossiers import services as dossier_services
from dichvucong.dossiers import sync
from dichvucong.dossiers.models import Dossier, DossierEvent, Rating, Status
from dichvucong.dossiers.national import DossierRecord
from dichvucong.feedback.models import Feedback
from dichvucong.organisations.models import Agency, AgencyLevel
from dichvucong.payments import services as payment_services
from dichvucong.payments.models import OrderStatus, PaymentOrder
from dichvucong.stats import quality, selectors
from dichvucong.stats import services as stats
from dichvucong.stats.models import Figure, Pending
from tests.conftest import make_citizen, make_procedure
from tests.feedback import factories as feedback_factories
from tests.payments import factories as payment_factories

pytestmark = pytest.mark.django_db

VN = ZoneInfo("Asia/Ho_Chi_Minh")
START = dt.datetime(2026, 8, 28, 2, 0, tzinfo=dt.UTC)  # four months before the turn of the year
FULL, PARTIAL = "1.001456", "1.000001"


# --- the independent recount ------------------------------------------------------------------------------------


def _month(value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.astimezone(VN) if value.tzinfo else value
    return value.strftime("%Y-%m")


def _scopes_of() -> dict[int | None, list[str]]:
    """Each agency's scopes, from the register: itself, its province or the root of its ministry, the country."""
    rows = {a.pk: a for a in Agency.objects.select_related("province")}
    result: dict[int | None, list[str]] = {None: ["VN"]}
    for pk, agency in rows.items():
        scopes = [f"A:{pk}"]
        if agency.level == AgencyLevel.CENTRAL:
            root = agency
            while root.parent_id is not None:
                root = rows[root.parent_id]
            scopes.append(f"M:{root.code}")
        elif agency.province is not None:
            scopes.append(f"P:{agency.province.code}")
        result[pk] = [*scopes, "VN"]
    return result


def _spread(counts: Counter[tuple[int | None, str, str]]) -> Counter[tuple[str, str, str]]:
    scopes = _scopes_of()
    spread: Counter[tuple[str, str, str]] = Counter()
    for (agency_id, month, metric), value in counts.items():
        for scope in scopes[agency_id]:
            spread[(scope, month, metric)] += value
    return spread


def _owes_a_fee(details: dict[str, Any]) -> bool:
    """A fee line of more than 0 đồng, as the portal or the agency wrote it (`fees`, `DanhSachLePhi`)."""
    lines = details.get("fees") or details.get("DanhSachLePhi") or []
    return any(
        str(line.get("SoTien", "")).strip().isdigit() and int(str(line["SoTien"]).strip()) > 0
        for line in lines
    )


def _by_month(queryset: Any, date_field: str, metric: str, counts: Counter[Any], value: Any = None) -> None:
    rows = (
        queryset.annotate(m=TruncMonth(date_field, tzinfo=VN))
        .values("agency_id", "m")
        .annotate(n=value if value is not None else Count("id"))
    )
    for row in rows:
        counts[(row["agency_id"], _month(row["m"]), metric)] += int(row["n"])


def recount() -> Counter[tuple[str, str, str]]:
    counts: Counter[tuple[int | None, str, str]] = Counter()
    level = Procedure.objects.filter(code=OuterRef("procedure_code")).values("online_level")[:1]
    dossiers = Dossier.objects.annotate(level=Subquery(level))
    received = dossiers.filter(received_at__isnull=False)
    _by_month(received, "received_at", "received", counts)
    online = received.filter(channel=2)
    _by_month(online, "received_at", "received_online", counts)
    _by_month(online.filter(level="full"), "received_at", "received_online_full", counts)
    _by_month(
        online.filter(Q(level__isnull=True) | ~Q(level="full")),
        "received_at",
        "received_online_partial",
        counts,
    )
    resolved = dossiers.filter(finished_at__isnull=False)
    _by_month(resolved, "finished_at", "resolved", counts)
    late = Q(due_at__isnull=False, finished_at__gt=F("due_at"))
    dated = resolved.annotate(
        fin_day=TruncDate("finished_at", tzinfo=VN), due_day=TruncDate("due_at", tzinfo=VN)
    )
    _by_month(resolved.filter(late), "finished_at", "resolved_late", counts)
    early = dated.filter(due_at__isnull=False, finished_at__lte=F("due_at"), fin_day__lt=F("due_day"))
    _by_month(early, "finished_at", "resolved_early", counts)
    on_time = dated.exclude(late).exclude(pk__in=early.values("pk"))
    _by_month(on_time, "finished_at", "resolved_on_time", counts)
    # What is inside JSON (fees, documents as sent), in Python over the raw rows.
    for d in Dossier.objects.prefetch_related("documents"):
        kinds = {doc.kind for doc in d.documents.all()}
        if d.received_at and _owes_a_fee(d.details):
            counts[(d.agency_id, _month(d.received_at), "received_with_fee")] += 1
        if d.received_at and ("submitted" in kinds or d.details.get("TaiLieuNop")):
            counts[(d.agency_id, _month(d.received_at), "received_digitised")] += 1
        if d.finished_at and ("result" in kinds or d.details.get("DanhSachGiayToKetQua")):
            counts[(d.agency_id, _month(d.finished_at), "resolved_result_digitised")] += 1
    ratings = Rating.objects.all()
    _by_month(ratings, "created_at", "ratings", counts)
    _by_month(ratings, "created_at", "rating_points", counts, Sum("total"))
    _by_month(ratings.filter(overall=2), "created_at", "rating_very_satisfied", counts)
    _by_month(ratings.filter(overall=1), "created_at", "rating_satisfied", counts)
    _by_month(ratings.filter(overall=0), "created_at", "rating_not_satisfied", counts)
    for r in ratings:
        counts[(r.agency_id, _month(r.created_at), "rating_published_correctly_points")] += r.scores[5]
    paid = PaymentOrder.objects.filter(
        status__in=[OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED], paid_at__isnull=False
    ).annotate(agency_id=F("bill__agency_id"))
    _by_month(paid, "paid_at", "payments_online", counts)
    _by_month(paid, "paid_at", "payments_online_amount", counts, Sum(F("amount") - F("refunded_amount")))
    for group in {g for g in paid.values_list("bill__group", flat=True)}:
        _by_month(paid.filter(bill__group=group), "paid_at", f"payments_online_{group}", counts)
    _by_month(paid.filter(bill__source="dossier"), "paid_at", "dossier_fees_paid_online", counts)
    feedback = Feedback.objects.all()
    _by_month(feedback, "received_at", "feedback_received", counts)
    answered = feedback.filter(answered_at__isnull=False)
    _by_month(answered, "answered_at", "feedback_answered", counts)
    in_time = Q(due_at__isnull=True) | Q(answered_at__lte=F("due_at"))
    _by_month(answered.filter(in_time), "answered_at", "feedback_answered_on_time", counts)
    _by_month(
        answered.filter(published_at__isnull=False), "answered_at", "feedback_answered_published", counts
    )
    from django.contrib.auth import get_user_model

    people = get_user_model().objects.filter(kind="citizen")
    for row in people.annotate(m=TruncMonth("date_joined", tzinfo=VN)).values("m").annotate(n=Count("id")):
        counts[(None, _month(row["m"]), "accounts")] += row["n"]
    return +_spread(counts)


def published() -> Counter[tuple[str, str, str]]:
    figures: Counter[tuple[str, str, str]] = Counter()
    for f in Figure.objects.exclude(metric="visits"):
        figures[(f.scope, f.month.strftime("%Y-%m"), f.metric)] += f.value
    return +figures


def assert_figures_match() -> None:
    stats.roll_up()
    assert not Pending.objects.exists()
    expected, actual = recount(), published()
    assert expected, "the scenario produced no figure"
    missing = {k: v for k, v in expected.items() if actual.get(k) != v}
    extra = {k: v for k, v in actual.items() if k not in expected}
    assert not missing and not extra, (missing, extra)


# --- the scenario -------------------------------------------------------------------------------------------------


def _agencies() -> dict[str, Agency]:
    communes_hn = list(
        Agency.objects.filter(level=AgencyLevel.COMMUNE, province__code="01").order_by("code")[:3]
    )
    communes_hcm = list(
        Agency.objects.filter(level=AgencyLevel.COMMUNE, province__code="79").order_by("code")[:2]
    )
    central_child = (
        Agency.objects.filter(level=AgencyLevel.CENTRAL, parent__isnull=False).order_by("code").first()
    )
    assert central_child is not None and len(communes_hn) == 3 and len(communes_hcm) == 2
    picked = {
        "UBND-01": Agency.objects.get(code="UBND-01"),
        "CA-01": Agency.objects.get(code="CA-01"),
        "UBND-79": Agency.objects.get(code="UBND-79"),
        "central": central_child,
        "root": Agency.objects.get(pk=central_child.parent_id),
    }
    for i, agency in enumerate(communes_hn + communes_hcm):
        picked[f"commune-{i}"] = agency
    return picked


def _source() -> sync.SyncSource:
    ids = frozenset(Agency.objects.values_list("pk", flat=True))
    return sync.SyncSource(agency_id=Agency.objects.get(code="UBND-01").pk, allowed_agency_ids=ids)


def _ingest(events: list[sync.EventIn]) -> None:
    results = sync.ingest(source=_source(), events=events, now=START + dt.timedelta(days=400))
    assert all(r.outcome in ("applied", "duplicate") for r in results), results


def _history(rng: random.Random, agencies: dict[str, Agency]) -> list[sync.EventIn]:
    """Events of 60 dossiers over four months, shuffled: most received and resolved (some late, some after a
    supplement request), online or at the counter, with fees and documents for some."""
    events: list[sync.EventIn] = []
    names = sorted(agencies)
    for n in range(60):
        code = f"STAT-{n:04d}"
        agency = agencies[rng.choice(names)]
        received = START + dt.timedelta(days=rng.randrange(0, 120), hours=rng.randrange(0, 8))
        extra: dict[str, Any] = {}
        if rng.random() < 0.4:
            # Some lines of 0 đồng (a fee waived): nothing is owed, no bill could be made.
            extra["DanhSachLePhi"] = [{"MaLePhi": "LP1", "SoTien": 50000 if n % 5 else 0, "MoTa": "Lệ phí"}]
        if rng.random() < 0.5:
            extra["TaiLieuNop"] = [{"TenTepDinhKem": "to-khai.pdf"}]
        if rng.random() < 0.4:
            extra["DanhSachGiayToKetQua"] = [{"TenGiayTo": "Giấy khai sinh", "MaGiayTo": f"KQ.{n}"}]
        record = DossierRecord(
            code=code,
            agency_code=agency.code,
            procedure_code=rng.choice([FULL, PARTIAL, ""]),
            applicant_name="Nguyễn Văn An",
            channel=rng.choice([1, 2, 2, 3]),
            due_at=received + dt.timedelta(days=rng.choice([1, 3, 10])) if rng.random() < 0.9 else None,
            extra=extra,
        )
        at = received
        events.append(
            sync.EventIn(f"{code}-1", code, Status.SUBMITTED, at - dt.timedelta(hours=1), dossier=record)
        )
        events.append(sync.EventIn(f"{code}-2", code, Status.ACCEPTED, at))
        if rng.random() < 0.2:
            at += dt.timedelta(days=1)
            events.append(sync.EventIn(f"{code}-3", code, Status.SUPPLEMENT_REQUESTED, at))
            at += dt.timedelta(days=rng.randrange(1, 4))
            events.append(sync.EventIn(f"{code}-4", code, Status.PROCESSING, at))
        if rng.random() < 0.8:
            at += dt.timedelta(days=rng.choice([0, 1, 2, 5, 12]), hours=rng.randrange(0, 6))
            events.append(sync.EventIn(f"{code}-5", code, Status.RESULT_READY, at))
            events.append(sync.EventIn(f"{code}-6", code, Status.RESULT_RETURNED, at + dt.timedelta(hours=3)))
    rng.shuffle(events)
    return events


def test_figures_equal_a_recount_at_every_level_through_a_history_of_changes() -> None:
    rng = random.Random(766)
    make_procedure(code=FULL, online_level="full")
    make_procedure(code=PARTIAL, online_level="partial", name="Thủ tục thử một phần")
    agencies = _agencies()
    events = _history(rng, agencies)

    # Events arrive in several batches, in any order, some twice; the roll-up runs in between.
    for start in range(0, len(events), 37):
        _ingest(events[start : start + 37])
        if start % 74 == 0:
            stats.roll_up()
    _ingest(events[:50])  # replayed: nothing changes
    assert_figures_match()

    # Later events move dates earlier (a result recorded before the one known), and a dossier changes agency.
    moved = Dossier.objects.filter(finished_at__isnull=False).order_by("code")[:5]
    _ingest(
        [
            sync.EventIn(
                f"{d.code}-early", d.code, Status.RESULT_READY, d.finished_at - dt.timedelta(days=40)
            )
            for d in moved
        ]
    )
    transfer = Dossier.objects.order_by("code")[7]
    later = transfer.status_at + dt.timedelta(minutes=5)
    _ingest(
        [
            sync.EventIn(
                f"{transfer.code}-moved",
                transfer.code,
                Status.PROCESSING,
                later,
                dossier=DossierRecord(code=transfer.code, agency_code=agencies["UBND-79"].code),
            )
        ]
    )
    assert Dossier.objects.get(pk=transfer.pk).agency_id == agencies["UBND-79"].pk
    assert_figures_match()

    # Ratings of resolved dossiers (agency and month copied), feedback and payments, accounts.
    for d in Dossier.objects.filter(status=Status.RESULT_RETURNED).order_by("code")[:12]:
        dossier_services.rate_dossier(
            dossier=d,
            scores=[rng.randrange(3) for _ in range(9)],
            convenience=rng.randrange(3),
            overall=rng.randrange(3),
        )
    feedback_factories.make_feedback()
    feedback_factories.forwarded_feedback("UBND-79")
    feedback_factories.answered_feedback(
        "UBND-01", answered_at=feedback_factories.MONDAY_9AM + dt.timedelta(days=40)
    )
    feedback_factories.published_feedback("UBND-01")
    biller = payment_factories.make_biller()
    provider = payment_factories.make_provider()
    for i in range(3):
        bill = payment_factories.make_bill(biller, reference=f"{i}/QĐ-XPHC", amount=1_000_000 + i)
        order = payment_factories.make_order(bill, provider)
        if i < 2:
            payment_services.apply_report(provider=provider, report=payment_factories.paid_report(order))
    make_citizen()
    assert_figures_match()

    # A figure that no longer holds goes away: the paid order is refunded in whole.
    order = PaymentOrder.objects.filter(status=OrderStatus.PAID).order_by("pk").first()
    assert order is not None
    # (refunds go through the payment services; for the figures the state change is what matters)
    order.status = OrderStatus.REFUNDED
    order.refunded_amount = order.amount
    order.save(update_fields=["status", "refunded_amount"])
    assert_figures_match()

    # Every level is present: agencies, two provinces, a ministry, the country.
    scopes = set(Figure.objects.values_list("scope", flat=True))
    assert {"VN", "P:01", "P:79", f"M:{agencies['root'].code}"} <= scopes
    assert any(s.startswith("A:") for s in scopes)
    assert DossierEvent.objects.count() > 150


def test_a_rebuild_gives_the_same_figures_as_the_incremental_roll_up() -> None:
    rng = random.Random(18)
    make_procedure(code=FULL, online_level="full")
    _ingest(_history(rng, _agencies()))
    stats.roll_up()
    incremental = published()
    stats.rebuild()
    assert published() == incremental == recount()


def test_the_sync_only_appends_to_pending_and_the_roll_up_empties_it() -> None:
    rng = random.Random(3)
    _ingest(_history(rng, _agencies())[:40])
    pending = Pending.objects.count()
    assert pending > 0
    assert not Figure.objects.exists()
    done = stats.roll_up(batch=7)
    assert done.objects == pending
    assert not Pending.objects.exists()
    assert Figure.objects.filter(scope="VN").exists()


def test_the_rebuild_command_recounts() -> None:
    from io import StringIO

    from django.core.management import call_command

    _ingest(_history(random.Random(5), _agencies())[:60])
    stats.roll_up()
    Figure.objects.filter(scope="VN").update(value=0)  # figures gone wrong
    out = StringIO()
    call_command("rebuild_stats", stdout=out)
    assert "Đã tính lại" in out.getvalue()
    assert published() == recount()


def test_the_summary_rates_and_index_of_every_unit_and_period_equal_the_recount() -> None:
    """What the pages, downloads and API show (`selectors.summary`: totals over a period, the derived rates and
    the index) for the country, each province and the ministry, per year, quarter and month, computed again here
    from the raw recount."""
    rng = random.Random(2026)
    make_procedure(code=FULL, online_level="full")
    agencies = _agencies()
    _ingest(_history(rng, agencies))
    for d in Dossier.objects.filter(status=Status.RESULT_RETURNED).order_by("code")[:15]:
        dossier_services.rate_dossier(
            dossier=d,
            scores=[rng.randrange(3) for _ in range(9)],
            convenience=rng.randrange(3),
            overall=rng.randrange(3),
        )
    feedback_factories.answered_feedback("UBND-01")
    stats.roll_up()
    raw = recount()
    months = sorted({month for _scope, month, _metric in raw})
    keys = {m[:4] for m in months} | {m for m in months}
    keys |= {f"{m[:4]}-Q{(int(m[5:]) - 1) // 3 + 1}" for m in months}
    slugs = {"": "VN", "tinh-01": "P:01", "tinh-79": "P:79", f"bo-{agencies['root'].code}": None}
    checked = 0
    for slug, scope in slugs.items():
        unit = selectors.unit_for_slug(slug)
        assert unit is not None and (scope is None or unit.scope == scope)
        for key in sorted(keys):
            span = selectors.period(key)
            wanted = {f"{m:%Y-%m}" for m in span.months}
            expected: Counter[str] = Counter()
            for (s, month, metric), value in raw.items():
                if s == unit.scope and month in wanted:
                    expected[metric] += value
            shown = selectors.summary(unit, span)
            assert {m: v for m, v in shown.figures.items() if v and m != "visits"} == dict(+expected), (
                slug,
                key,
            )

            def ratio(numerator: int, denominator: int) -> float | None:
                return numerator / denominator if denominator else None

            resolved = expected["resolved"]
            assert shown.derived["on_time_rate"] == ratio(
                expected["resolved_early"] + expected["resolved_on_time"], resolved
            )
            assert shown.derived["late_rate"] == ratio(expected["resolved_late"], resolved)
            assert shown.derived["online_rate"] == ratio(expected["received_online"], expected["received"])
            assert shown.derived["satisfaction_average"] == ratio(
                expected["rating_points"], expected["ratings"]
            )
            for scored in shown.index.indicators:
                numerator = sum(expected[m] for m in scored.indicator.numerator)
                denominator = sum(expected[m] for m in scored.indicator.denominator) * scored.indicator.scale
                assert (scored.numerator, scored.denominator) == (numerator, denominator), (slug, key)
                assert scored.ratio == ratio(numerator, denominator)
            applicable = [i for i in shown.index.indicators if i.ratio is not None]
            if applicable:
                total = sum(i.ratio * i.points for i in applicable if i.ratio is not None)
                possible = sum(i.points for i in applicable)
                assert shown.index.total == pytest.approx(100 * total / possible)
                assert shown.index.classification == quality.classify_index(shown.index.total)
                checked += 1
    assert checked >= 20
