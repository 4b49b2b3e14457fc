import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_agencies_filter_by_level_and_province(client: Client) -> None:
    central = client.get("/api/v1/agencies", {"level": "central", "limit": 100}).json()
    assert {"BTP", "BHXH", "EVN"} <= {a["code"] for a in central["items"]}
    local = client.get("/api/v1/agencies", {"province": "79", "level": "province"}).json()
    assert {a["code"] for a in local["items"]} == {"UBND-79", "CA-79", "THUE-79", "BHXH-79"}


def test_agency_detail_has_contact_and_calendar(client: Client) -> None:
    body = client.get("/api/v1/agencies/UBND-01").json()
    assert body["office_hours"] == ["07:00-11:30", "13:30-17:00"] and body["receipt_cutoff"] == "15:00"
    assert client.get("/api/v1/agencies/KHONGCO").status_code == 404


def test_administrative_units(client: Client) -> None:
    provinces = client.get("/api/v1/administrative-units", {"limit": 100}).json()
    assert provinces["count"] == 34
    wards = client.get("/api/v1/administrative-units", {"parent": "01", "q": "ba dinh"}).json()
    assert wards["items"][0]["name"] == "Phường Ba Đình"
    assert client.get("/api/v1/administrative-units/00004").json()["parent"] == "01"


def test_agency_days_off(client: Client) -> None:
    days = client.get(
        "/api/v1/agencies/UBND-01/days-off", {"start": "2026-02-14", "end": "2026-02-22"}
    ).json()
    assert [d["date"] for d in days] == [f"2026-02-{n}" for n in range(14, 23)]
    assert days[3]["reason"] == "Tết Nguyên Đán"
    bad = client.get("/api/v1/agencies/UBND-01/days-off", {"start": "2026-02-14", "end": "2025-02-22"})
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
