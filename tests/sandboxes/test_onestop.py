"""sandbox-onestop, Hà Nội's one-stop system stand-in, run as a real subprocess: it takes signed deliveries once,
downloads their attachments, lets an officer move dossiers and take counter dossiers, and pushes every change to
the portal (a stand-in that checks signatures, then the portal itself) through a queue that survives an outage
of the portal and a restart of the sandbox."""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from dichvucong.core import signing
from tests.sandboxes.conftest import parse_form
from tests.sandboxes.onestop import (
    KEY_ID,
    SECRET,
    FakePortal,
    OnestopServer,
    Received,
    fake_portal,
    running_onestop,
    wait_for,
)

LABEL = "Hệ thống một cửa điện tử — sandbox"


@pytest.fixture
def portal() -> Iterator[FakePortal]:
    with fake_portal() as stand_in:
        yield stand_in


@pytest.fixture
def onestop(tmp_path: Path, portal: FakePortal) -> Iterator[OnestopServer]:
    with running_onestop(tmp_path / "onestop", SANDBOX_ONESTOP_PORTAL_URL=portal.url) as server:
        yield server


def national(code: str | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "MaHoSo": code or f"UBND-01-261123-{uuid.uuid4().hex[:6]}",
        "MaTTHC": "1.001193",
        "TenTTHC": "Đăng ký khai sinh",
        "ChuHoSo": "Nguyễn Văn An",
        "LoaiDoiTuong": 1,
        "TrangThaiHoSo": 1,
        "NgayHenTra": "20261125170000",
        "DuLieuBieuMau": {"ho_ten_tre": "Nguyễn Minh Khôi"},
        **fields,
    }


def deliver(
    server: OnestopServer, body: dict[str, Any], message_id: str | None = None, **kw: Any
) -> requests.Response:
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = {
        **signing.sign(kw.pop("secret", SECRET), message_id or body["MaHoSo"], raw),
        "content-type": "application/json",
        "x-dvc-key-id": KEY_ID,
    }
    return requests.post(f"{server.url}/dossiers", data=kw.pop("data", raw), headers=headers, timeout=10)


def verified(received: Received) -> str:
    """The sandbox signs its pushes like the portal signs deliveries, over the exact bytes, with its key id."""
    assert received.headers["x-dvc-key-id"] == KEY_ID
    return signing.verify(SECRET, received.headers, received.body)


def advance(server: OnestopServer, code: str, status: int, content: str = "") -> requests.Response:
    return requests.post(
        f"{server.url}/_sandbox/dossiers/{code}/advance",
        json={"status": status, "content": content},
        timeout=30,
    )


def officer_click(server: OnestopServer, code: str, status: int, content: str = "") -> requests.Response:
    """What an officer does on the dossier page: the button of `status` (with the page's form token)."""
    page = requests.get(f"{server.url}/ho-so/{code}", timeout=10)
    assert f'id="chuyen-{status}"' in page.text, page.text
    fields = {**parse_form(page.text).fields, "status": str(status), "content": content}
    fields["expected"] = re.search(r'name="expected" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    return requests.post(
        f"{server.url}/ho-so/{code}/trang-thai", data=fields, allow_redirects=False, timeout=30
    )


# --- receiving dossiers ---------------------------------------------------------------------------------------


def test_a_signed_delivery_is_stored_and_answered_202(onestop: OnestopServer) -> None:
    body = national()
    response = deliver(onestop, body)
    assert response.status_code == 202
    assert response.json() == {"error_code": "00", "MaHoSo": body["MaHoSo"]}
    stored = onestop.dossiers()[body["MaHoSo"]]
    assert stored["national"] == body and stored["status"] == 1 and stored["origin"] == "portal"


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param({"secret": "whsec_" + "QUJD" * 11}, id="another-secret"),
        pytest.param({"data": b'{"MaHoSo": "UBND-01-261123-9999", "ChuHoSo": "Ai khac"}'}, id="body-changed"),
    ],
)
def test_a_delivery_not_signed_with_the_shared_secret_is_refused_and_not_stored(
    onestop: OnestopServer, spoil: dict[str, Any]
) -> None:
    body = national()
    response = deliver(onestop, body, **spoil)
    assert response.status_code == 401 and response.json()["error_code"] == "01"
    assert onestop.dossiers() == {}


def test_a_delivery_of_another_key_id_is_refused(onestop: OnestopServer) -> None:
    raw = json.dumps(national()).encode()
    headers = {**signing.sign(SECRET, "m-1", raw), "x-dvc-key-id": "sandbox-onestop-hcm"}
    assert requests.post(f"{onestop.url}/dossiers", data=raw, headers=headers, timeout=10).status_code == 401


def test_the_same_delivery_again_is_stored_once_and_answered_200(onestop: OnestopServer) -> None:
    body = national()
    assert deliver(onestop, body).status_code == 202
    again = deliver(onestop, {**body, "ChuHoSo": "Đổi tên"})  # same webhook-id
    other_id = deliver(onestop, {**body, "ChuHoSo": "Đổi tên"}, "another-message")  # same MaHoSo
    assert again.status_code == other_id.status_code == 200 and again.json()["duplicate"] is True
    stored = onestop.dossiers()[body["MaHoSo"]]
    assert stored["deliveries"] == 3 and stored["national"]["ChuHoSo"] == "Nguyễn Văn An"
    assert stored["webhook_ids"] == sorted([body["MaHoSo"], "another-message"])


def test_attachments_are_downloaded_and_a_failed_download_is_shown(
    onestop: OnestopServer, portal: FakePortal
) -> None:
    content = b"%PDF-1.4 giay chung sinh"
    portal.files["/api/v1/agency/documents/abc"] = content
    body = national(
        TaiLieuNop=[
            {
                "TenTepDinhKem": "Giấy chứng sinh",
                "MaThanhPhanHoSo": "GCS",
                "DuongDanTaiTep": portal.url + "/api/v1/agency/documents/abc",
            },
            {
                "TenTepDinhKem": "Tờ khai",
                "MaThanhPhanHoSo": "TK",
                "DuongDanTaiTep": "/api/v1/agency/documents/gone",
            },
            {"TenTepDinhKem": "Bản sao", "MaThanhPhanHoSo": "BS"},
        ]
    )
    assert deliver(onestop, body).status_code == 202

    def attachments() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = onestop.dossiers()[body["MaHoSo"]]["attachments"]
        return found

    wait_for(lambda: all(not a["pending"] for a in attachments()), what="every download")
    first, second, third = attachments()
    assert (first["size"], first["sha256"], first["error"]) == (
        len(content),
        hashlib.sha256(content).hexdigest(),
        None,
    )
    assert second["sha256"] is None and "404" in second["error"]  # the relative address is the portal's
    assert third["error"] is None and third["sha256"] is None  # no address: nothing to fetch
    page = requests.get(f"{onestop.url}/ho-so/{body['MaHoSo']}", timeout=10).text
    assert "Không tải được" in page and hashlib.sha256(content).hexdigest() in page
    link = re.search(r'href="(/ho-so/[^"]+/tep/\d+)"', page)
    assert link and requests.get(onestop.url + link.group(1), timeout=10).content == content


# --- status changes pushed to the portal -----------------------------------------------------------------------


def test_each_status_an_officer_sets_is_pushed_to_the_portal_signed_and_in_order(
    onestop: OnestopServer, portal: FakePortal
) -> None:
    body = national()
    deliver(onestop, body)
    code = body["MaHoSo"]
    for status, content in ((2, ""), (5, "Bổ sung bản sao giấy chứng sinh"), (4, ""), (6, "")):
        response = officer_click(onestop, code, status, content)
        assert response.status_code == 303, response.text
    wait_for(lambda: len(portal.events()) == 4, what="four events")
    events = portal.events()
    assert [e["status"] for e in events] == [2, 5, 4, 6]
    assert all(verified(r) for r in portal.posts())
    first, supplement = events[0], events[1]
    assert first["dossier_code"] == code and first["occurred_at"].endswith("+07:00")
    assert (
        first["step"]["actor_name"]
        and first["step"]["unit"]
        and first["step"]["content"] == "Tiếp nhận hồ sơ"
    )
    assert first["step"]["due_at"] == "2026-11-25T17:00:00+07:00"
    assert supplement["step"]["content"] == "Bổ sung bản sao giấy chứng sinh"
    assert supplement["step"]["started_at"] == first["occurred_at"]
    assert "dossier" not in first  # the portal has the dossier already
    assert len({e["id"] for e in events}) == 4
    assert onestop.dossiers()[code]["status"] == 6


def test_a_status_that_does_not_follow_or_lacks_its_reason_is_refused(onestop: OnestopServer) -> None:
    body = national()
    deliver(onestop, body)
    assert advance(onestop, body["MaHoSo"], 9).status_code == 409  # not from "submitted"
    assert advance(onestop, "KHONG-CO", 2).status_code == 404
    refused = officer_click(onestop, body["MaHoSo"], 3, "")
    assert refused.status_code == 400 and "Cần ghi rõ nội dung" in refused.text
    assert onestop.dossiers()[body["MaHoSo"]]["status"] == 1


def test_an_officer_form_without_the_pages_token_is_refused(onestop: OnestopServer) -> None:
    body = national()
    deliver(onestop, body)
    response = requests.post(
        f"{onestop.url}/ho-so/{body['MaHoSo']}/trang-thai",
        data={"status": "2"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 403 and onestop.dossiers()[body["MaHoSo"]]["status"] == 1


def test_the_result_is_pushed_as_a_signed_pdf_before_the_status_that_announces_it(
    onestop: OnestopServer, portal: FakePortal
) -> None:
    from pypdf import PdfReader

    body = national()
    deliver(onestop, body)
    code = body["MaHoSo"]
    for status in (2, 4, 9):
        assert advance(onestop, code, status).status_code == 200
    wait_for(lambda: len(portal.posts()) == 4, what="three events and a result")
    paths = [r.path for r in portal.posts()]
    assert paths[2] == f"/api/v1/agency/dossiers/{code}/results" and paths[3].endswith("/status-events")
    upload = portal.posts()[2]
    verified(upload)  # over the raw multipart bytes
    assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="name"' in upload.body and f"Kết quả giải quyết hồ sơ {code}".encode() in upload.body
    assert b'name="code"' in upload.body and f"KQ-{code}".encode() in upload.body
    pdf = requests.get(f"{onestop.url}/ho-so/{code}/ket-qua.pdf", timeout=10)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content in upload.body
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert code in text and "KHÔNG CÓ GIÁ TRỊ PHÁP LÝ" in text and "Nguyễn Văn An" in text
    assert advance(onestop, code, 10).status_code == 200
    assert onestop.dossiers()[code]["result"] == {
        "name": f"Kết quả giải quyết hồ sơ {code}",
        "code": f"KQ-{code}",
    }


def test_while_the_portal_is_down_pushes_wait_in_order_and_nothing_is_lost(
    onestop: OnestopServer, portal: FakePortal
) -> None:
    portal.status = 503
    body = national()
    deliver(onestop, body)
    for status in (2, 4):
        advance(onestop, body["MaHoSo"], status)
    wait_for(lambda: onestop.state()["pushes"]["queue"][0]["attempts"] >= 1, what="a failed attempt")
    page = requests.get(onestop.url, timeout=10).text
    assert "2 cập nhật đang chờ gửi" in page and "503" in page

    portal.status = 202
    first = onestop.state()["pushes"]["queue"]
    assert [p["kind"] for p in first] == ["event", "event"]
    # "Gửi lại ngay" rather than waiting for the back-off.
    fields = parse_form(page).fields
    push_id = re.search(r'action="/gui-lai/(\d+)"', page).group(1)  # type: ignore[union-attr]
    assert requests.post(f"{onestop.url}/gui-lai/{push_id}", data=fields, timeout=10).status_code == 200
    wait_for(lambda: onestop.state()["pushes"].get("pending", 0) == 0, what="the queue drained")
    tried = [e["status"] for e in portal.events()]  # each try, refused ones included
    assert tried[-2:] == [2, 4] and 4 not in tried[:-1]  # 4 never went before 2 was taken
    assert "Mọi cập nhật đã được gửi" in requests.get(onestop.url, timeout=10).text


def test_a_push_the_portal_refuses_is_kept_and_can_be_sent_again(
    onestop: OnestopServer, portal: FakePortal
) -> None:
    portal.status = 422
    body = national()
    deliver(onestop, body)
    advance(onestop, body["MaHoSo"], 2)
    advance(onestop, body["MaHoSo"], 4)
    wait_for(lambda: onestop.state()["pushes"].get("failed") == 2, what="two refusals")  # the queue went on
    page = requests.get(onestop.url, timeout=10).text
    assert "2 bị Cổng từ chối" in page
    portal.status = 202
    for push_id in re.findall(r'action="/gui-lai/(\d+)"', page):
        requests.post(f"{onestop.url}/gui-lai/{push_id}", data=parse_form(page).fields, timeout=10)
    wait_for(lambda: onestop.state()["pushes"].get("sent") == 2, what="both sent again")


def test_an_event_the_portal_rejects_in_its_answer_is_kept_as_refused(
    onestop: OnestopServer, portal: FakePortal
) -> None:
    body = national()
    deliver(onestop, body)
    reason = "Hồ sơ không thuộc các cơ quan của hệ thống gửi."
    portal.body = {"results": [{"outcome": "rejected", "dossier_code": body["MaHoSo"], "message": reason}]}
    advance(onestop, body["MaHoSo"], 2)
    wait_for(lambda: onestop.state()["pushes"].get("failed") == 1, what="the refusal")
    assert reason in requests.get(onestop.url, timeout=10).text


# --- counter dossiers --------------------------------------------------------------------------------------------


def test_a_dossier_received_at_the_counter_gets_a_code_and_goes_to_the_portal_with_its_fields(
    onestop: OnestopServer, portal: FakePortal
) -> None:
    form = requests.get(f"{onestop.url}/tiep-nhan", timeout=10)
    fields = {
        **parse_form(form.text).fields,
        "MaTTHC": "1.000894",
        "TenTTHC": "Đăng ký kết hôn",
        "ChuHoSo": "Trần Thị Mai",
        "MaDoiTuong": "001195012345",
        "SoDienThoai": "0987654321",
        "LoaiDoiTuong": "1",
        "SoNgayHen": "1",
        "LePhi": "0",
    }
    response = requests.post(f"{onestop.url}/tiep-nhan", data=fields, allow_redirects=False, timeout=10)
    assert response.status_code == 303
    code = response.headers["Location"].removeprefix("/ho-so/")
    assert re.fullmatch(r"UBND-01-\d{6}-5001", code), code
    wait_for(lambda: portal.events(), what="the counter dossier's event")
    [event] = portal.events()
    assert event["status"] == 2 and event["dossier_code"] == code
    record = event["dossier"]
    assert record["MaHoSo"] == code and record["DonViXuLy"] == "UBND-01" and record["HinhThuc"] == 1
    assert record["ChuHoSo"] == "Trần Thị Mai" and record["MaTTHC"] == "1.000894"
    assert re.fullmatch(r"\d{14}", record["NgayTiepNhan"]) and re.fullmatch(r"\d{14}", record["NgayHenTra"])
    second = requests.post(f"{onestop.url}/tiep-nhan", data=fields, allow_redirects=False, timeout=10)
    assert second.headers["Location"].endswith("-5002")


def test_a_counter_form_with_mistakes_is_shown_again_with_the_reason(onestop: OnestopServer) -> None:
    form = requests.get(f"{onestop.url}/tiep-nhan", timeout=10)
    fields = {
        **parse_form(form.text).fields,
        "MaTTHC": "khai sinh",
        "TenTTHC": "Đăng ký khai sinh",
        "ChuHoSo": "An",
    }
    response = requests.post(f"{onestop.url}/tiep-nhan", data=fields, timeout=10)
    assert response.status_code == 400 and "Mã thủ tục có dạng" in response.text
    assert 'value="Đăng ký khai sinh"' in response.text and onestop.dossiers() == {}


# --- persistence, automatic mode, controls, pages ----------------------------------------------------------------


def test_a_restart_keeps_the_dossiers_and_the_pushes_not_yet_sent(tmp_path: Path, portal: FakePortal) -> None:
    portal.status = 503
    directory = tmp_path / "onestop"
    body = national()
    with running_onestop(directory, SANDBOX_ONESTOP_PORTAL_URL=portal.url) as first:
        deliver(first, body)
        advance(first, body["MaHoSo"], 2)
    portal.status = 202
    with running_onestop(directory, SANDBOX_ONESTOP_PORTAL_URL=portal.url) as second:
        assert second.dossiers()[body["MaHoSo"]]["status"] == 2
        wait_for(
            lambda: second.state()["pushes"].get("sent") == 1, timeout=30, what="the push sent after restart"
        )
        assert deliver(second, body).status_code == 200  # still known after the restart
    assert [e["status"] for e in portal.events()][-1] == 2


def test_in_automatic_mode_a_new_dossier_is_accepted_processed_finished_and_returned(
    tmp_path: Path, portal: FakePortal
) -> None:
    env = {
        "SANDBOX_ONESTOP_PORTAL_URL": portal.url,
        "SANDBOX_ONESTOP_AUTO": "true",
        "SANDBOX_ONESTOP_AUTO_DELAY": "0.1",
    }
    with running_onestop(tmp_path / "onestop", **env) as server:
        body = national()
        deliver(server, body)
        wait_for(lambda: server.dossiers()[body["MaHoSo"]]["status"] == 10, timeout=30, what="status 10")
        wait_for(lambda: len(portal.posts()) == 5, timeout=30, what="four events and a result")
    assert [e["status"] for e in portal.events()] == [2, 4, 9, 10]


def test_an_outage_answers_deliveries_with_the_status_asked_for(onestop: OnestopServer) -> None:
    assert onestop.control("outage", down=True, status=502) == {"down": True, "status": 502}
    body = national()
    response = deliver(onestop, body)
    assert response.status_code == 502 and onestop.dossiers() == {}
    onestop.control("outage", down=False)
    assert deliver(onestop, body).status_code == 202
    state = onestop.state()
    assert state["requests_seen"] == 2 and state["dossiers"][0]["deliveries"] == 1


def test_a_slow_system_answers_after_the_delay(onestop: OnestopServer) -> None:
    onestop.control("slow", seconds=0.5)
    response = deliver(onestop, national())
    assert response.status_code == 202 and response.elapsed.total_seconds() >= 0.5


def test_the_test_controls_take_only_json(onestop: OnestopServer) -> None:
    # A form on another site cannot send JSON, so it cannot cause an outage.
    response = requests.post(f"{onestop.url}/_sandbox/outage", data={"down": "true"}, timeout=10)
    assert response.status_code == 415 and onestop.state()["down"] is False


def test_every_page_says_it_is_a_sandbox(onestop: OnestopServer) -> None:
    body = national()
    deliver(onestop, body)
    for path in ("/", "/tiep-nhan", f"/ho-so/{body['MaHoSo']}", "/ho-so/KHONG-CO", "/khong-co"):
        page = requests.get(onestop.url + path, timeout=10)
        assert LABEL in page.text, path
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    home = requests.get(onestop.url, timeout=10).text
    assert body["MaHoSo"] in home and "Mới đăng ký" in home and "Tiếp nhận hồ sơ tại quầy" in home


# --- with the portal ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_whole_round_trip_with_the_portal(live_server: Any, tmp_path: Path, settings: Any) -> None:
    """Submitted on the portal, delivered by the outbox, its document fetched through the signed link; then every
    status the officer sets, and the result file, land on the portal's dossier."""
    from dichvucong.core import outbox
    from dichvucong.core.models import OutboxMessage
    from dichvucong.dossiers.demo import load_demo_integrations
    from dichvucong.dossiers.models import DossierDocument, DossierEvent
    from tests.sandboxes.onestop import DOCUMENT, submit_dossier

    settings.OUTBOX_DISPATCH = "none"
    settings.PORTAL_BASE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    with running_onestop(tmp_path / "onestop", SANDBOX_ONESTOP_PORTAL_URL=live_server.url) as server:
        settings.SANDBOX_ONESTOP_URL = server.url
        load_demo_integrations()
        dossier = submit_dossier(with_document=True)
        assert outbox.deliver(OutboxMessage.objects.get(topic="dossiers.deliver", key=dossier.code).pk)

        def attachment() -> dict[str, Any]:
            found: dict[str, Any] = server.dossiers()[dossier.code]["attachments"][0]
            return found

        wait_for(lambda: not attachment()["pending"], what="the document downloaded from the portal")
        assert attachment()["sha256"] == hashlib.sha256(DOCUMENT).hexdigest(), attachment()

        for status in (2, 4, 9, 10):
            assert advance(server, dossier.code, status).status_code == 200
        wait_for(lambda: server.state()["pushes"].get("sent") == 5, timeout=30, what="every push taken")
        assert server.state()["pushes"].get("failed") is None

    dossier.refresh_from_db()
    assert dossier.status == 10 and dossier.delivered_at is not None and dossier.returned_at is not None
    steps = DossierEvent.objects.filter(dossier=dossier, source=DossierEvent.Source.API).order_by(
        "occurred_at"
    )
    assert [e.status for e in steps] == [2, 4, 9, 10]
    assert steps[0].actor_name == "Trần Thị Thu Hà" and steps[0].unit.startswith("Trung tâm Phục vụ")
    [result] = DossierDocument.objects.filter(dossier=dossier, kind=DossierDocument.Kind.RESULT)
    assert result.code == f"KQ-{dossier.code}" and result.document.content_type == "application/pdf"
