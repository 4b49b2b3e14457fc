"""The officer API for dossiers: the list of the agencies in scope (filters, keyset pages, no count), one dossier
with its steps, the apology (form 04) and the printable forms; roles decide what an officer may do, the scope
which dossiers, and what is outside it does not exist."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dichvucong.core.models import AuditEvent
from dichvucong.dossiers import sync
from dichvucong.dossiers.deadlines import LOCAL
from dichvucong.dossiers.models import Apology, Dossier
from dichvucong.organisations.models import Agency
from tests.conftest import make_officer, verified_staff_client

pytestmark = pytest.mark.django_db
BASE = "/api/v1/officer/dossiers"
HANOI_COMMUNE, HCM_COMMUNE = "UBND-00004", "UBND-25747"


@pytest.fixture(autouse=True)
def _setup(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OUTBOX_DISPATCH = "none"


def make_dossier(code: str, agency: str = HANOI_COMMUNE, **fields: Any) -> Dossier:
    values: dict[str, Any] = {
        "procedure_code": "1.001193",
        "procedure_name": "Đăng ký khai sinh",
        "origin": "agency",
        "channel": 1,
        "applicant_name": f"Người nộp {code}",
        "status": 2,
        "status_at": timezone.now(),
    }
    return Dossier.objects.create(code=code, agency=Agency.objects.get(code=agency), **(values | fields))


def working_morning(days_ahead: int) -> dt.datetime:
    from dichvucong.core.calendar import WorkingCalendar

    day = WorkingCalendar().next_working_day(
        timezone.now().astimezone(LOCAL).date() + dt.timedelta(days=days_ahead)
    )
    return dt.datetime.combine(day, dt.time(9, 0), tzinfo=LOCAL)


@pytest.fixture
def officer(client: Client) -> Client:
    """A handler of Hà Nội's People's Committee: Hà Nội's communes are in scope, Hồ Chí Minh City's are not."""
    return verified_staff_client(client, make_officer("UBND-01", roles=("handler",)))


@pytest.fixture
def dossiers() -> list[Dossier]:
    now = timezone.now()
    return [
        make_dossier("H01-0001", due_at=now - dt.timedelta(days=2)),  # overdue
        make_dossier("H01-0002", due_at=now + dt.timedelta(days=2)),
        make_dossier("H01-0003", status=9, due_at=now - dt.timedelta(days=2)),  # late but finished
        make_dossier("H01-0004", procedure_code="1.000894", procedure_name="Đăng ký kết hôn", status=5),
        make_dossier("H79-0001", agency=HCM_COMMUNE, due_at=now - dt.timedelta(days=2)),
    ]


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["items"]]


# --- list ------------------------------------------------------------------------------------------------------


def test_the_list_holds_the_dossiers_in_scope_newest_first(officer: Client, dossiers: list[Dossier]) -> None:
    response = officer.get(BASE)
    assert codes(response) == ["H01-0004", "H01-0003", "H01-0002", "H01-0001"]
    first = response.json()["items"][-1]
    assert first["agency"] == HANOI_COMMUNE and first["overdue"] is True and first["status_label"]
    assert response.json()["next_cursor"] is None


def test_the_list_filters_by_status_lateness_and_procedure(officer: Client, dossiers: list[Dossier]) -> None:
    assert codes(officer.get(BASE, {"status": 9})) == ["H01-0003"]
    assert codes(officer.get(BASE, {"overdue": "true"})) == ["H01-0001"]
    assert codes(officer.get(BASE, {"overdue": "false"})) == ["H01-0004", "H01-0003", "H01-0002"]
    assert codes(officer.get(BASE, {"procedure_code": "1.000894"})) == ["H01-0004"]
    bad = officer.get(BASE, {"status": 11})
    assert bad.status_code == 422 and bad["Content-Type"] == "application/problem+json"
    assert bad.json()["detail"] == "Tham số của yêu cầu không hợp lệ."


def test_the_list_pages_by_cursor_without_counting(officer: Client, dossiers: list[Dossier]) -> None:
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    with CaptureQueriesContext(connection) as queries:
        while True:
            params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            body = officer.get(BASE, params).json()
            seen += [item["code"] for item in body["items"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
    assert seen == ["H01-0004", "H01-0003", "H01-0002", "H01-0001"] and pages == 2
    assert not [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    bad = officer.get(BASE, {"cursor": "abc"})
    assert bad.status_code == 400 and "next_cursor" in bad.json()["detail"]


def test_the_list_reads_the_same_number_of_queries_for_more_dossiers(
    officer: Client, dossiers: list[Dossier]
) -> None:
    officer.get(BASE)  # the session and its officer are cached after the first request
    with CaptureQueriesContext(connection) as few:
        officer.get(BASE)
    for n in range(10):
        make_dossier(f"H01-1{n:03d}", agency=("UBND-00008" if n % 2 else HANOI_COMMUNE))
    with CaptureQueriesContext(connection) as many:
        assert len(codes(officer.get(BASE))) == 14
    assert len(many) == len(few)


# --- one dossier -----------------------------------------------------------------------------------------------


def test_a_dossier_shows_its_steps_in_time_order_and_its_forms(
    officer: Client, dossiers: list[Dossier]
) -> None:
    dossier = dossiers[3]
    source = sync.SyncSource(agency_id=dossier.agency_id, allowed_agency_ids=frozenset({dossier.agency_id}))
    start = timezone.now() - dt.timedelta(days=1)
    sync.ingest(
        source=source,
        events=[
            sync.EventIn(
                event_id="bs",
                dossier_code=dossier.code,
                status=5,
                occurred_at=start + dt.timedelta(hours=2),
                unit="Bộ phận Một cửa",
                content="Bổ sung giấy chứng sinh",
            ),
            sync.EventIn(
                event_id="tn",
                dossier_code=dossier.code,
                status=2,
                occurred_at=start,
                unit="Bộ phận Một cửa",
                actor_name="Lê Thị Hoa",
            ),
        ],
    )
    body = officer.get(f"{BASE}/{dossier.code}").json()
    assert [(e["status"], e["unit"]) for e in body["events"]] == [
        (2, "Bộ phận Một cửa"),
        (5, "Bộ phận Một cửa"),
    ]
    assert body["events"][1]["status_label"] == "Yêu cầu bổ sung giấy tờ"
    assert body["forms"] == ["01", "02", "06"]
    assert body["applicant_name"] == "Người nộp H01-0004" and body["apologies"] == []


def test_a_dossier_outside_the_scope_does_not_exist(officer: Client, dossiers: list[Dossier]) -> None:
    for url in (f"{BASE}/H79-0001", f"{BASE}/H79-0001/forms/01", f"{BASE}/KHONG-CO"):
        response = officer.get(url)
        assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
        assert "Người nộp" not in response.content.decode()
    assert officer.get(f"{BASE}/H79-0001").json()["detail"] == "Không tìm thấy hồ sơ có mã H79-0001."
    posted = officer.post(
        f"{BASE}/H79-0001/apology",
        {"reason": "Chờ xác minh", "new_due_at": working_morning(7).isoformat()},
        content_type="application/json",
    )
    assert posted.status_code == 404 and not Apology.objects.exists()


def test_an_officer_without_the_dossier_role_is_refused(client: Client, dossiers: list[Dossier]) -> None:
    admin = verified_staff_client(
        client, make_officer("UBND-01", username="quantri-hn", roles=("agency_admin",))
    )
    assert admin.get(BASE).status_code == 403
    refused = admin.get(f"{BASE}/H01-0001")
    assert (
        refused.status_code == 403
        and refused.json()["detail"] == "Vai trò của bạn không cho phép thao tác này."
    )
    assert admin.get(f"{BASE}/H79-0001").status_code == 404  # outside the scope: not found, whatever the role
    posted = admin.post(
        f"{BASE}/H01-0001/apology",
        {"reason": "Chờ xác minh", "new_due_at": working_morning(7).isoformat()},
        content_type="application/json",
    )
    assert posted.status_code == 403


def test_the_api_needs_a_verified_officer_session(client: Client, dossiers: list[Dossier]) -> None:
    assert client.get(BASE).status_code == 401
    assert client.get(f"{BASE}/H01-0001/forms/01").status_code == 401


# --- apology and forms -----------------------------------------------------------------------------------------


def test_an_apology_moves_the_date_and_gives_form_04(officer: Client, dossiers: list[Dossier]) -> None:
    new_due = working_morning(7)
    response = officer.post(
        f"{BASE}/H01-0001/apology",
        {
            "reason": "Cần xác minh với cơ quan công an",
            "new_due_at": new_due.replace(tzinfo=None).isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert dt.datetime.fromisoformat(body["new_due_at"]) == new_due  # a time without offset is Hà Nội time
    assert dt.datetime.fromisoformat(body["dossier_due_at"]) == new_due
    assert body["form_url"] == f"{BASE}/H01-0001/forms/04"
    assert AuditEvent.objects.filter(action="dossier.apology", object_id=str(dossiers[0].pk)).count() == 1
    listed = officer.get(BASE, {"overdue": "true"})
    assert codes(listed) == []
    pdf = officer.get(body["form_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert pdf["Content-Disposition"] == 'inline; filename="H01-0001-mau-04-van-ban-xin-loi.pdf"'
    assert officer.get(f"{BASE}/H01-0001").json()["forms"] == ["01", "04", "06"]


def test_an_apology_with_a_wrong_date_is_a_problem_in_vietnamese(
    officer: Client, dossiers: list[Dossier]
) -> None:
    saturday = working_morning(7)
    while saturday.weekday() != 5:
        saturday += dt.timedelta(days=1)
    response = officer.post(
        f"{BASE}/H01-0001/apology",
        {"reason": "Chờ xác minh", "new_due_at": saturday.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert "là ngày nghỉ của cơ quan (Thứ bảy)" in response.json()["detail"]
    empty = officer.post(
        f"{BASE}/H01-0001/apology",
        {"reason": "", "new_due_at": working_morning(7).isoformat()},
        content_type="application/json",
    )
    assert empty.status_code == 422 and empty.json()["errors"][0]["location"] == "reason"
    assert not Apology.objects.exists()


@pytest.mark.parametrize(("form", "title"), [("01", "GIẤY TIẾP NHẬN"), ("06", "PHIẾU KIỂM SOÁT")])
def test_every_dossier_prints_its_receipt_and_control_sheet(
    officer: Client, dossiers: list[Dossier], form: str, title: str
) -> None:
    import io

    import pypdf

    response = officer.get(f"{BASE}/H01-0002/forms/{form}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    assert title in text and "H01-0002" in text


def test_a_form_the_dossier_does_not_have_is_not_found(officer: Client, dossiers: list[Dossier]) -> None:
    for form, detail in (
        ("02", "Hồ sơ H01-0002 chưa có yêu cầu bổ sung."),
        ("03", "Hồ sơ H01-0002 không bị từ chối tiếp nhận."),
        ("04", "Hồ sơ H01-0002 chưa có văn bản xin lỗi."),
        ("05", "Không có biểu mẫu số 05; các mẫu in được: 01, 02, 03, 04, 06."),
    ):
        response = officer.get(f"{BASE}/H01-0002/forms/{form}")
        assert response.status_code == 404 and response.json()["detail"] == detail
