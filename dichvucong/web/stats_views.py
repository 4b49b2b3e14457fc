"""Public statistics pages: the country's and each province's, ministry's or agency's figures and index, the
rankings, how each figure is computed, and the open-data downloads (CSV and JSON) of every table shown.

Each view reads the period (`?ky=2026|2026-Q3|2026-11`) and the unit, asks `stats_pages` or, for the downloads,
`stats_data` (both read only the statistics selectors) and renders. A bad period is a Vietnamese message on the
page with status 400; an unknown unit is the site's 404 page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dichvucong.stats import selectors
from dichvucong.stats.selectors import BadPeriod, Period

from . import stats_data as open_data
from . import stats_pages as pages

PERIOD_PARAM = "ky"


def _error(request: HttpRequest, *, title: str, message: str, action: str, period_key: str) -> HttpResponse:
    context = {
        "title": title,
        "message": message,
        "action": action,
        "periods": pages.period_choices(period_key),
    }
    return render(request, "web/stats/error.html", context, status=400)


def _unit(request: HttpRequest, slug: str) -> HttpResponse:
    action = reverse("web:stats_unit", kwargs={"slug": slug}) if slug else reverse("web:stats")
    try:
        span = selectors.period(request.GET.get(PERIOD_PARAM))
    except BadPeriod as exc:
        unit = selectors.unit_get(slug)
        return _error(request, title=unit.name, message=str(exc), action=action, period_key="")
    page = pages.unit_page(slug, span)
    context = {
        "page": page,
        "action": action,
        "periods": pages.period_choices(span.key),
        "downloads": open_data.downloads(slug, span.key),
    }
    return render(request, "web/stats/unit.html", context)


@require_GET
def national(request: HttpRequest) -> HttpResponse:
    """The country's figures, index and the head and tail of the provinces' ranking."""
    return _unit(request, "")


@require_GET
def unit(request: HttpRequest, slug: str) -> HttpResponse:
    """A province's (tinh-<code>), ministry's (bo-<code>) or agency's (co-quan-<id>) figures and index."""
    return _unit(request, slug)


@require_GET
def ranking(request: HttpRequest) -> HttpResponse:
    """Provinces (`?cap=tinh`, the default) or ministries (`?cap=bo`) ranked by their index."""
    action = reverse("web:stats_ranking")
    cap = request.GET.get("cap") or "tinh"
    try:
        span = selectors.period(request.GET.get(PERIOD_PARAM))
    except BadPeriod as exc:
        return _error(request, title=_("Xếp hạng"), message=str(exc), action=action, period_key="")
    if cap not in selectors.RANKING_LEVELS:
        message = _("Cấp xếp hạng không hợp lệ: dùng cap=tinh (tỉnh, thành phố) hoặc cap=bo (bộ, ngành).")
        return _error(request, title=_("Xếp hạng"), message=message, action=action, period_key=span.key)
    page = pages.ranking_page(cap, span)
    context = {
        "page": page,
        "action": action,
        "periods": pages.period_choices(span.key),
        "downloads": open_data.downloads("", span.key),
    }
    return render(request, "web/stats/ranking.html", context)


@require_GET
def method(request: HttpRequest) -> HttpResponse:
    """How each figure and each indicator of the index is computed, with the configured points and amounts."""
    return render(request, "web/stats/method.html", {"page": pages.method_page()})


@require_GET
def data(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    """An open-data table as CSV (UTF-8 with BOM) or JSON: `?don-vi=<slug>&ky=<period>`."""
    slug = request.GET.get("don-vi", "").strip()
    try:
        span: Period = selectors.period(request.GET.get(PERIOD_PARAM))
    except BadPeriod as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    found = open_data.data_table(table, slug, span)
    unit_part = "" if table.startswith("xep-hang") else f"-{slug or 'toan-quoc'}"
    filename = f"thong-ke-{table}{unit_part}-{span.key}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(open_data.as_csv(found), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(open_data.as_json(found), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Access-Control-Allow-Origin"] = "*"  # open data: readable by any site's scripts
    return response
