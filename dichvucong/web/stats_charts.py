"""Chart geometry for the statistics pages, drawn as SVG on the server: grouped vertical bars (`column_chart`,
the monthly chart) and horizontal bars (`bar_chart`, the outcomes), with their scale and ticks; and the numbers as
people read them (1.234.567, 95,2% and 1.500 đồng in Vietnamese), which the pages and the charts share.

Coordinates are strings written for SVG (always a dot); every value shown is formatted in the active language, so
that a chart is plain data the templates only display.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

from dichvucong.web.templatetags.portal import english, group_thousands

# --- numbers as people read them ------------------------------------------------------------------------------


def number(value: float | None) -> str:
    """1.234.567 (1,234,567 in English); "—" when unknown."""
    return "—" if value is None else group_thousands(round(value))


def decimal(value: float | None, digits: int = 1) -> str:
    """14,2 (14.2 in English)."""
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}"
    if english():
        return text
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def percent(ratio: float | None) -> str:
    """95,2% of a ratio 0-1; "—" when there is nothing to divide by."""
    return "—" if ratio is None else f"{decimal(ratio * 100)}%"


def money(amount: float | None) -> str:
    return "—" if amount is None else _("%(amount)s đồng") % {"amount": number(amount)}


def _svg(value: float) -> str:
    """A coordinate written for SVG (a dot, whatever the page's language)."""
    return f"{value:.1f}".removesuffix(".0")


# --- charts -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    code: str
    label: str
    css: str  # the bar's class (its colour), also shown in the legend


@dataclass(frozen=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    value: int
    text: str  # the value as read
    series: Series


@dataclass(frozen=True)
class Column:
    label: str  # under the bars: the month's number (the caption names the period)
    name: str  # in words: Tháng 01/2026
    x: str  # the label's centre
    bars: list[Bar]


@dataclass(frozen=True)
class Tick:
    y: str
    text: str


@dataclass(frozen=True)
class ColumnChart:
    """Grouped vertical bars, one group per category (a month)."""

    id: str
    caption: str
    width: int
    height: int
    left: int
    right: int
    baseline: str
    label_y: str
    ticks: list[Tick]
    columns: list[Column]
    series: list[Series]


def nice_scale(largest: int) -> tuple[int, int]:
    """(top of the axis, step between ticks): 1, 2 or 5 × 10ⁿ steps, at most five of them, integers only."""
    if largest <= 0:
        return 4, 1
    rough = largest / 4
    magnitude = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    step = max(1, int(step))
    return step * math.ceil(largest / step), step


def column_chart(
    chart_id: str,
    caption: str,
    categories: list[tuple[str, str]],
    series: list[Series],
    values: list[list[int]],
) -> ColumnChart:
    """`categories`: (short label, name) per group; `values[i][j]`: category i, series j."""
    width, height, left, right, top, bottom = 480, 250, 52, 8, 12, 30
    plot_height = height - top - bottom
    top_value, step = nice_scale(max((v for row in values for v in row), default=0))
    baseline = height - bottom
    ticks = [
        Tick(_svg(baseline - plot_height * value / top_value), number(value))
        for value in range(0, top_value + 1, step)
    ]
    slot = (width - left - right) / max(1, len(categories))
    bar_width = min(24.0, slot * 0.8 / max(1, len(series)))
    columns = []
    for index, (label, name) in enumerate(categories):
        start = left + slot * index + (slot - bar_width * len(series)) / 2
        bars = []
        for j, item in enumerate(series):
            value = values[index][j]
            bar_height = plot_height * value / top_value
            bars.append(
                Bar(
                    _svg(start + bar_width * j),
                    _svg(baseline - bar_height),
                    _svg(bar_width),
                    _svg(bar_height),
                    value,
                    number(value),
                    item,
                )
            )
        columns.append(Column(label, name, _svg(left + slot * index + slot / 2), bars))
    return ColumnChart(
        chart_id, caption, width, height, left, width - right, _svg(baseline), _svg(baseline + 18), ticks,
        columns, series,
    )  # fmt: skip


@dataclass(frozen=True)
class Row:
    """One horizontal bar: its label, length, value and share."""

    code: str
    label: str
    y: str
    text_y: str
    width: str
    value: int
    text: str
    share: str
    css: str


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per category (early / on time / late)."""

    id: str
    caption: str
    width: int
    height: int
    left: int
    bar_height: int
    value_x: str
    rows: list[Row]


def bar_chart(chart_id: str, caption: str, items: list[tuple[str, str, int, str]]) -> BarChart:
    """`items`: (code, label, value, css) per bar."""
    width, left, value_space, bar_height, gap = 480, 170, 80, 26, 14
    total = sum(value for _code, _label, value, _css in items)
    largest = max((value for _code, _label, value, _css in items), default=0) or 1
    length = width - left - value_space
    rows = []
    for index, (code, label, value, css) in enumerate(items):
        y = gap / 2 + index * (bar_height + gap)
        share = percent(value / total) if total else "—"
        rows.append(
            Row(
                code, label, _svg(y), _svg(y + bar_height * 0.7), _svg(length * value / largest), value,
                number(value), share, css,
            )
        )  # fmt: skip
    return BarChart(
        chart_id, caption, width, int(len(items) * (bar_height + gap)), left, bar_height,
        _svg(left + length + 6), rows,
    )  # fmt: skip
