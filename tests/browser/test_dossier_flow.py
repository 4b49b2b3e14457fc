"""Acceptance of the online dossiers issue, in a browser 360 px wide: a citizen signs in with their phone number,
submits a birth registration step by step (one mistake on the way, shown and corrected), attaches a real PDF and a
JPEG, downloads the receipt; sandbox-onestop (a real process) receives the dossier through the outbox and its
documents through signed links, moves it through each status and sends the result back through the agency API;
the citizen sees each status on the timeline, downloads the result, rates the handling, and gets the notices.
No serious or critical axe-core violation on any page visited."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import screenshot, serious_violations
from tests.sandboxes.onestop import OnestopServer, running_onestop, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "0912345678"
CHILD = "Nguyễn Minh Khang"
STATUSES = ["Mới đăng ký", "Được tiếp nhận", "Đang xử lý", "Đã xử lý xong", "Đã trả kết quả"]


def no_serious_violations(page: Any) -> None:
    violations = serious_violations(page)
    assert not violations, f"{page.url}: {violations}"


def check(page: Any, name: str) -> None:
    no_serious_violations(page)
    screenshot(page, f"dossier-{name}")


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def download(page: Any, locator: Any, directory: Path) -> bytes:
    with page.expect_download() as info:
        locator.click()
    target = directory / info.value.suggested_filename
    info.value.save_as(target)
    return target.read_bytes()


def next_step(page: Any) -> None:
    page.get_by_role("button", name="Tiếp tục", exact=True).click()
    page.wait_for_load_state()


def choose_address(page: Any, field: str, province: str, commune: str) -> None:
    """Province, then the commune list htmx brings for it."""
    page.select_option(f"#f-{field}__province", province)
    page.locator(f"#f-{field}__commune option[value='{commune}']").wait_for(state="attached")
    page.select_option(f"#f-{field}__commune", commune)


def advance(server: OnestopServer, code: str, status: int) -> None:
    import requests

    response = requests.post(
        f"{server.url}/_sandbox/dossiers/{code}/advance", json={"status": status, "content": ""}, timeout=30
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def portal(live_server: Any, settings: Any, tmp_path: Path) -> Any:
    from tests.dossiers.factories import birth_procedure_with_eform, citizen_with_address

    settings.OUTBOX_DISPATCH = "none"  # the test delivers with outbox.deliver_due(), in this process
    settings.PORTAL_BASE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    birth_procedure_with_eform()
    citizen_with_address(phone=PHONE, username=PHONE, full_name="Nguyễn Văn An")
    return live_server


def test_a_citizen_submits_a_birth_registration_and_follows_it_to_the_result(
    portal: Any, page: Any, tmp_path: Path, settings: Any, _sms_in_memory: list[Any]
) -> None:
    from dichvucong.core import outbox
    from dichvucong.dossiers.demo import load_demo_integrations
    from dichvucong.dossiers.models import Dossier, Rating
    from tests.conftest import PASSWORD
    from tests.dossiers.factories import BA_DINH, HA_NOI, NGOC_HA, image_bytes, pdf_bytes

    base = portal.url
    with running_onestop(tmp_path / "onestop", SANDBOX_ONESTOP_PORTAL_URL=base) as onestop:
        settings.SANDBOX_ONESTOP_URL = onestop.url
        load_demo_integrations()  # sandbox-onestop serves UBND-01 and every commune under it

        # (1) Sign in with the phone number and the code sent by SMS.
        page.goto(f"{base}/dang-nhap/?next=/thu-tuc/1.001193/")
        page.locator("#phone").fill(PHONE)
        page.locator("#password").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập", exact=True).click()
        page.wait_for_url(re.compile(r"/dang-nhap/ma-xac-thuc/"))
        code = re.search(r"\b(\d{6})\b", _sms_in_memory[-1].text).group(1)  # type: ignore[union-attr]
        page.locator("#code").fill(code)
        page.locator("form button[type=submit]").click()
        page.wait_for_url(f"{base}/thu-tuc/1.001193/")

        # (2) From the procedure page to the form.
        page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
        page.wait_for_url(re.compile(r"/nop-truc-tuyen/$"))
        check(page, "1-start")
        page.locator("#bat-dau").click()
        page.wait_for_url(re.compile(r"/ho-so-nhap/\d+/buoc-1/$"))
        assert "Bước 1/7" in page.locator("main").inner_text()
        assert page.locator("#f-applicant_name").input_value() == "Nguyễn Văn An"  # from the profile
        assert page.locator(f"#f-applicant_address__commune option[value='{BA_DINH}']").evaluate(
            "o => o.selected"
        )
        page.get_by_label("Cha", exact=True).check()
        check(page, "2-applicant")
        next_step(page)

        # (3) The child: a mistake first, explained next to the field, the focus on the summary.
        page.wait_for_url(re.compile(r"/buoc-2/$"))
        page.locator("#f-child_date_of_birth").fill("31/02/2026")
        next_step(page)
        summary = page.locator("#tom-tat-loi")
        assert summary.is_visible()
        assert page.evaluate("document.activeElement.id") == "tom-tat-loi"
        assert "Vui lòng nhập họ, chữ đệm, tên của trẻ." in summary.inner_text()
        field = page.locator("#f-child_date_of_birth")
        assert field.get_attribute("aria-invalid") == "true"
        assert "f-child_date_of_birth-loi" in (field.get_attribute("aria-describedby") or "")
        check(page, "3-child-errors")
        summary.get_by_role("link", name=re.compile("họ, chữ đệm, tên của trẻ")).click()
        assert page.evaluate("document.activeElement.id") == "f-child_name"
        page.locator("#f-child_name").fill(CHILD)
        page.locator("#f-child_date_of_birth").fill("20/11/2026")
        page.get_by_label("Nam", exact=True).check()
        choose_address(page, "child_birth_place", HA_NOI, NGOC_HA)
        page.locator("#f-child_birth_place__street").fill("Bệnh viện Phụ sản Hà Nội")
        check(page, "4-child")
        next_step(page)

        # (4) The mother, the father, where the birth is registered.
        page.wait_for_url(re.compile(r"/buoc-3/$"))
        page.locator("#f-mother_name").fill("Trần Thị Bình")
        page.locator("#f-mother_date_of_birth").fill("03/04/1995")
        page.locator("#f-mother_id_number").fill("001195012345")
        choose_address(page, "mother_residence", HA_NOI, BA_DINH)
        next_step(page)
        page.wait_for_url(re.compile(r"/buoc-4/$"))
        page.locator("#f-father_name").fill("Nguyễn Văn An")
        page.locator("#f-father_date_of_birth").fill("17/05/1993")
        page.locator("#f-father_id_number").fill("001093054321")
        page.locator("#f-father_id_number").press("Enter")  # Enter in a box goes forward, like "Tiếp tục"
        page.wait_for_load_state()
        page.wait_for_url(re.compile(r"/buoc-5/$"))
        assert page.locator(f"#f-registration_place__commune option[value='{BA_DINH}']").evaluate(
            "o => o.selected"
        )
        page.get_by_label(re.compile("^Tôi cam đoan")).check()
        check(page, "5-registration")
        next_step(page)

        # (5) Documents: a real PDF and a JPEG photo.
        page.wait_for_url(re.compile(r"/giay-to/$"))
        certificate, card = tmp_path / "giay-chung-sinh.pdf", tmp_path / "the-can-cuoc.jpg"
        certificate.write_bytes(pdf_bytes("Giay chung sinh - Nguyen Minh Khang"))
        card.write_bytes(image_bytes("JPEG", (320, 200)))
        page.locator("#tep-doc-2").set_input_files(certificate)
        page.locator("details.optional-slots > summary").click()
        page.locator("#tep-doc-6").set_input_files(card)
        check(page, "6-documents")
        next_step(page)

        # (6) Review, submit, the receipt.
        page.wait_for_url(re.compile(r"/xem-lai/$"))
        main = page.locator("main").inner_text()
        assert CHILD in main and "giay-chung-sinh" in main and "the-can-cuoc" in main
        assert "Ủy ban nhân dân phường Ba Đình" in main
        check(page, "7-review")
        page.locator("#nop").click()
        page.wait_for_url(re.compile(r"/da-nop/$"))
        dossier_code = page.locator("#ma-ho-so").inner_text().strip()
        assert re.fullmatch(rf"UBND-{BA_DINH}-\d{{6}}-0001", dossier_code)
        check(page, "8-submitted")
        receipt = download(page, page.locator("#tai-phieu-tiep-nhan"), tmp_path)
        assert receipt.startswith(b"%PDF") and dossier_code in pdf_text(receipt)

        # (7) The outbox delivers the dossier; sandbox-onestop fetches both documents through signed links.
        assert outbox.deliver_due() >= 1
        dossier = Dossier.objects.get(code=dossier_code)
        assert dossier.delivered_at is not None, list(
            outbox.OutboxMessage.objects.values_list("topic", "attempts", "last_error")
        )

        def fetched() -> bool:
            held = onestop.dossiers().get(dossier_code) or {}
            files = held.get("attachments") or []
            return len(files) == 2 and not any(f["pending"] for f in files)

        wait_for(fetched, what="both documents downloaded by sandbox-onestop")

        # (8) The agency processes it: each status and the result come back through the agency API.
        for status in (2, 4, 9, 10):
            advance(onestop, dossier_code, status)
        wait_for(lambda: onestop.state()["pushes"].get("sent") == 5, timeout=30, what="every push taken")
        dossier.refresh_from_db()
        assert dossier.status == 10

        # (9) The timeline shows each status; the result is downloaded.
        page.goto(f"{base}/ho-so/{dossier_code}/")
        timeline = page.locator("ol.timeline").inner_text()
        positions = [timeline.index(label) for label in STATUSES]
        assert positions == sorted(positions), timeline
        assert page.locator("#trang-thai").inner_text() == "Đã trả kết quả"
        check(page, "9-dossier")
        result = download(page, page.get_by_role("link", name=re.compile("^Tải về")), tmp_path)
        assert result.startswith(b"%PDF") and dossier_code in pdf_text(result)

        # (10) The rating.
        for name in [f"c{n}" for n in range(1, 10)] + ["convenience", "overall"]:
            page.locator(f"label[for='{name}-2']").click()
        page.locator("#nhan-xet").fill("Nhanh, không phải đi lại.")
        page.locator("#gui-danh-gia").click()
        page.wait_for_url(re.compile(rf"/ho-so/{re.escape(dossier_code)}/"))
        assert "Cảm ơn bạn đã đánh giá." in page.locator("main").inner_text()
        assert "18/18 điểm" in page.locator("#khu-danh-gia").inner_text()
        check(page, "10-rated")
        assert Rating.objects.get(dossier=dossier).total == 18

        # (11) Notices: in the header and on their page, and by SMS once the outbox sends them.
        assert page.locator("#thong-bao .nav-count").is_visible()
        page.locator("#thong-bao").click()
        assert f"Hồ sơ {dossier_code}: Đã trả kết quả" in page.locator("main").inner_text()
        check(page, "11-notifications")
        page.get_by_role("link", name="Hồ sơ của tôi").first.click()
        assert dossier_code in page.locator("main").inner_text()
        check(page, "12-my-dossiers")
        page.goto(f"{base}/kho-giay-to/")
        assert "giay-chung-sinh" in page.locator("main").inner_text()
        check(page, "13-document-store")
        outbox.deliver_due()
        texts = [sms.text for sms in _sms_in_memory]
        assert any(dossier_code in text and "Đã xử lý xong" in text for text in texts), texts

    # (12) The public look-up: the same progress, no personal data.
    page.goto(f"{base}/tra-cuu-ho-so/")
    page.locator("#code").fill(dossier_code)
    page.locator("#id_number").fill("001093054321")
    page.get_by_role("button", name="Tra cứu").click()
    found = page.locator(".lookup-result").inner_text()
    assert "Đã trả kết quả" in found and "Nguyễn" not in found and CHILD not in found
    check(page, "14-lookup")
