"""The public statistics API: the units with their slugs, a unit's figures and index, its monthly series and the
rankings — the same figures as the pages — and RFC 9457 problems for a bad period, an unknown unit or level."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from dichvucong.stats import selectors
from tests.stats.factories import YEAR, History, make_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(settings: Any) -> History:
    settings.STATS_CACHE_SECONDS = 0
    return make_history()


def test_units_lists_the_country_provinces_and_ministries(client: Client) -> None:
    units = client.get("/api/v1/stats/units").json()
    assert units[0] == {"slug": "", "scope": "VN", "level": "N", "name": "Toàn quốc"}
    slugs = {u["slug"]: u for u in units}
    assert slugs["tinh-01"] == {"slug": "tinh-01", "scope": "P:01", "level": "P", "name": "Thành phố Hà Nội"}
    assert slugs["bo-BCA"]["scope"] == "M:BCA"
    assert sum(u["level"] == "P" for u in units) == 34


def test_figures_of_the_country_and_a_province(client: Client, history: History) -> None:
    body = client.get("/api/v1/stats/figures", {"ky": str(YEAR)}).json()
    assert body["unit"]["slug"] == "" and body["period"] == {
        "key": "2025",
        "label": "Năm 2025",
        "first_month": "2025-01-01",
        "last_month": "2025-12-01",
    }
    figures = body["figures"]
    assert (figures["received"], figures["received_online"], figures["resolved"]) == (4, 2, 3)
    assert (figures["resolved_early"], figures["resolved_on_time"], figures["resolved_late"]) == (1, 1, 1)
    assert figures["payments_online"] == 0  # every published metric is there, zero or not
    assert body["derived"]["on_time_rate"] == pytest.approx(2 / 3)
    assert body["derived"]["social_cost_saved"] == 2 * 150_000
    expected = selectors.summary(selectors.national_unit(), selectors.period(str(YEAR))).index
    assert body["index"]["total"] == pytest.approx(expected.total)
    indicators = {i["code"]: i for i in body["index"]["indicators"]}
    assert indicators["2.1"]["numerator"] == 2 and indicators["2.1"]["denominator"] == 3
    assert indicators["4.1"]["ratio"] is None and indicators["4.1"]["score"] is None
    groups = {g["code"]: g for g in body["index"]["groups"]}
    assert groups["online_payment"]["score"] is None and groups["progress"]["points"] == 20
    province = client.get("/api/v1/stats/figures", {"don_vi": "tinh-01", "ky": f"{YEAR}-Q1"}).json()
    assert province["figures"]["received"] == 2 and province["unit"]["name"] == "Thành phố Hà Nội"


def test_figures_of_the_current_year_include_the_rating(client: Client, history: History) -> None:
    body = client.get("/api/v1/stats/figures").json()
    assert body["figures"]["ratings"] == 1 and body["derived"]["satisfaction_average"] == 17
    assert body["satisfaction_classification"] == "Xuất sắc"


def test_monthly_gives_every_month_of_the_period(client: Client, history: History) -> None:
    body = client.get("/api/v1/stats/monthly", {"ky": str(YEAR)}).json()
    assert [m["month"] for m in body["months"]] == [f"{YEAR}-{n:02d}" for n in range(1, 13)]
    by_month = {m["month"]: m["figures"] for m in body["months"]}
    assert by_month["2025-03"]["received"] == 2 and by_month["2025-04"]["resolved_late"] == 1
    assert by_month["2025-01"] == dict.fromkeys(selectors.metric_labels(), 0)  # every published metric
    ministry = client.get("/api/v1/stats/monthly", {"don_vi": "bo-BCA", "ky": f"{YEAR}-05"}).json()
    assert ministry["months"] == [{"month": "2025-05", "figures": ministry["months"][0]["figures"]}]
    assert ministry["months"][0]["figures"]["received"] == 1


def test_rankings(client: Client, history: History) -> None:
    provinces = client.get("/api/v1/stats/ranking", {"ky": str(YEAR)}).json()
    assert provinces["level"] == "P" and len(provinces["items"]) == 34
    first = provinces["items"][0]
    assert first["rank"] == 1 and first["unit"]["slug"] == "tinh-01" and first["total"] is not None
    assert provinces["items"][1]["rank"] is None  # no figures, not ranked
    ministries = client.get("/api/v1/stats/ranking", {"cap": "bo", "ky": str(YEAR)}).json()
    assert ministries["items"][0]["unit"]["slug"] == "bo-BCA" and ministries["items"][0]["rank"] == 1
    assert set(ministries["items"][0]["groups"]) == {
        "publicity", "progress", "online_service", "online_payment", "satisfaction", "digitisation",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("url", "params", "status"),
    [
        ("/api/v1/stats/figures", {"ky": "2025-13"}, 400),
        ("/api/v1/stats/monthly", {"ky": "2025-Q9"}, 400),
        ("/api/v1/stats/ranking", {"ky": "hôm qua"}, 400),
        ("/api/v1/stats/figures", {"don_vi": "tinh-99"}, 404),
        ("/api/v1/stats/monthly", {"don_vi": "bo-KHONGCO"}, 404),
        ("/api/v1/stats/ranking", {"cap": "xa"}, 422),
    ],
)
def test_errors_are_problems(client: Client, url: str, params: dict[str, str], status: int) -> None:
    response = client.get(url, params)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"]
    if status == 400:
        assert body["type"] == "/problems/invalid-period" and "Kỳ thống kê không hợp lệ" in body["detail"]
    if status == 404:
        assert "Không tìm thấy đơn vị thống kê" in body["detail"]


def test_openapi_documents_the_operations_in_vietnamese(client: Client) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert paths["/api/v1/stats/figures"]["get"]["summary"] == "Số liệu và chỉ số của một đơn vị trong một kỳ"
    assert paths["/api/v1/stats/ranking"]["get"]["tags"] == ["Thống kê"]
    parameters = {p["name"]: p for p in paths["/api/v1/stats/figures"]["get"]["parameters"]}
    assert "tháng (2026-11)" in parameters["ky"]["description"]


def test_the_api_and_the_page_give_the_same_figures(client: Client, history: History) -> None:
    from tests.web.test_stats_views import figure, html

    page = html(client.get(f"/thong-ke/tinh-01/?ky={YEAR}"))
    body = client.get("/api/v1/stats/figures", {"don_vi": "tinh-01", "ky": str(YEAR)}).json()
    for metric in (
        "received",
        "received_online",
        "resolved",
        "resolved_early",
        "resolved_on_time",
        "resolved_late",
    ):
        assert str(body["figures"][metric]) == figure(page, metric)


def test_monthly_leaves_out_the_months_still_to_come(client: Client, history: History) -> None:
    from django.utils import timezone

    from dichvucong.stats.sources import local_tz

    today = timezone.now().astimezone(local_tz()).date()
    body = client.get("/api/v1/stats/monthly", {"ky": str(today.year)}).json()
    assert [m["month"] for m in body["months"]] == [
        f"{today.year}-{n:02d}" for n in range(1, today.month + 1)
    ]


def _download(client: Client, table: str, **query: str) -> dict[str, Any]:
    return client.get(f"/thong-ke/du-lieu/{table}.json", query).json()  # type: ignore[no-any-return]


@pytest.mark.parametrize("slug", ["", "tinh-01", "bo-BCA"])
def test_monthly_gives_the_rows_of_the_monthly_download(client: Client, history: History, slug: str) -> None:
    from django.utils import timezone

    from dichvucong.stats.sources import local_tz

    today = timezone.now().astimezone(local_tz()).date()
    for year in (YEAR, today.year):  # figures in some months only; the current year's future months absent
        body = client.get("/api/v1/stats/monthly", {"don_vi": slug, "ky": str(year)}).json()
        download = _download(client, "theo-thang", **{"don-vi": slug, "ky": str(year)})
        metrics = [c["code"] for c in download["columns"]][1:]
        rows = [{"month": r["month"], "figures": {m: r[m] for m in metrics}} for r in download["rows"]]
        assert body["months"] == rows, (slug, year)
        last = 12 if year < today.year else today.month
        assert [m["month"] for m in body["months"]] == [f"{year}-{n:02d}" for n in range(1, last + 1)]
    months = client.get("/api/v1/stats/monthly", {"don_vi": slug, "ky": str(YEAR)}).json()["months"]
    assert months[0]["figures"]["received"] == 0  # a month without figures: zeros, as in the download


@pytest.mark.parametrize("key", ["2025-q7", "2025-Q7", "năm ngoái", "1999"])
def test_a_bad_period_is_answered_by_the_problem_handler(client: Client, key: str) -> None:
    from dichvucong.core.errors import DomainError

    with pytest.raises(DomainError) as raised:
        selectors.period(key)
    assert (raised.value.status, raised.value.code) == (400, "invalid-period")
    response = client.get("/api/v1/stats/monthly", {"ky": key})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/invalid-period" and body["title"] == "Yêu cầu không hợp lệ"
    assert body["detail"].startswith("Kỳ thống kê không hợp lệ: dùng năm (2026)")


def test_the_ranking_rows_of_the_api_and_the_download_come_from_one_builder(
    client: Client, history: History
) -> None:
    from dataclasses import asdict

    from dichvucong.stats.models import Level

    rows = selectors.ranking(Level.PROVINCE, selectors.period(str(YEAR)))
    items = client.get("/api/v1/stats/ranking", {"ky": str(YEAR)}).json()["items"]
    assert items == [
        {"rank": r.rank, "unit": asdict(r.unit), "total": r.total, "classification": r.classification,
         "groups": r.groups}
        for r in rows
    ]  # fmt: skip
    download = _download(client, "xep-hang-tinh", ky=str(YEAR))["rows"]

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 6)

    assert download == [
        {"rank": r.rank, "unit": r.unit.slug, "name": r.unit.name, "total": rounded(r.total),
         "classification": r.classification} | {g: rounded(s) for g, s in r.groups.items()}
        for r in rows
    ]  # fmt: skip


def test_the_index_rows_of_the_api_and_the_download_come_from_one_builder(
    client: Client, history: History
) -> None:
    from dataclasses import asdict

    index = selectors.summary(selectors.national_unit(), selectors.period(str(YEAR))).index
    body = client.get("/api/v1/stats/figures", {"ky": str(YEAR)}).json()["index"]
    assert body["groups"] == [asdict(g) for g in index.group_results()]
    assert body["indicators"] == [asdict(i) for i in index.indicator_results()]
    download = _download(client, "chi-so", ky=str(YEAR))["rows"]
    assert [(r["indicator"], r["numerator"], r["denominator"]) for r in download] == [
        (i.code, i.numerator, i.denominator) for i in index.indicator_results()
    ]


@pytest.mark.parametrize("slug", ["", "tinh-01"])
def test_the_page_the_download_and_the_api_give_the_same_published_figures(
    client: Client, history: History, slug: str
) -> None:
    from tests.web.test_stats_views import html

    page = html(client.get(f"/thong-ke/{slug + '/' if slug else ''}?ky={YEAR}"))
    download = {
        r["metric"]: r["value"]
        for r in _download(client, "so-lieu", **{"don-vi": slug, "ky": str(YEAR)})["rows"]
    }
    body = client.get("/api/v1/stats/figures", {"don_vi": slug, "ky": str(YEAR)}).json()
    assert list(body["figures"]) == list(selectors.metric_labels())  # the published metrics, in order
    shown = dict(re.findall(r'data-metric="([a-z_]+)">([^<]*)<', page))
    for metric, value in body["figures"].items():
        assert download[metric] == value, metric
        if metric in shown and metric != "payments_online_amount":  # the page writes "… đồng" for the amount
            assert shown[metric] == ("—" if value is None else str(value)), metric
    national_only = [body["figures"][m] for m in ("accounts", "visits")]
    assert national_only == ([0, 0] if slug == "" else [None, None])  # unknown below the country, not zero
    assert body["satisfaction_classification"] == ""  # nobody rated in 2025
    assert body["derived_labels"] == selectors.derived_labels()


def test_the_api_gives_no_metric_counted_only_for_the_index(client: Client, history: History) -> None:
    internal = selectors.summary(selectors.national_unit(), selectors.period()).figures.keys() - set(
        selectors.metric_labels()
    )
    assert "rating_published_correctly_points" in internal  # the rating of `make_history` counts it
    figures = client.get("/api/v1/stats/figures").json()["figures"]
    assert set(figures) == set(selectors.metric_labels()) and not internal & set(figures)


def test_monthly_gives_no_national_only_figure_below_the_country(client: Client, history: History) -> None:
    months = client.get("/api/v1/stats/monthly", {"don_vi": "tinh-01", "ky": f"{YEAR}-03"}).json()["months"]
    assert months[0]["figures"]["received"] == 2
    assert (months[0]["figures"]["accounts"], months[0]["figures"]["visits"]) == (None, None)
