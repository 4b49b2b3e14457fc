"""The public statistics pages: the country's, a province's, a ministry's and an agency's figures for a period
(year, quarter, month; the current year by default; a bad period is a Vietnamese message with status 400; an
unknown unit is 404), the charts and their tables giving the same numbers, the open-data downloads equal to the
page, the rankings, the method page with the configured amounts, English headings through the language switch,
and the reads: a bounded number of queries, none of them on the dossiers, and no cache when it is switched off."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dichvucong.stats import selectors
from dichvucong.stats import services as stats_services
from tests.stats.factories import HCM, YEAR, History, dossier_events, local, make_history, send_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(settings: Any) -> History:
    settings.STATS_CACHE_SECONDS = 0
    return make_history()


def html(response: Any) -> str:
    return unescape(response.content.decode())


def figure(page: str, metric: str) -> str:
    found = re.search(rf'data-metric="{metric}">([^<]*)<', page)
    assert found, metric
    return found[1]


def chart_values(page: str, chart_id: str) -> list[tuple[str, int]]:
    start = page.index(f'<figure class="stats-chart" id="{chart_id}">')
    svg = page[start : page.index("</figure>", start)]
    return [(s, int(v)) for s, v in re.findall(r'data-series="([a-z_]+)" data-value="(\d+)"', svg)]


def table_values(page: str, table_id: str) -> list[tuple[str, int]]:
    start = page.index(f'id="{table_id}"')
    table = page[start : page.index("</table>", start)]
    return [
        (s, int(v.replace(".", "")))
        for s, v in re.findall(r'<td class="num" data-series="([a-z_]+)">([\d.]+)<', table)
    ]


def stats_url(slug: str = "", **query: str) -> str:
    base = reverse("web:stats_unit", kwargs={"slug": slug}) if slug else reverse("web:stats")
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# --- pages -----------------------------------------------------------------------------------------------------------


def test_country_page_shows_the_years_figures(client: Client, history: History) -> None:
    page = html(client.get(stats_url(ky=str(YEAR))))
    assert "<h1>Thống kê dịch vụ công toàn quốc</h1>" in page
    assert (figure(page, "received"), figure(page, "received_online"), figure(page, "resolved")) == (
        "4",
        "2",
        "3",
    )
    assert (
        figure(page, "resolved_early"),
        figure(page, "resolved_on_time"),
        figure(page, "resolved_late"),
    ) == (
        "1",
        "1",
        "1",
    )
    assert figure(page, "received_online_full") == "2"  # the passport procedure is offered fully online
    assert figure(page, "on_time_rate") == "66,7%"
    assert f"Năm {YEAR}" in page


def test_each_unit_page_counts_its_own_dossiers(client: Client, history: History) -> None:
    province = html(client.get(stats_url("tinh-01", ky=str(YEAR))))
    assert "<h1>Thành phố Hà Nội</h1>" in province and figure(province, "received") == "3"
    assert 'href="/thong-ke/?ky=2025"' in province  # back to the country
    ministry = html(client.get(stats_url("bo-BCA", ky=str(YEAR))))
    assert "<h1>Bộ Công an</h1>" in ministry and figure(ministry, "received") == "1"
    assert figure(ministry, "resolved") == "0"
    agency = html(client.get(stats_url(f"co-quan-{history.c06.pk}", ky=str(YEAR))))
    assert figure(agency, "received") == "1"
    assert "chỉ có số liệu toàn quốc" in province and figure(province, "visits") == "—"


def test_quarters_and_months_narrow_the_period(client: Client, history: History) -> None:
    first_quarter = html(client.get(stats_url(ky=f"{YEAR}-Q1")))
    assert figure(first_quarter, "received") == "2" and f"Quý 1/{YEAR}" in first_quarter
    april = html(client.get(stats_url(ky=f"{YEAR}-04")))
    assert figure(april, "received") == "1" and figure(april, "resolved_late") == "1"
    assert f"Tháng 04/{YEAR}" in april


def test_the_current_year_is_the_default_period(client: Client, history: History) -> None:
    year = timezone.now().astimezone(HCM).year
    page = html(client.get(stats_url()))
    assert f'id="ky-hien-tai">Năm {year}<' in page
    assert f'<option value="{year}" selected>' in page
    assert figure(page, "ratings") == "1"  # rated today
    assert figure(page, "satisfaction_average") == "17,0"
    assert "Xếp loại: Xuất sắc" in page


@pytest.mark.parametrize("bad", ["2026-13", "26", "2026-Q5", "năm nay", "1999"])
def test_a_bad_period_is_a_vietnamese_message_with_status_400(
    client: Client, history: History, bad: str
) -> None:
    for url in (stats_url(ky=bad), stats_url("tinh-01", ky=bad), reverse("web:stats_ranking") + f"?ky={bad}"):
        response = client.get(url)
        assert response.status_code == 400
        assert "Kỳ thống kê không hợp lệ" in html(response)
        assert 'id="ky"' in html(response)  # the chooser, to pick a valid one


@pytest.mark.parametrize("slug", ["tinh-99", "bo-KHONGCO", "co-quan-999999999", "xa-01", "co-quan-abc"])
def test_an_unknown_unit_is_404(client: Client, slug: str) -> None:
    assert client.get(stats_url(slug)).status_code == 404


def test_the_monthly_chart_and_its_table_show_the_same_numbers(client: Client, history: History) -> None:
    page = html(client.get(stats_url(ky=str(YEAR))))
    chart = chart_values(page, "bieu-do-theo-thang")
    assert chart == table_values(page, "bang-theo-thang")
    assert len(chart) == 24  # received and resolved for each of the twelve months
    march, april, may = chart[4:6], chart[6:8], chart[8:10]
    assert (march, april, may) == (
        [("received", 2), ("resolved", 2)],
        [("received", 1), ("resolved", 1)],
        [("received", 1), ("resolved", 0)],
    )
    assert 'role="img" aria-labelledby="bieu-do-theo-thang-tieu-de"' in page
    assert '<figcaption id="bieu-do-theo-thang-tieu-de">' in page


def test_the_outcome_chart_and_its_table_show_the_same_numbers(client: Client, history: History) -> None:
    page = html(client.get(stats_url("tinh-01", ky=str(YEAR))))
    chart = chart_values(page, "bieu-do-ket-qua")
    assert chart == table_values(page, "bang-ket-qua")
    assert chart == [("resolved_early", 1), ("resolved_on_time", 1), ("resolved_late", 1)]


def test_the_index_table_shows_each_indicator_and_what_is_not_applicable(
    client: Client, history: History
) -> None:
    page = html(client.get(stats_url("tinh-01", ky=str(YEAR))))
    summary = selectors.summary(selectors.unit_for_slug("tinh-01"), selectors.period(str(YEAR)))  # type: ignore[arg-type]
    assert summary.index.total is not None
    assert f'id="tong-diem">{summary.index.total:.2f}'.replace(".", ",") in page
    assert re.search(r'data-indicator="2.1">9,33 / 14,00<', page)  # 2 of 3 on time × 14 points
    assert re.search(r'data-indicator="4.1">Không áp dụng<', page)  # no dossier with a fee
    assert "hồ sơ giải quyết trước hạn và đúng hạn ÷ hồ sơ đã giải quyết" in page


def test_the_country_page_shows_the_head_of_the_ranking(client: Client, history: History) -> None:
    page = html(client.get(stats_url(ky=str(YEAR))))
    assert 'id="bang-dan-dau"' in page and 'href="/thong-ke/tinh-01/">Thành phố Hà Nội</a>' in page
    assert f'href="/thong-ke/xep-hang/?cap=tinh&ky={YEAR}"' in page


def test_the_ranking_pages_link_to_each_unit(client: Client, history: History) -> None:
    provinces = html(client.get(reverse("web:stats_ranking"), {"ky": str(YEAR)}))
    assert re.search(
        r'<td>1</td>\s*<th scope="row"><a href="/thong-ke/tinh-01/">Thành phố Hà Nội</a>', provinces
    )
    assert provinces.count("<tr>") == 35  # the header and the 34 provinces, ranked or not
    ministries = html(client.get(reverse("web:stats_ranking"), {"cap": "bo", "ky": str(YEAR)}))
    assert re.search(r'<td>1</td>\s*<th scope="row"><a href="/thong-ke/bo-BCA/">Bộ Công an</a>', ministries)
    bad = client.get(reverse("web:stats_ranking"), {"cap": "xa"})
    assert bad.status_code == 400 and "Cấp xếp hạng không hợp lệ" in html(bad)


def test_the_method_page_states_the_configured_amounts_and_points(client: Client, settings: Any) -> None:
    settings.STATS_SAVING_PER_ONLINE_DOSSIER = 123_456
    settings.STATS_INDEX_POINTS = {**settings.STATS_INDEX_POINTS, "online_service": 15}
    page = html(client.get(reverse("web:stats_method")))
    assert "123.456 đồng" in page and "dịch vụ trực tuyến (15)" in page
    assert "Không áp dụng" in page and "Xuất sắc" in page and "> 15" in page
    assert "tổng điểm các đánh giá ÷ (18 × số đánh giá)" in page


def test_english_headings_through_the_language_switch(client: Client, history: History) -> None:
    client.get(reverse("web:language", args=["en"]) + "?next=/thong-ke/")
    page = html(client.get(stats_url(ky=str(YEAR))))
    assert '<html lang="en">' in page
    assert "<h1>Nationwide public service statistics</h1>" in page
    assert f"<title>Public service statistics – {YEAR}" in page
    assert '<h2 id="so-lieu-chinh">Key figures</h2>' in page
    assert f"<caption>Index groups and indicators – {YEAR}</caption>" in page
    assert '<th scope="col">Indicator</th>' in page and '<th scope="col">Formula</th>' in page
    assert '<th scope="col" class="num">Numerator / denominator</th>' in page
    assert "<dt>Dossiers received</dt>" in page and "<dt>Resolved on time</dt>" in page
    assert '<h2 id="xep-hang-tinh">Ranking of provinces and cities</h2>' in page
    assert "Thống kê dịch vụ công" not in page and "Chỉ tiêu" not in page
    assert figure(page, "received") == "4"


# --- downloads ---------------------------------------------------------------------------------------------------------


def _csv(response: Any) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_figures_download_equals_the_page(client: Client, history: History) -> None:
    page = html(client.get(stats_url("tinh-01", ky=str(YEAR))))
    link = reverse("web:stats_data", kwargs={"table": "so-lieu", "fmt": "csv"}) + f"?don-vi=tinh-01&ky={YEAR}"
    assert f'href="{link}"' in page.replace("&amp;", "&")
    response = client.get(link)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="thong-ke-so-lieu-tinh-01-2025.csv"' in response["Content-Disposition"]
    rows = {row[0]: row for row in _csv(response)[1:]}
    for metric in ("received", "received_online", "resolved", "resolved_early", "resolved_late", "ratings"):
        assert rows[metric][2] == figure(page, metric), metric
    assert rows["received"][1] == "Hồ sơ tiếp nhận"
    data = client.get(link.replace(".csv", ".json")).json()
    assert data["unit"] == "tinh-01" and data["period"] == str(YEAR)
    assert {r["metric"]: r["value"] for r in data["rows"]}["resolved_on_time"] == 1


def test_the_monthly_and_index_downloads_equal_the_page(client: Client, history: History) -> None:
    page = html(client.get(stats_url(ky=str(YEAR))))
    monthly = client.get(
        reverse("web:stats_data", kwargs={"table": "theo-thang", "fmt": "json"}),
        {"don-vi": "", "ky": str(YEAR)},
    ).json()
    from_download = [(s, row[s]) for row in monthly["rows"] for s in ("received", "resolved")]
    assert from_download == table_values(page, "bang-theo-thang")
    index = client.get(
        reverse("web:stats_data", kwargs={"table": "chi-so", "fmt": "json"}), {"don-vi": "", "ky": str(YEAR)}
    ).json()
    assert f"{index['total']:.2f}".replace(".", ",") in page
    by_code = {r["indicator"]: r for r in index["rows"]}
    assert by_code["2.1"]["numerator"] == 2 and by_code["2.1"]["denominator"] == 3
    assert by_code["4.1"]["ratio"] is None


def test_the_ranking_downloads(client: Client, history: History) -> None:
    rows = _csv(
        client.get(reverse("web:stats_data", kwargs={"table": "xep-hang-tinh", "fmt": "csv"}), {"ky": "2025"})
    )
    assert rows[0][:3] == ["Hạng", "Mã đơn vị", "Đơn vị"]
    assert rows[1][:3] == ["1", "tinh-01", "Thành phố Hà Nội"] and len(rows) == 35
    ministries = client.get(
        reverse("web:stats_data", kwargs={"table": "xep-hang-bo", "fmt": "json"}), {"ky": "2025"}
    ).json()
    assert ministries["rows"][0]["unit"] == "bo-BCA" and ministries["rows"][0]["rank"] == 1


def test_bad_downloads(client: Client, history: History) -> None:
    assert client.get("/thong-ke/du-lieu/khong-co.csv").status_code == 404
    assert client.get("/thong-ke/du-lieu/so-lieu.xml").status_code == 404
    assert client.get("/thong-ke/du-lieu/so-lieu.csv", {"don-vi": "tinh-99"}).status_code == 404
    bad = client.get("/thong-ke/du-lieu/so-lieu.csv", {"ky": "2025-00"})
    assert bad.status_code == 400 and "Kỳ thống kê không hợp lệ" in bad.content.decode()


# --- reads ---------------------------------------------------------------------------------------------------------------

PAGES = [
    stats_url(ky=str(YEAR)),
    stats_url("tinh-01", ky=str(YEAR)),
    stats_url("bo-BCA", ky=f"{YEAR}-Q2"),
    reverse("web:stats_ranking") + f"?ky={YEAR}",
    reverse("web:stats_ranking") + f"?cap=bo&ky={YEAR}-05",
    reverse("web:stats_method"),
    "/thong-ke/du-lieu/theo-thang.csv?don-vi=tinh-01&ky=2025",
    "/thong-ke/du-lieu/xep-hang-tinh.json?ky=2025",
]


@pytest.mark.parametrize("url", PAGES)
def test_pages_read_a_few_queries_and_never_the_dossiers(
    client: Client, history: History, url: str, django_assert_max_num_queries: Any
) -> None:
    client.get(url)  # the visit counter writes on a browser's first page of the day
    with django_assert_max_num_queries(5), CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    read = " ".join(q["sql"] for q in captured.captured_queries)
    assert "dossiers_dossier" not in read and "dossiers_dossierevent" not in read


def test_the_cache_keeps_a_page_and_zero_seconds_keeps_nothing(
    client: Client, history: History, settings: Any, django_assert_max_num_queries: Any
) -> None:
    settings.STATS_CACHE_SECONDS = 60
    client.get(stats_url(ky=str(YEAR)))
    with django_assert_max_num_queries(0):
        assert figure(html(client.get(stats_url(ky=str(YEAR)))), "received") == "4"
    send_events("UBND-01", dossier_events("HN-250601-0001", 1, local(6, 1), local(6, 3, 17), None))
    stats_services.roll_up()
    assert figure(html(client.get(stats_url(ky=str(YEAR)))), "received") == "4"  # cached
    settings.STATS_CACHE_SECONDS = 0
    assert figure(html(client.get(stats_url(ky=str(YEAR)))), "received") == "5"


def test_the_page_is_cached_per_language(client: Client, history: History, settings: Any) -> None:
    settings.STATS_CACHE_SECONDS = 60
    assert "Hồ sơ tiếp nhận" in html(client.get(stats_url(ky=str(YEAR))))
    client.get(reverse("web:language", args=["en"]) + "?next=/")
    page = html(client.get(stats_url(ky=str(YEAR))))
    assert "<dt>On-time resolution rate (including early)</dt>" in page
    assert "66.7%" in page
    assert "Hồ sơ tiếp nhận" not in page


def test_download_json_is_utf8(client: Client, history: History) -> None:
    response = client.get("/thong-ke/du-lieu/so-lieu.json", {"don-vi": "bo-BCA", "ky": "2025"})
    body = response.content.decode("utf-8")
    assert "Bộ Công an" in body and json.loads(body)["unit_name"] == "Bộ Công an"


def test_an_agency_page_links_to_no_ranking_and_a_province_to_its_own(
    client: Client, history: History
) -> None:
    from dichvucong.organisations.models import Agency

    agency = Agency.objects.get(code="UBND-01")
    agency_page = client.get(f"/thong-ke/co-quan-{agency.pk}/").content.decode()
    assert "/thong-ke/xep-hang/?cap=" not in agency_page  # agencies are not ranked
    assert "/thong-ke/xep-hang/?cap=tinh" in client.get("/thong-ke/tinh-01/").content.decode()
    assert "/thong-ke/xep-hang/?cap=bo" in client.get("/thong-ke/bo-BCA/").content.decode()


def test_a_unit_written_with_other_digits_is_not_found(client: Client, history: History) -> None:
    assert client.get("/api/v1/stats/figures", {"don_vi": "co-quan-²"}).status_code == 404
    assert client.get("/thong-ke/du-lieu/so-lieu.csv", {"don-vi": "co-quan-١"}).status_code == 404


def test_downloaded_text_is_never_a_spreadsheet_formula() -> None:
    from dichvucong.web.stats_data import DataTable, as_csv

    table = DataTable("x", [("name", "=Tên")], [["=HYPERLINK(1)"], ["-1"], [5]], {})
    lines = as_csv(table).lstrip("\ufeff").splitlines()
    assert lines == ["'=Tên", "'=HYPERLINK(1)", "'-1", "5"]
