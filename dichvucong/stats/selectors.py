"""Reads of the public figures: totals and monthly series of a scope over a period, every province's or
ministry's totals for the rankings, and the figures derived from them (rates, averages, the social cost saved,
the index). Everything here reads `Figure` rows only: a year of the country is 12 rows per metric."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dichvucong.core.errors import DomainError, NotFound
from dichvucong.organisations import selectors as organisations
from dichvucong.organisations.models import Agency
from dichvucong.stats import quality
from dichvucong.stats.models import Figure, Level
from dichvucong.stats.scopes import NATIONAL, agency_scope, ministry_scope, province_scope
from dichvucong.stats.sources import local_tz


def metric_labels() -> dict[str, str]:
    """Published metric → label in the active language, in the order the downloads and the API give them. The
    roll-up counts more (fees, digitised dossiers, payments per group …) for the index: those are not published."""
    return {
        "received": _("Hồ sơ tiếp nhận"),
        "received_online": _("Hồ sơ tiếp nhận trực tuyến"),
        "received_online_full": _("Trực tuyến toàn trình"),
        "received_online_partial": _("Trực tuyến một phần"),
        "resolved": _("Hồ sơ đã giải quyết"),
        "resolved_early": _("Giải quyết trước hạn"),
        "resolved_on_time": _("Giải quyết đúng hạn"),
        "resolved_late": _("Giải quyết quá hạn"),
        "payments_online": _("Giao dịch thanh toán trực tuyến"),
        "payments_online_amount": _("Số tiền thanh toán trực tuyến (đồng)"),
        "feedback_received": _("Phản ánh, kiến nghị tiếp nhận"),
        "feedback_answered": _("Phản ánh, kiến nghị đã trả lời"),
        "feedback_answered_on_time": _("Trả lời đúng hạn"),
        "ratings": _("Lượt đánh giá"),
        "rating_points": _("Tổng điểm đánh giá"),
        "rating_very_satisfied": _("Rất hài lòng"),
        "rating_satisfied": _("Hài lòng"),
        "rating_not_satisfied": _("Không hài lòng"),
        "accounts": _("Tài khoản mới"),
        "visits": _("Lượt truy cập"),
    }


# Counted for the country only (one account serves every agency): unknown, not zero, for any other unit.
NATIONAL_ONLY = ("accounts", "visits")


def derived_labels() -> dict[str, str]:
    """Derived figure (`derive`) → label in the active language, in `derive` order; the rates are ratios 0–1
    (`RATES`), the average is out of 18, the social cost in đồng (`derived_unit`)."""
    return {
        "online_rate": _("Tỷ lệ hồ sơ trực tuyến"),
        "on_time_rate": _("Tỷ lệ giải quyết đúng hạn (gồm trước hạn)"),
        "late_rate": _("Tỷ lệ giải quyết quá hạn"),
        "feedback_on_time_rate": _("Tỷ lệ phản ánh trả lời đúng hạn"),
        "satisfaction_average": _("Điểm hài lòng trung bình (trên 18)"),
        "satisfied_rate": _("Tỷ lệ rất hài lòng và hài lòng"),
        "social_cost_saved": _("Ước tính chi phí xã hội tiết kiệm"),
    }


RATES = ("online_rate", "on_time_rate", "late_rate", "feedback_on_time_rate", "satisfied_rate")


def derived_unit(code: str) -> str:
    """What a derived figure is counted in, for a label that states it: "0–1" for a rate, "đồng" for the social
    cost, "" for the average (its label says "out of 18")."""
    if code in RATES:
        return "0–1"
    return pgettext("currency unit", "đồng") if code == "social_cost_saved" else ""


PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4])))?$")


@dataclass(frozen=True)
class Period:
    """Whole months, first to last (both included)."""

    first: dt.date
    last: dt.date
    key: str  # 2026, 2026-Q3, 2026-11

    @property
    def months(self) -> list[dt.date]:
        months, month = [], self.first
        while month <= self.last:
            months.append(month)
            month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return months

    @property
    def label(self) -> str:
        match = PERIOD.match(self.key)
        assert match is not None
        if match["month"]:
            return _("Tháng %(month)s/%(year)s") % {"month": match["month"], "year": match["year"]}
        if match["quarter"]:
            return _("Quý %(quarter)s/%(year)s") % {"quarter": match["quarter"], "year": match["year"]}
        return _("Năm %(year)s") % {"year": match["year"]}


class BadPeriod(DomainError):
    """A period key that is not a year, a quarter or a month of 2000-2100: a message on the pages, a 400 problem
    in the API."""

    status = 400
    code = "invalid-period"


def period(key: str | None = None) -> Period:
    """`2026`, `2026-Q3` or `2026-11`; by default the current year. Raises BadPeriod."""
    if not key:
        key = str(timezone.now().astimezone(local_tz()).year)
    match = PERIOD.match(key.strip())
    if match is None or not 2000 <= int(match["year"]) <= 2100:
        raise BadPeriod(_("Kỳ thống kê không hợp lệ: dùng năm (2026), quý (2026-Q3) hoặc tháng (2026-11)."))
    year = int(match["year"])
    if match["month"]:
        first = last = dt.date(year, int(match["month"]), 1)
    elif match["quarter"]:
        q = int(match["quarter"])
        first, last = dt.date(year, 3 * q - 2, 1), dt.date(year, 3 * q, 1)
    else:
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 1)
    return Period(first, last, key.strip())


@dataclass(frozen=True)
class Unit:
    """A scope as shown: the country, a province, a ministry or an agency."""

    scope: str
    level: str
    name: str
    slug: str  # its part of the page address: "" (the country), tinh-01, bo-BCA, co-quan-123


def national_unit() -> Unit:
    return Unit(NATIONAL, Level.NATIONAL, _("Toàn quốc"), "")


def provinces() -> list[Unit]:
    return [
        Unit(province_scope(code), Level.PROVINCE, name, f"tinh-{code}")
        for code, name in organisations.province_list().values_list("code", "name")
    ]


def ministries() -> list[Unit]:
    """The units of `organisations.ministries()`: the active central agencies at the top of their tree."""
    return [
        Unit(ministry_scope(code), Level.MINISTRY, name, f"bo-{code}")
        for code, name in organisations.ministries().values_list("code", "name")
    ]


def agency_unit(agency: Agency) -> Unit:
    """The unit of an agency's own figures."""
    return Unit(agency_scope(agency.pk), Level.AGENCY, agency.name, f"co-quan-{agency.pk}")


# The rankings' `cap` parameter (pages and API) → the level ranked.
RANKING_LEVELS = {"tinh": Level.PROVINCE, "bo": Level.MINISTRY}


def unit_for_slug(slug: str) -> Unit | None:
    """The unit of a page address part, or None."""
    if slug == "":
        return national_unit()
    if slug.startswith("tinh-"):
        code = slug[5:]
        name = organisations.province_list().filter(code=code).values_list("name", flat=True)
        return Unit(province_scope(code), Level.PROVINCE, name[0], slug) if name else None
    if slug.startswith("bo-"):
        code = slug[3:]
        row = organisations.ministries().filter(code=code).values_list("name", flat=True)
        return Unit(ministry_scope(code), Level.MINISTRY, row[0], slug) if row else None
    number = slug[8:]
    if slug.startswith("co-quan-") and number.isascii() and number.isdigit():  # not "²" or other digits
        agency = organisations.agency_find(int(number))
        return agency_unit(agency) if agency is not None else None
    return None


def unit_get(slug: str) -> Unit:
    """The unit of a page address part (`unit_for_slug`); NotFound, with a message in the active language, for
    an unknown one."""
    unit = unit_for_slug(slug)
    if unit is None:
        raise NotFound(_("Không tìm thấy đơn vị thống kê “%(slug)s”.") % {"slug": slug[:60]})
    return unit


def totals(scope: str, span: Period) -> dict[str, int]:
    """Every metric of a scope summed over the period."""
    rows = (
        Figure.objects.filter(scope=scope, month__gte=span.first, month__lte=span.last)
        .values("metric")
        .annotate(total=Sum("value"))
    )
    return {row["metric"]: int(row["total"]) for row in rows}


def monthly(scope: str, span: Period) -> dict[dt.date, dict[str, int]]:
    """Month → metric → value, every month of the period up to the current one present (empty months as {}):
    the months still to come are left out rather than shown as zeros."""
    this_month = timezone.now().astimezone(local_tz()).date().replace(day=1)
    series: dict[dt.date, dict[str, int]] = {month: {} for month in span.months if month <= this_month}
    for month, metric, value in Figure.objects.filter(
        scope=scope, month__gte=span.first, month__lte=span.last
    ).values_list("month", "metric", "value"):
        series.setdefault(month, {})[metric] = int(value)
    return series


@dataclass(frozen=True)
class MonthFigures:
    """One month of a monthly series with every published metric (0 when nothing was counted, None for a metric
    counted for the country only of another unit, as in `published_figures`)."""

    month: dt.date
    figures: dict[str, int | None]  # metric → value, in `metric_labels()` order

    @property
    def key(self) -> str:
        return f"{self.month:%Y-%m}"


def monthly_rows(scope: str, span: Period) -> list[MonthFigures]:
    """The months of `monthly` in order, each with every published metric: the rows of the theo-thang download,
    the API's monthly series and the page's monthly chart, so that they always agree."""
    series = monthly(scope, span)
    unknown = () if scope == NATIONAL else NATIONAL_ONLY
    return [
        MonthFigures(
            m, {metric: None if metric in unknown else series[m].get(metric, 0) for metric in metric_labels()}
        )
        for m in sorted(series)
    ]


def scopes_of_agencies(agency_ids: Iterable[int] | None, *, everything: bool = False) -> list[str]:
    """The figure scopes of these agencies (each agency's own), or the country's for a national view."""
    return [NATIONAL] if everything else [agency_scope(pk) for pk in sorted(agency_ids or ())]


def metric_in_month(scopes: list[str], month: dt.date, metric: str) -> int:
    """One metric of one month summed over scopes: one indexed read of a row per scope."""
    if not scopes:
        return 0
    total = Figure.objects.filter(scope__in=scopes, month=month, metric=metric).aggregate(n=Sum("value"))
    return int(total["n"] or 0)


def totals_by_scope(level: str, span: Period) -> dict[str, dict[str, int]]:
    """Scope → metric → total over the period, for every scope of a level (the rankings)."""
    result: dict[str, dict[str, int]] = defaultdict(dict)
    rows = (
        Figure.objects.filter(level=level, month__gte=span.first, month__lte=span.last)
        .values("scope", "metric")
        .annotate(total=Sum("value"))
    )
    for row in rows:
        result[row["scope"]][row["metric"]] = int(row["total"])
    return dict(result)


@dataclass(frozen=True)
class Summary:
    """The published figures of one unit over one period, with what is derived from them."""

    unit: Unit
    span: Period
    figures: dict[str, int]
    index: quality.IndexScore
    derived: dict[str, float | None] = field(default_factory=dict)

    def get(self, metric: str) -> int:
        return self.figures.get(metric, 0)

    @property
    def satisfaction_classification(self) -> str:
        """The class of the average rating ("" when nobody rated)."""
        return quality.classify_satisfaction(self.derived.get("satisfaction_average"))


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def derive(figures: dict[str, int]) -> dict[str, float | None]:
    """Rates (0-1), the average rating (out of 18) and the social cost saved (đồng)."""
    resolved = figures.get("resolved", 0)
    ratings = figures.get("ratings", 0)
    return {
        "online_rate": _ratio(figures.get("received_online", 0), figures.get("received", 0)),
        "on_time_rate": _ratio(
            figures.get("resolved_early", 0) + figures.get("resolved_on_time", 0), resolved
        ),
        "late_rate": _ratio(figures.get("resolved_late", 0), resolved),
        "feedback_on_time_rate": _ratio(
            figures.get("feedback_answered_on_time", 0), figures.get("feedback_answered", 0)
        ),
        "satisfaction_average": _ratio(figures.get("rating_points", 0), ratings),
        "satisfied_rate": _ratio(
            figures.get("rating_very_satisfied", 0) + figures.get("rating_satisfied", 0), ratings
        ),
        "social_cost_saved": (  # whole đồng
            figures.get("received_online", 0) * settings.STATS_SAVING_PER_ONLINE_DOSSIER
            + figures.get("payments_online", 0) * settings.STATS_SAVING_PER_ONLINE_PAYMENT
        ),
    }


def published_figures(summary: Summary) -> dict[str, int | None]:
    """The published metrics of a summary, in `metric_labels()` order, 0 when nothing was counted and None for a
    metric counted for the country only (`NATIONAL_ONLY`) of another unit: what the page, the so-lieu download
    and the API's `/figures` give. The metrics counted only for the index are left out."""
    national = summary.unit.level == Level.NATIONAL
    return {
        metric: summary.get(metric) if national or metric not in NATIONAL_ONLY else None
        for metric in metric_labels()
    }


def summary(unit: Unit, span: Period) -> Summary:
    figures = totals(unit.scope, span)
    return Summary(unit, span, figures, quality.compute(figures), derive(figures))


@dataclass(frozen=True)
class Ranked:
    """A row of a ranking as plain values: the ranking page formats it, the download rounds it, the API gives it
    as it is."""

    rank: int | None  # None: no applicable indicator, not ranked
    unit: Unit
    total: float | None
    classification: str
    groups: dict[str, float | None]  # group → score (None: not applicable), in `quality.GROUPS` order


def ranking(level: str, span: Period) -> list[Ranked]:
    """Every province (level P) or ministry (level M) by its index, best first; units without any applicable
    indicator come last, unranked."""
    units = provinces() if level == Level.PROVINCE else ministries()
    by_scope = totals_by_scope(level, span)
    scored = [(unit, quality.compute(by_scope.get(unit.scope, {}))) for unit in units]
    scored.sort(key=lambda item: (item[1].total is None, -(item[1].total or 0), item[0].name))
    result, rank = [], 0
    for unit, index in scored:
        if index.total is not None:
            rank += 1
        result.append(
            Ranked(
                rank if index.total is not None else None,
                unit,
                index.total,
                index.classification,
                index.group_scores(),
            )
        )
    return result
