"""The officer's home on the back office's index: their agencies' catalogue entries, dossiers and feedback, and
their agency's figures; operators see the country. Counts come from real rows (and the roll-up for figures),
and each links to the list it counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dichvucong.accounts.selectors import agency_scope
from dichvucong.catalogue import services as catalogue
from dichvucong.core.scope import AgencyScope
from dichvucong.dossiers.models import Dossier
from dichvucong.organisations.models import Agency
from dichvucong.stats.services import roll_up
from dichvucong.web.back_office import Overview, overview
from tests.conftest import make_officer, make_operator, make_procedure, verified_staff_client
from tests.feedback.factories import forwarded_feedback

pytestmark = pytest.mark.django_db

# Monday 21 December 2026, 10:00 in Hà Nội.
NOW = dt.datetime(2026, 12, 21, 3, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
ROLES = ("head", "catalogue_editor", "handler")


def _dossier(
    agency: Agency, n: int, *, due: dt.datetime | None, finished: dt.datetime | None = None
) -> Dossier:
    return Dossier.objects.create(
        code=f"{agency.code}-261221-{n:04d}",
        agency=agency,
        origin="agency",
        status=10 if finished else 4,
        status_at=finished or NOW - 48 * HOUR,
        received_at=NOW - 72 * HOUR,
        due_at=due,
        finished_at=finished,
    )


def _province(code: str, marker: str, procedure_code: str) -> dict[str, Any]:
    committee = Agency.objects.get(code=f"UBND-{code}")
    commune = Agency.objects.filter(parent=committee).order_by("code").first()
    assert commune is not None
    officer = make_officer(committee.code, username=f"lanhdao-{code}", roles=ROLES)
    editor = make_officer(committee.code, username=f"capnhat-{code}", roles=("catalogue_editor",))
    make_procedure(code=procedure_code, name=f"Thủ tục {marker}", managing_agency=committee.code)
    draft = catalogue.start_revision(code=procedure_code)
    catalogue.submit_for_review(procedure_id=draft.pk, actor=editor)
    _dossier(commune, 1, due=NOW + 48 * HOUR)  # open, on time
    _dossier(commune, 2, due=NOW - HOUR)  # open, overdue
    _dossier(committee, 3, due=NOW - HOUR)  # open, overdue, the committee's own
    _dossier(commune, 4, due=NOW - 24 * HOUR, finished=NOW - 2 * HOUR)  # resolved this month (late)
    _dossier(committee, 5, due=NOW, finished=dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC))  # last month
    forwarded_feedback(commune.code, title=f"Phản ánh {marker}", sender_phone=f"09{code}111111")  # overdue
    forwarded_feedback(
        commune.code, now=NOW - HOUR, title=f"Phản ánh mới {marker}", sender_phone=f"09{code}222222"
    )
    return {"committee": committee, "commune": commune, "officer": officer, "draft": draft, "marker": marker}


@pytest.fixture
def provinces(db: None) -> tuple[dict[str, Any], dict[str, Any]]:
    hanoi = _province("01", "HANOI-HOME", "2.900101")
    hcm = _province("79", "HCM-HOME", "2.900179")
    roll_up()
    return hanoi, hcm


def _values(home: Overview | None) -> dict[tuple[str, str], int]:
    assert home is not None
    return {(section.title, tile.label): tile.value for section in home.sections for tile in section.tiles}


def test_an_officer_sees_the_counts_of_their_agencies_only(provinces: tuple[dict[str, Any], ...]) -> None:
    hanoi, _hcm = provinces
    officer = hanoi["officer"]
    home = overview(officer, agency_scope(officer), now=NOW)
    assert _values(home) == {
        ("Thủ tục hành chính", "Bản nháp"): 0,
        ("Thủ tục hành chính", "Chờ duyệt"): 1,
        ("Thủ tục hành chính", "Đang áp dụng"): 1,
        ("Hồ sơ", "Đang giải quyết"): 3,
        ("Hồ sơ", "Quá hạn"): 2,
        ("Hồ sơ", "Đã giải quyết trong tháng"): 1,
        ("Phản ánh, kiến nghị", "Cần xử lý"): 2,
        ("Phản ánh, kiến nghị", "Quá hạn"): 1,
    }
    assert home is not None
    assert home.title == "Tổng quan đơn vị: " + hanoi["committee"].name
    assert [procedure.pk for procedure, _url in home.awaiting] == [hanoi["draft"].pk]


def test_an_operator_sees_the_country(provinces: tuple[dict[str, Any], ...]) -> None:
    operator = make_operator()
    values = _values(overview(operator, AgencyScope.everything(), now=NOW))
    assert values[("Thủ tục hành chính", "Chờ duyệt")] == 2
    assert values[("Hồ sơ", "Đang giải quyết")] == 6
    assert values[("Hồ sơ", "Quá hạn")] == 4
    assert values[("Hồ sơ", "Đã giải quyết trong tháng")] == 2
    assert values[("Phản ánh, kiến nghị", "Chờ phân loại")] == 0
    assert values[("Phản ánh, kiến nghị", "Cần xử lý")] == 4


def test_the_figures_are_the_agencys_own_and_link_to_its_public_page(
    provinces: tuple[dict[str, Any], ...],
) -> None:
    hanoi, _hcm = provinces
    officer = hanoi["officer"]
    home = overview(officer, agency_scope(officer), now=NOW)
    assert home is not None
    figures = dict(home.figures)
    # The committee's own dossiers: one resolved (in November), none of its communes'.
    assert figures["Hồ sơ đã giải quyết"] == "1"
    assert figures["Tỷ lệ giải quyết đúng hạn"] == "100,0%"  # as on the statistics pages
    assert home.figures_url == reverse("web:stats_unit", args=[f"co-quan-{hanoi['committee'].pk}"])
    national = overview(make_operator(), AgencyScope.everything(), now=NOW)
    assert national is not None and dict(national.figures)["Hồ sơ đã giải quyết"] == "4"
    assert national.figures_url == reverse("web:stats")


def test_the_index_page_shows_the_home_without_the_other_province(
    client: Client, provinces: tuple[dict[str, Any], ...]
) -> None:
    hanoi, hcm = provinces
    body = verified_staff_client(client, hanoi["officer"]).get(reverse("admin:index")).content.decode()
    assert "Tổng quan đơn vị" in body
    assert "Thủ tục HANOI-HOME" in body  # the version awaiting review
    assert hcm["marker"] not in body


def test_each_count_links_to_the_list_it_counts(
    client: Client, provinces: tuple[dict[str, Any], ...]
) -> None:
    hanoi, _hcm = provinces
    officer_client = verified_staff_client(client, hanoi["officer"])
    home = overview(hanoi["officer"], agency_scope(hanoi["officer"]), now=NOW)
    assert home is not None
    tiles = {(section.title, tile.label): tile for section in home.sections for tile in section.tiles}
    for key in (
        ("Thủ tục hành chính", "Chờ duyệt"),
        ("Hồ sơ", "Đang giải quyết"),
        ("Phản ánh, kiến nghị", "Cần xử lý"),
    ):
        response = officer_client.get(tiles[key].url)
        assert response.status_code == 200, key
        assert len(response.context["cl"].result_list) == tiles[key].value, key
    overdue = officer_client.get(tiles[("Hồ sơ", "Quá hạn")].url)
    codes = {d.code for d in overdue.context["cl"].result_list}
    assert codes == {f"{hanoi['commune'].code}-261221-0002", f"{hanoi['committee'].code}-261221-0003"}


def test_someone_without_an_agency_gets_no_home(db: None) -> None:
    assert overview(make_operator(), AgencyScope.nothing(), now=NOW) is None


def test_a_catalogue_editor_sees_only_the_catalogue_and_figures(
    provinces: tuple[dict[str, Any], ...],
) -> None:
    hanoi, _hcm = provinces
    editor = make_officer(hanoi["committee"].code, username="chi-cap-nhat", roles=("catalogue_editor",))
    home = overview(editor, agency_scope(editor), now=NOW)
    assert home is not None
    assert [section.title for section in home.sections] == ["Thủ tục hành chính"]
    assert home.figures
