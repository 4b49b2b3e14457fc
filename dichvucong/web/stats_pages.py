"""What the public statistics pages show: a unit's headline figures, its index with every indicator, the monthly
and outcome charts with the same figures as tables, the rankings, and how the figures are computed. Everything
comes from `stats.selectors` (the monthly `Figure` rows, never the dossiers); the templates only display. The
charts' geometry and the number formatting are in `stats_charts`, the open-data tables in `stats_data`.

Numbers are formatted when a page is built, in the active language (1.234.567 and 95,2% in Vietnamese), so that
a page's data is plain strings: it is cached per unit, period and language for `STATS_CACHE_SECONDS` (0: never
cached, so that the benchmark measures rendering from the figures).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dichvucong.stats import quality, selectors
from dichvucong.stats.caching import cached
from dichvucong.stats.models import Level
from dichvucong.stats.selectors import Period, Ranked, Summary, Unit
from dichvucong.stats.sources import local_tz
from dichvucong.web.stats_charts import (
    BarChart,
    ColumnChart,
    Series,
    bar_chart,
    column_chart,
    decimal,
    money,
    number,
    percent,
)

# The country page shows this many provinces from the top and from the bottom of the ranking.
RANKING_EXCERPT = 5
YEARS_OFFERED = 3  # the period chooser offers the current year and the two before it


# --- addresses -----------------------------------------------------------------------------------------------


def unit_url(unit: Unit) -> str:
    if not unit.slug:
        return reverse("web:stats")
    return reverse("web:stats_unit", kwargs={"slug": unit.slug})


# --- the period chooser ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool


@dataclass(frozen=True)
class OptionGroup:
    label: str
    options: list[Option]


def period_choices(selected: str) -> list[OptionGroup]:
    """Each offered year, its quarters and its months, newest year first."""
    this_year = timezone.now().astimezone(local_tz()).year
    groups = []
    for year in range(this_year, this_year - YEARS_OFFERED, -1):
        keys = [str(year)] + [f"{year}-Q{q}" for q in range(1, 5)] + [f"{year}-{m:02d}" for m in range(1, 13)]
        options = [Option(key, selectors.period(key).label, key == selected) for key in keys]
        groups.append(OptionGroup(_("Năm %(year)s") % {"year": year}, options))
    return groups


# --- a unit's page ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stat:
    metric: str  # the figure's code (data-metric on the page; the so-lieu table's code)
    label: str
    value: str
    detail: str = ""


@dataclass(frozen=True)
class StatGroup:
    id: str
    title: str
    stats: list[Stat]
    note: str = ""


@dataclass(frozen=True)
class IndicatorRow:
    code: str
    name: str
    formula: str
    numerator: str
    denominator: str
    ratio: str
    score: str
    points: str
    applicable: bool


@dataclass(frozen=True)
class GroupRow:
    code: str
    name: str
    score: str
    points: str
    applicable: bool
    indicators: list[IndicatorRow]


@dataclass(frozen=True)
class IndexView:
    total: str
    classification: str
    groups: list[GroupRow]
    left_out: list[str]  # indicators not applicable in the period


@dataclass(frozen=True)
class RankRow:
    rank: str
    name: str
    slug: str
    url: str
    total: str
    classification: str
    groups: list[str]  # each group's score, in GROUPS order


@dataclass(frozen=True)
class MonthRow:
    month: str  # 2026-01
    name: str
    received: str
    resolved: str


@dataclass(frozen=True)
class UnitPage:
    unit_name: str
    slug: str
    level: str
    ranking_cap: str  # the ranking this unit stands in (?cap=), "" for an agency or the country
    national: bool
    period_key: str
    period_label: str
    groups: list[StatGroup]
    index: IndexView
    monthly: ColumnChart
    months: list[MonthRow]
    outcomes: BarChart
    top: list[RankRow] = field(default_factory=list)
    bottom: list[RankRow] = field(default_factory=list)
    ranked: int = 0


def _share(part: int | None, whole: int | None) -> str:
    return _("%(share)s tổng số") % {"share": percent(part / whole)} if part is not None and whole else ""


def stat_groups(summary: Summary) -> list[StatGroup]:
    """The headline figures, in the order the page shows them: the published figures
    (`selectors.published_figures`, "—" where a unit has none) and the derived ones, with the shared labels."""
    figures, derived = selectors.published_figures(summary), summary.derived
    labels, derived_labels = selectors.metric_labels(), selectors.derived_labels()

    def stat(metric: str, share_of: str = "") -> Stat:
        detail = _share(figures[metric], figures[share_of]) if share_of else ""
        return Stat(metric, labels[metric], number(figures[metric]), detail)

    def rate(code: str) -> Stat:
        return Stat(code, derived_labels[code], percent(derived.get(code)))

    satisfaction = summary.satisfaction_classification
    national = summary.unit.level == Level.NATIONAL
    return [
        StatGroup(
            "ho-so",
            _("Hồ sơ"),
            [
                stat("received"),
                stat("received_online", "received"),
                stat("received_online_full", "received_online"),
                stat("received_online_partial", "received_online"),
                stat("resolved"),
                stat("resolved_early", "resolved"),
                stat("resolved_on_time", "resolved"),
                stat("resolved_late", "resolved"),
                rate("on_time_rate"),
            ],
        ),
        StatGroup(
            "thanh-toan",
            _("Thanh toán trực tuyến"),
            [
                stat("payments_online"),
                Stat(  # the value says "đồng": the label need not
                    "payments_online_amount",
                    _("Số tiền thanh toán trực tuyến"),
                    money(figures["payments_online_amount"]),
                ),
            ],
        ),
        StatGroup(
            "phan-anh",
            _("Phản ánh, kiến nghị"),
            [stat("feedback_received"), stat("feedback_answered"), rate("feedback_on_time_rate")],
        ),
        StatGroup(
            "hai-long",
            _("Mức độ hài lòng"),
            [
                stat("ratings"),
                Stat(
                    "satisfaction_average",
                    derived_labels["satisfaction_average"],
                    decimal(derived.get("satisfaction_average")),
                    _("Xếp loại: %(class)s") % {"class": satisfaction} if satisfaction else "",
                ),
                stat("rating_very_satisfied", "ratings"),
                stat("rating_satisfied", "ratings"),
                stat("rating_not_satisfied", "ratings"),
            ],
        ),
        StatGroup(
            "truy-cap",
            _("Tài khoản và lượt truy cập"),
            [stat(metric) for metric in selectors.NATIONAL_ONLY],
            ""
            if national
            else _(
                "Tài khoản và lượt truy cập chỉ có số liệu toàn quốc: người dân dùng một tài khoản cho mọi cơ quan."
            ),
        ),
        StatGroup(
            "chi-phi",
            _("Chi phí xã hội tiết kiệm được"),
            [
                Stat(
                    "social_cost_saved",
                    derived_labels["social_cost_saved"],
                    money(derived.get("social_cost_saved")),
                )
            ],
            saving_method(),
        ),
    ]


def saving_method() -> str:
    return _(
        "Ước tính: %(per_dossier)s cho mỗi hồ sơ tiếp nhận trực tuyến và %(per_payment)s cho mỗi giao dịch thanh "
        "toán trực tuyến (đi lại, thời gian chờ, giấy tờ)."
    ) % {
        "per_dossier": money(settings.STATS_SAVING_PER_ONLINE_DOSSIER),
        "per_payment": money(settings.STATS_SAVING_PER_ONLINE_PAYMENT),
    }


def index_view(index: quality.IndexScore) -> IndexView:
    by_group: dict[str, list[IndicatorRow]] = {g.code: [] for g in quality.GROUPS}
    left_out = []
    for item in index.indicator_results():
        applicable = item.ratio is not None
        if not applicable:
            left_out.append(f"{item.code} {item.name}")
        by_group[item.group].append(
            IndicatorRow(
                item.code,
                item.name,
                item.formula,
                number(item.numerator),
                number(item.denominator),
                percent(item.ratio) if applicable else _("Không áp dụng"),
                decimal(item.score, 2) if applicable else _("Không áp dụng"),
                decimal(item.points, 2),
                applicable,
            )
        )
    groups = [
        GroupRow(
            group.code,
            group.name,
            _("Không áp dụng") if group.score is None else decimal(group.score, 2),
            decimal(group.points, 0),
            group.score is not None,
            by_group[group.code],
        )
        for group in index.group_results()
    ]
    total = decimal(index.total, 2) if index.total is not None else _("Không áp dụng")
    return IndexView(total, index.classification, groups, left_out)


def rank_row(ranked: Ranked) -> RankRow:
    groups = ["—" if (score := ranked.groups[g.code]) is None else decimal(score, 2) for g in quality.GROUPS]
    total = decimal(ranked.total, 2) if ranked.total is not None else _("Không áp dụng")
    return RankRow(
        str(ranked.rank) if ranked.rank else "—",
        ranked.unit.name,
        ranked.unit.slug,
        unit_url(ranked.unit),
        total,
        ranked.classification,
        groups,
    )


def month_label(month: dt.date) -> tuple[str, str]:
    return f"{month:%m}", _("Tháng %(month)s/%(year)s") % {"month": f"{month:%m}", "year": month.year}


def _unit_page(unit: Unit, span: Period) -> UnitPage:
    summary = selectors.summary(unit, span)
    series = selectors.monthly_rows(unit.scope, span)
    received_resolved = [
        Series("received", selectors.metric_labels()["received"], "bar-received"),
        Series("resolved", selectors.metric_labels()["resolved"], "bar-resolved"),
    ]
    monthly_chart = column_chart(
        "bieu-do-theo-thang",
        _("Hồ sơ tiếp nhận và đã giải quyết theo tháng, %(period)s") % {"period": span.label},
        [month_label(row.month) for row in series],
        received_resolved,
        [[row.figures["received"] or 0, row.figures["resolved"] or 0] for row in series],
    )
    rows = [
        MonthRow(
            row.key,
            month_label(row.month)[1],
            number(row.figures["received"]),
            number(row.figures["resolved"]),
        )
        for row in series
    ]
    labels = selectors.metric_labels()
    outcomes = bar_chart(
        "bieu-do-ket-qua",
        _("Hồ sơ đã giải quyết: trước hạn, đúng hạn, quá hạn, %(period)s") % {"period": span.label},
        [
            ("resolved_early", labels["resolved_early"], summary.get("resolved_early"), "bar-early"),
            ("resolved_on_time", labels["resolved_on_time"], summary.get("resolved_on_time"), "bar-on-time"),
            ("resolved_late", labels["resolved_late"], summary.get("resolved_late"), "bar-late"),
        ],
    )
    top: list[RankRow] = []
    bottom: list[RankRow] = []
    ranked_count = 0
    if unit.level == Level.NATIONAL:
        ranked = [r for r in selectors.ranking(Level.PROVINCE, span) if r.rank is not None]
        ranked_count = len(ranked)
        top = [rank_row(r) for r in ranked[:RANKING_EXCERPT]]
        bottom = [rank_row(r) for r in ranked[max(RANKING_EXCERPT, len(ranked) - RANKING_EXCERPT) :]]
    return UnitPage(
        unit.name,
        unit.slug,
        str(Level(unit.level).label),
        next((cap for cap, level in selectors.RANKING_LEVELS.items() if level == unit.level), ""),
        unit.level == Level.NATIONAL,
        span.key,
        span.label,
        stat_groups(summary),
        index_view(summary.index),
        monthly_chart,
        rows,
        outcomes,
        top,
        bottom,
        ranked_count,
    )


def unit_page(slug: str, span: Period) -> UnitPage:
    """The page of the country (slug "") or of a province, ministry or agency; NotFound for an unknown slug."""
    return cached("page", (slug, span.key), lambda: _unit_page(selectors.unit_get(slug), span))


@dataclass(frozen=True)
class RankingPage:
    level: str
    cap: str
    title: str
    period_key: str
    period_label: str
    groups: list[str]
    rows: list[RankRow]


def ranking_page(cap: str, span: Period) -> RankingPage:
    """Every province (`cap` "tinh") or ministry ("bo") by its index; KeyError for another `cap`."""
    level = selectors.RANKING_LEVELS[cap]

    def build() -> RankingPage:
        title = _("Xếp hạng các tỉnh, thành phố") if level == Level.PROVINCE else _("Xếp hạng các bộ, ngành")
        return RankingPage(
            level,
            cap,
            title,
            span.key,
            span.label,
            [str(g.name) for g in quality.GROUPS],
            [rank_row(r) for r in selectors.ranking(level, span)],
        )

    return cached("ranking", (cap, span.key), build)


# --- the method page --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    label: str
    range: str


def _bands(classes: list[tuple[float, bool, Any]], digits: int) -> list[Band]:
    bands, upper = [], None
    for bound, inclusive, label in classes:
        low = "" if bound == float("-inf") else ("≥ " if inclusive else "> ") + decimal(bound, digits)
        high = "" if upper is None else ("< " if upper[1] else "≤ ") + decimal(upper[0], digits)
        text = _("%(low)s và %(high)s") % {"low": low, "high": high} if low and high else low or high
        bands.append(Band(str(label), text))
        upper = (bound, inclusive)
    return bands


@dataclass(frozen=True)
class MethodPage:
    groups: list[GroupRow]
    index_bands: list[Band]
    satisfaction_bands: list[Band]
    saving: str
    per_dossier: str
    per_payment: str
    online_points: str
    payment_points: str


def method_page() -> MethodPage:
    empty = index_view(quality.compute({}))
    points = quality.group_points()
    return MethodPage(
        empty.groups,
        _bands(settings.STATS_INDEX_CLASSES, 1),
        _bands(settings.STATS_SATISFACTION_CLASSES, 0),
        saving_method(),
        money(settings.STATS_SAVING_PER_ONLINE_DOSSIER),
        money(settings.STATS_SAVING_PER_ONLINE_PAYMENT),
        decimal(points["online_service"], 0),
        decimal(points["online_payment"], 0),
    )
