"""Acceptance 1 of the payment platform, in Chromium at a phone's width: a citizen looks up a traffic fine by its
decision number, pays it through sandbox-bank (VNPAY-like: card, then OTP), comes back to the portal, which shows
the payment only once the bank's signed notification (IPN) has confirmed it, downloads the receipt (PDF with its
verification code), checks it on the public receipt page; and the sandbox traffic-police system receives the
signed webhook of the paid bill. No serious or critical axe-core violation on any portal page visited."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import screenshot, serious_violations
from tests.sandboxes.bank import CARD_OK, OTP, running_bank, vnpay_provider
from tests.sandboxes.billers import portal_biller, running_billers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "0912345678"
DECISION = "123/QĐ-XPHC"


def check(page: Any, name: str) -> None:
    violations = serious_violations(page)
    assert not violations, f"{page.url}: {violations}"
    screenshot(page, f"payment-{name}")


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def test_a_citizen_pays_a_traffic_fine_and_the_police_system_is_told(
    live_server: Any, page: Any, tmp_path: Path, settings: Any, _sms_in_memory: list[Any]
) -> None:
    from dichvucong.core import outbox
    from dichvucong.payments.models import BillStatus, OrderStatus, PaymentOrder
    from tests.conftest import PASSWORD, make_citizen

    base = live_server.url
    settings.OUTBOX_DISPATCH = (
        "none"  # the test delivers the webhook with outbox.deliver_due(), in this process
    )
    settings.PORTAL_BASE_URL = base
    make_citizen(phone=PHONE, username=PHONE, full_name="Nguyễn Văn An")
    ipn_url = f"{base}/thanh-toan/tb/ipn/sandbox-vnpay/"
    with (
        running_billers(tmp_path / "billers") as billers,
        running_bank(
            tmp_path / "bank", SANDBOX_BANK_PORTAL_URL=base, SANDBOX_BANK_VNPAY_IPN_URL=ipn_url
        ) as bank,
    ):
        portal_biller(billers, "csgt")  # Hà Nội police's fine system, as the demo registers it
        vnpay_provider(bank.url).save()

        # (1) Sign in (phone, password, SMS code), then look the fine up by its decision number.
        page.goto(f"{base}/dang-nhap/?next=/thanh-toan/")
        page.locator("#phone").fill(PHONE)
        page.locator("#password").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập", exact=True).click()
        page.wait_for_url(re.compile(r"/dang-nhap/ma-xac-thuc/"))
        code = re.search(r"\b(\d{6})\b", _sms_in_memory[-1].text).group(1)  # type: ignore[union-attr]
        page.locator("#code").fill(code)
        page.locator("form button[type=submit]").click()
        page.wait_for_url(f"{base}/thanh-toan/")
        check(page, "1-home")
        page.select_option("#nhom", "fine")
        page.locator("#ma").fill("123/qđ-xphc")  # typed carelessly: the code is matched all the same
        page.locator("#nut-tra-cuu").click()
        page.wait_for_url(re.compile(r"/thanh-toan/khoan/"))
        main = page.locator("main").inner_text()
        assert DECISION in main and "2.000.000" in main and "30A-123.45" in main
        check(page, "2-bill")

        # (2) Pay through sandbox-bank: card, then the one-time code.
        page.locator("#to-chuc-sandbox-vnpay").check()
        page.locator("#nut-thanh-toan").click()
        page.wait_for_url(re.compile(re.escape(bank.url) + r"/paymentv2/"))
        assert "2.000.000" in page.locator("body").inner_text()
        screenshot(page, "payment-3-bank")
        page.select_option("#bank", "NCB")
        page.locator("#card_number").fill(CARD_OK)
        page.locator("#card_holder").fill("NGUYEN VAN A")  # the test card's holder
        page.locator("#issued").fill("07/15")
        page.locator("#tiep-tuc").click()
        page.locator("#otp").fill(OTP)
        bank.control(ipn_hold=True)  # the bank's notification waits until the payer is back on the portal
        page.locator("#thanh-toan").click()

        # (3) Back on the portal: the return alone confirms nothing; the bank's signed notification does.
        page.wait_for_url(re.compile(r"/thanh-toan/lenh/TT\d+/"))
        page.locator("#dang-cho").wait_for()
        assert PaymentOrder.objects.get().status == OrderStatus.PENDING
        check(page, "3b-waiting")
        assert bank.release() == 1
        page.locator("#thanh-cong").wait_for(timeout=30_000)
        # On SQLite the live server's threads share one connection, so a poll may see the order paid before the
        # notification's transaction has written the receipt (another connection never could): read the page again.
        page.reload()
        order = PaymentOrder.objects.get()
        assert order.status == OrderStatus.PAID and order.bill.status == BillStatus.PAID
        assert any(a["acknowledged"] for ipn in bank.ipns(order.reference) for a in ipn["attempts"])
        number = page.locator("#so-bien-lai").inner_text().strip()
        verification = page.locator("#ma-xac-thuc").inner_text().strip()
        check(page, "4-paid")

        # (4) The receipt: a PDF with its number and verification code; anyone can check it by the code.
        with page.expect_download() as info:
            page.locator("#tai-bien-lai").click()
        target = tmp_path / info.value.suggested_filename
        info.value.save_as(target)
        text = pdf_text(target.read_bytes())
        assert number in text and verification in text and "2.000.000" in text
        page.goto(f"{base}/bien-lai/?ma={verification}")
        assert number in page.locator("main").inner_text()
        check(page, "5-receipt-check")

        # (5) The traffic-police system receives the signed webhook of the paid fine, once.
        assert outbox.deliver_due() >= 1
        [webhook] = [w for w in billers.webhooks("csgt") if w["webhook_id"] == f"payment-{order.reference}"]
        assert webhook["verified"] and webhook["bill_reference"] == DECISION
        assert billers.bills("csgt")[DECISION]["status"] == "paid"

        # (6) The payment history lists it.
        page.goto(f"{base}/thanh-toan/lich-su/")
        assert order.reference in page.locator("main").inner_text()
        check(page, "6-history")
