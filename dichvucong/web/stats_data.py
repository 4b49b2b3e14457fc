"""The open-data tables of the statistics pages (`/thong-ke/du-lieu/<table>.<csv|json>`): a unit's figures
(so-lieu), its monthly series (theo-thang) and its index (chi-so), and the rankings of the provinces and the
ministries (xep-hang-tinh, xep-hang-bo); written as CSV (UTF-8 with a byte-order mark) or JSON, with the addresses
the pages link to.

Values are plain (numbers unformatted, ratios 0-1 rounded to six places, None when unknown) so that a table is
read by programs; like the pages, it is cached per unit, period and language for `STATS_CACHE_SECONDS`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from dichvucong.core.errors import NotFound
from dichvucong.core.text import spreadsheet_safe
from dichvucong.stats import quality, selectors
from dichvucong.stats.caching import cached
from dichvucong.stats.models import Level
from dichvucong.stats.selectors import Period, Unit

Value = int | float | str | None

# The open-data tables (`/thong-ke/du-lieu/<table>.<csv|json>`); the rankings ignore the unit.
TABLES = ("so-lieu", "theo-thang", "chi-so", "xep-hang-tinh", "xep-hang-bo")


@dataclass(frozen=True)
class DataTable:
    """A table offered as CSV and JSON: columns (code, label), rows of plain values, and what it describes."""

    name: str
    columns: list[tuple[str, str]]
    rows: list[list[Value]]
    meta: dict[str, Value]


def _with_unit(code: str, label: str) -> str:
    """A derived figure's label with what its plain value is counted in: [0–1] for a rate, [đồng] for money."""
    unit = selectors.derived_unit(code)
    return f"{label} [{unit}]" if unit else label


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _meta(unit: Unit | None, span: Period) -> dict[str, Value]:
    meta: dict[str, Value] = {"period": span.key, "period_label": span.label}
    if unit is not None:
        meta.update(unit=unit.slug, unit_name=unit.name, scope=unit.scope)
    return meta


def _ranking_table(name: str, level: str, span: Period) -> DataTable:
    columns = [
        ("rank", _("Hạng")),
        ("unit", _("Mã đơn vị")),
        ("name", _("Đơn vị")),
        ("total", _("Chỉ số (trên 100)")),
        ("classification", _("Xếp loại")),
    ] + [(g.code, str(g.name)) for g in quality.GROUPS]
    rows: list[list[Value]] = [
        [r.rank, r.unit.slug, r.unit.name, _rounded(r.total), r.classification]
        + [_rounded(r.groups[g.code]) for g in quality.GROUPS]
        for r in selectors.ranking(level, span)
    ]
    return DataTable(name, columns, rows, _meta(None, span))


def _data_table(name: str, slug: str, span: Period) -> DataTable:
    if name == "xep-hang-tinh":
        return _ranking_table(name, Level.PROVINCE, span)
    if name == "xep-hang-bo":
        return _ranking_table(name, Level.MINISTRY, span)
    unit = selectors.unit_get(slug)
    labels = selectors.metric_labels()
    if name == "so-lieu":
        summary = selectors.summary(unit, span)
        figures = selectors.published_figures(summary)
        rows: list[list[Value]] = [[m, labels[m], value] for m, value in figures.items()]
        rows += [
            [code, _with_unit(code, label), _rounded(summary.derived.get(code))]
            for code, label in selectors.derived_labels().items()
        ]
        columns = [("metric", _("Mã chỉ tiêu")), ("label", _("Chỉ tiêu")), ("value", _("Giá trị"))]
        return DataTable(name, columns, rows, _meta(unit, span))
    if name == "theo-thang":
        columns = [("month", _("Tháng")), *labels.items()]
        rows = [
            [row.key, *(row.figures[m] for m in labels)] for row in selectors.monthly_rows(unit.scope, span)
        ]
        return DataTable(name, columns, rows, _meta(unit, span))
    if name == "chi-so":
        index = selectors.summary(unit, span).index
        columns = [
            ("group", _("Nhóm")),
            ("indicator", _("Chỉ tiêu")),
            ("name", _("Tên chỉ tiêu")),
            ("numerator", _("Tử số")),
            ("denominator", _("Mẫu số")),
            ("ratio", _("Tỷ lệ (0–1)")),
            ("points", _("Điểm tối đa")),
            ("score", _("Điểm đạt")),
        ]
        rows = [
            [i.group, i.code, i.name, i.numerator, i.denominator, _rounded(i.ratio), _rounded(i.points),
             _rounded(i.score)]
            for i in index.indicator_results()
        ]  # fmt: skip
        meta = _meta(unit, span)
        meta.update(total=_rounded(index.total), classification=index.classification)
        return DataTable(name, columns, rows, meta)
    raise NotFound(_("Không có bảng số liệu “%(name)s”.") % {"name": name[:40]})


def data_table(name: str, slug: str, span: Period) -> DataTable:
    """An open-data table of a unit (the rankings: of every province or ministry) over a period."""
    if name not in TABLES:
        raise NotFound(_("Không có bảng số liệu “%(name)s”.") % {"name": name[:40]})
    unit_part = "" if name.startswith("xep-hang") else slug
    return cached("data", (name, unit_part, span.key), lambda: _data_table(name, unit_part, span))


@dataclass(frozen=True)
class Download:
    csv: str
    json: str


def data_url(name: str, fmt: str, slug: str, period_key: str) -> str:
    query = f"?ky={period_key}" if name.startswith("xep-hang") else f"?don-vi={slug}&ky={period_key}"
    return reverse("web:stats_data", kwargs={"table": name, "fmt": fmt}) + query


def downloads(slug: str, period_key: str) -> dict[str, Download]:
    """The CSV and JSON addresses of every table, keyed by table with "_" for "-" (for the templates)."""
    return {
        name.replace("-", "_"): Download(
            data_url(name, "csv", slug, period_key), data_url(name, "json", slug, period_key)
        )
        for name in TABLES
    }


# --- writing a table ---------------------------------------------------------------------------------------------


def as_csv(table: DataTable) -> str:
    """The table as CSV: a header of the columns' labels, then its rows; an unknown value is an empty cell."""
    out = io.StringIO()
    out.write("\ufeff")  # a byte-order mark, so that Excel reads the Vietnamese as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(label) for _code, label in table.columns])
    for row in table.rows:
        writer.writerow(["" if value is None else spreadsheet_safe(value) for value in row])
    return out.getvalue()


def as_json(table: DataTable) -> str:
    """The table as JSON: its name and what it describes, its columns (code, label) and a row per object."""
    codes = [code for code, _label in table.columns]
    body = {
        "table": table.name,
        **table.meta,
        "columns": [{"code": code, "label": label} for code, label in table.columns],
        "rows": [dict(zip(codes, row, strict=True)) for row in table.rows],
    }
    return json.dumps(body, ensure_ascii=False, indent=1)
