"""The index of service to citizens and businesses (Bộ chỉ số phục vụ người dân, doanh nghiệp, Decision
766/QĐ-TTg) computed from the portal's own figures.

DOMAIN.md gives the groups and their points; published formulas per indicator were not found, so each
indicator is `ratio × points`, with the ratio stated here and printed on the page. The points of the online
service and online payment groups are unconfirmed (?) and come from settings (`STATS_INDEX_POINTS`). An
indicator whose denominator is zero in the period (no dossier with a fee, no rating …) is not applicable: the
total is then scaled to 100 over the applicable indicators, and the page says which were left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Indicator:
    code: str
    group: str
    name: Promise
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    share: float  # of its group's points
    formula: Promise
    scale: int = 1  # the denominator's unit (18 for an average rating out of 18)


@dataclass(frozen=True)
class Group:
    code: str
    name: Promise


GROUPS = (
    Group("publicity", _("Công khai, minh bạch")),
    Group("progress", _("Tiến độ giải quyết")),
    Group("online_service", _("Dịch vụ trực tuyến")),
    Group("online_payment", _("Thanh toán trực tuyến")),
    Group("satisfaction", _("Mức độ hài lòng")),
    Group("digitisation", _("Số hóa hồ sơ")),
)

INDICATORS = (
    Indicator(
        "1.1",
        "publicity",
        _("Thủ tục được công khai đúng quy định"),
        ("rating_published_correctly_points",),
        ("ratings",),
        0.5,
        _("điểm tiêu chí «thủ tục được công khai đúng» trong các đánh giá ÷ (2 × số đánh giá)"),
        scale=2,
    ),
    Indicator(
        "1.2",
        "publicity",
        _("Kết quả xử lý phản ánh, kiến nghị được công khai"),
        ("feedback_answered_published",),
        ("feedback_answered",),
        0.5,
        _("phản ánh, kiến nghị đã trả lời và được công khai ÷ phản ánh, kiến nghị đã trả lời"),
    ),
    Indicator(
        "2.1",
        "progress",
        _("Hồ sơ giải quyết trước hạn và đúng hạn"),
        ("resolved_early", "resolved_on_time"),
        ("resolved",),
        0.7,
        _("hồ sơ giải quyết trước hạn và đúng hạn ÷ hồ sơ đã giải quyết"),
    ),
    Indicator(
        "2.2",
        "progress",
        _("Phản ánh, kiến nghị được trả lời đúng hạn"),
        ("feedback_answered_on_time",),
        ("feedback_answered",),
        0.3,
        _("phản ánh, kiến nghị trả lời đúng hạn ÷ phản ánh, kiến nghị đã trả lời"),
    ),
    Indicator(
        "3.1",
        "online_service",
        _("Hồ sơ tiếp nhận trực tuyến"),
        ("received_online",),
        ("received",),
        0.5,
        _("hồ sơ tiếp nhận trực tuyến ÷ hồ sơ tiếp nhận"),
    ),
    Indicator(
        "3.2",
        "online_service",
        _("Hồ sơ trực tuyến toàn trình"),
        ("received_online_full",),
        ("received_online",),
        0.5,
        _("hồ sơ trực tuyến của thủ tục toàn trình ÷ hồ sơ tiếp nhận trực tuyến"),
    ),
    Indicator(
        "4.1",
        "online_payment",
        _("Hồ sơ nộp phí, lệ phí trực tuyến"),
        ("dossier_fees_paid_online",),
        ("received_with_fee",),
        1.0,
        _("phí, lệ phí hồ sơ thanh toán trực tuyến ÷ hồ sơ tiếp nhận có phí, lệ phí (tối đa 1)"),
    ),
    Indicator(
        "5.1",
        "satisfaction",
        _("Mức độ hài lòng của người dân, doanh nghiệp"),
        ("rating_points",),
        ("ratings",),
        1.0,
        _("tổng điểm các đánh giá ÷ (18 × số đánh giá)"),
        scale=18,
    ),
    Indicator(
        "6.1",
        "digitisation",
        _("Hồ sơ có thành phần được số hóa"),
        ("received_digitised",),
        ("received",),
        0.5,
        _("hồ sơ tiếp nhận có giấy tờ điện tử ÷ hồ sơ tiếp nhận"),
    ),
    Indicator(
        "6.2",
        "digitisation",
        _("Kết quả giải quyết được số hóa"),
        ("resolved_result_digitised",),
        ("resolved",),
        0.5,
        _("hồ sơ giải quyết có kết quả điện tử ÷ hồ sơ đã giải quyết"),
    ),
)


def group_points() -> dict[str, float]:
    return {code: float(points) for code, points in settings.STATS_INDEX_POINTS.items()}


@dataclass(frozen=True)
class IndicatorScore:
    indicator: Indicator
    points: float  # the indicator's maximum
    numerator: int
    denominator: int
    ratio: float | None  # None: not applicable in the period
    score: float | None


@dataclass(frozen=True)
class IndicatorResult:
    """An indicator of a unit's index as plain values, its name and formula in the active language: a row of the
    index on the page, in the chi-so download and in the API."""

    group: str
    code: str
    name: str
    formula: str
    numerator: int
    denominator: int
    ratio: float | None  # None: not applicable in the period
    points: float  # the indicator's maximum
    score: float | None


@dataclass(frozen=True)
class GroupResult:
    """A group of a unit's index as plain values: a group row of the index on the page and in the API."""

    code: str
    name: str
    points: float  # the group's configured maximum
    score: float | None  # None: none of its indicators applies in the period
    applicable_points: float  # the maximum over its applicable indicators


@dataclass(frozen=True)
class IndexScore:
    indicators: tuple[IndicatorScore, ...]
    groups: dict[str, tuple[float, float]]  # group → (score, maximum over applicable indicators)
    total: float | None  # out of 100, scaled over the applicable indicators
    applicable_points: float

    @property
    def classification(self) -> str:
        return classify_index(self.total)

    def group_score(self, group: str) -> float | None:
        """The group's score, or None when none of its indicators applies in the period."""
        score, maximum = self.groups[group]
        return score if maximum else None

    def group_scores(self) -> dict[str, float | None]:
        """Each group's score (None: not applicable), in `GROUPS` order."""
        return {g.code: self.group_score(g.code) for g in GROUPS}

    def group_results(self) -> list[GroupResult]:
        """Each group with its configured points, its score and its applicable points, in `GROUPS` order."""
        points = group_points()
        return [
            GroupResult(g.code, str(g.name), points[g.code], self.group_score(g.code), self.groups[g.code][1])
            for g in GROUPS
        ]

    def indicator_results(self) -> list[IndicatorResult]:
        """Each indicator with its figures and score, in `INDICATORS` order."""
        return [
            IndicatorResult(
                i.indicator.group, i.indicator.code, str(i.indicator.name), str(i.indicator.formula),
                i.numerator, i.denominator, i.ratio, i.points, i.score,
            )
            for i in self.indicators
        ]  # fmt: skip


def compute(totals: Mapping[str, int]) -> IndexScore:
    """The index of one unit from its figures over a period."""
    points = group_points()
    scores: list[IndicatorScore] = []
    groups: dict[str, tuple[float, float]] = {g.code: (0.0, 0.0) for g in GROUPS}
    for indicator in INDICATORS:
        maximum = points[indicator.group] * indicator.share
        numerator = sum(int(totals.get(m, 0)) for m in indicator.numerator)
        denominator = sum(int(totals.get(m, 0)) for m in indicator.denominator) * indicator.scale
        if denominator <= 0:
            scores.append(IndicatorScore(indicator, maximum, numerator, denominator, None, None))
            continue
        ratio = min(1.0, numerator / denominator)
        score = ratio * maximum
        scores.append(IndicatorScore(indicator, maximum, numerator, denominator, ratio, score))
        got, most = groups[indicator.group]
        groups[indicator.group] = (got + score, most + maximum)
    applicable = sum(most for _got, most in groups.values())
    total = None
    if applicable > 0:
        total = sum(got for got, _most in groups.values()) * sum(points.values()) / applicable
    return IndexScore(tuple(scores), groups, total, applicable)


def _classify(value: float | None, classes: Sequence[tuple[float, bool, Any]]) -> str:
    if value is None:
        return ""
    for bound, inclusive, label in classes:
        if value > bound or (inclusive and value == bound):
            return str(label)
    return str(classes[-1][2])


def classify_index(total: float | None) -> str:
    """Rank label of an index out of 100 (`STATS_INDEX_CLASSES`: (lower bound, inclusive, label), best
    first; by default DOMAIN.md's satisfaction bands scaled from 18 to 100)."""
    return _classify(total, settings.STATS_INDEX_CLASSES)


def classify_satisfaction(average: float | None) -> str:
    """DOMAIN.md's unit classification (?) of the average rating out of 18: > 15 excellent, 12-15 good, 9-12
    fair, 6-9 average, < 6 weak (`STATS_SATISFACTION_CLASSES`)."""
    return _classify(average, settings.STATS_SATISFACTION_CLASSES)
