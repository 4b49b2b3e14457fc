"""Acceptance 3 of issue 7, in a browser: Hà Nội's one-stop system (sandbox-onestop, a real process) is switched to
fail on its own page; real deliveries of dossiers fail; the operator signs in with their second factor, sees the
integration red on the health board (with the reason in words), opens the alert, runs the test console against
it (the failure and the system's answer shown), switches the system back to working, sends again (success
shown), and sees the board green and the alert closed. No serious or critical axe-core violation on any back-office
page visited."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import screenshot, serious_violations
from tests.browser.test_feedback_flow import TOTP_KEYS, staff_sign_in, totp_device
from tests.sandboxes.onestop import running_onestop, submit_dossier

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page: Any, name: str) -> None:
    violations = serious_violations(page)
    assert not violations, f"{page.url}: {violations}"
    screenshot(page, f"monitoring-{name}")


def badge(page: Any, integration_id: int) -> str:
    return str(page.locator(f'tr[data-integration="onestop-{integration_id}"] .badge').inner_text()).strip()


def test_an_operator_sees_a_failing_integration_turn_red_tests_it_and_sees_it_recover(
    live_server: Any, browser: Any, settings: Any, tmp_path: Path
) -> None:
    from dichvucong.core import outbox
    from dichvucong.core.models import AuditEvent, OutboxMessage
    from dichvucong.dossiers.demo import SANDBOX_ONESTOP_KEY_ID, load_demo_integrations
    from dichvucong.dossiers.models import AgencyIntegration, Notification
    from dichvucong.dossiers.services import DELIVER_TOPIC
    from dichvucong.monitoring.models import IntegrationAlert, IntegrationCall
    from tests.conftest import make_operator

    settings.OUTBOX_DISPATCH = "none"
    settings.PORTAL_BASE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    operator = make_operator()
    totp_device(operator, TOTP_KEYS["operator"])

    with running_onestop(tmp_path / "onestop", SANDBOX_ONESTOP_PORTAL_URL=base) as onestop:
        settings.SANDBOX_ONESTOP_URL = onestop.url
        load_demo_integrations()
        system = AgencyIntegration.objects.get(key_id=SANDBOX_ONESTOP_KEY_ID)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
        page = context.new_page()

        # (1) The agency's system fails: switched on its own page.
        page.goto(onestop.url)
        page.get_by_role("button", name="Bật giả lập sự cố").click()
        page.wait_for_url(re.compile(r"\?ok=su-co"))
        assert onestop.state()["down"] is True

        # (2) Real deliveries of three dossiers fail (the outbox keeps them for later).
        dossiers = [submit_dossier("UBND-01") for _ in range(3)]
        for dossier in dossiers:
            message = OutboxMessage.objects.get(topic=DELIVER_TOPIC, key=dossier.code)
            assert not outbox.deliver(message.pk, now=datetime.now(UTC))
        assert IntegrationCall.objects.filter(ok=False).count() == 3

        # (3) The operator signs in with the second factor and sees the integration red, with the reason.
        staff_sign_in(page, base, "quantri", TOTP_KEYS["operator"])
        page.goto(f"{base}/quan-tri/monitoring/integrationalert/")
        page.get_by_role("link", name="Tình trạng các kết nối").click()
        page.wait_for_url(re.compile(r"/suc-khoe/$"))
        assert badge(page, system.pk) == "Sự cố"
        row = page.locator(f'tr[data-integration="onestop-{system.pk}"]').inner_text()
        assert "3 lần trao đổi liên tiếp thất bại (gửi đi)" in row
        page.get_by_role("button", name="Đánh giá và cập nhật cảnh báo ngay").click()
        page.wait_for_load_state()
        assert "mở 1 cảnh báo" in page.locator("#content").inner_text() or "mở 1 cảnh báo" in page.content()
        alert = IntegrationAlert.objects.get()
        assert alert.is_open
        assert Notification.objects.filter(
            user=operator, key__startswith=f"monitoring:{alert.pk}:open"
        ).exists()
        check(page, "1-board-red")

        # (4) The test console against the failing system: the failure and its answer are shown.
        page.get_by_role("link", name=system.name).click()
        page.wait_for_url(re.compile(rf"/suc-khoe/onestop/{system.pk}/$"))
        assert page.locator("#trang-thai .badge").inner_text().strip() == "Sự cố"
        page.locator("#id_sample").select_option("dossier")
        page.get_by_role("button", name="Gửi thử").click()
        page.wait_for_load_state()
        result = page.locator("#ket-qua")
        assert "Gửi không thành công" in result.inner_text()
        assert page.locator("#ket-qua-ma").inner_text().strip() == "503"
        assert "bảo trì" in result.inner_text()  # the system's own answer
        check(page, "2-console-failed")

        # (5) The agency's system is switched back to working, on its page.
        sandbox_page = context.new_page()
        sandbox_page.goto(onestop.url)
        sandbox_page.get_by_role("button", name="Tắt giả lập sự cố").click()
        sandbox_page.wait_for_url(re.compile(r"\?ok=binh-thuong"))
        assert onestop.state()["down"] is False
        sandbox_page.close()

        # (6) The console again: success, with the request sent and the answer; the sandbox kept it as a test.
        page.locator("#id_sample").select_option("dossier")
        page.get_by_role("button", name="Gửi thử").click()
        page.wait_for_load_state()
        result = page.locator("#ket-qua")
        assert "Gửi thành công" in result.inner_text()
        assert page.locator("#ket-qua-ma").inner_text().strip() == "200"
        assert "x-dvc-test: 1" in result.inner_text() and "webhook-signature" in result.inner_text()
        assert page.locator("#trang-thai .badge").inner_text().strip() == "Bình thường"
        state = onestop.state()
        assert state["tests"] and state["tests"][0]["kind"] == "dossier"
        assert not any(d["MaHoSo"].startswith("TEST-") for d in state["dossiers"])
        check(page, "3-console-ok")

        # (7) The board is green again, and the evaluation closes the alert.
        page.get_by_role("link", name="Tình trạng các kết nối").click()
        page.wait_for_url(re.compile(r"/suc-khoe/$"))
        assert badge(page, system.pk) == "Bình thường"
        page.get_by_role("button", name="Đánh giá và cập nhật cảnh báo ngay").click()
        page.wait_for_load_state()
        assert "đóng 1 cảnh báo" in page.content()
        assert badge(page, system.pk) == "Bình thường"
        check(page, "4-board-green")
        alert.refresh_from_db()
        assert alert.closed_at is not None
        assert Notification.objects.filter(
            user=operator, key__startswith=f"monitoring:{alert.pk}:closed"
        ).exists()
        sends = AuditEvent.objects.filter(action="monitoring.console_sent", actor_id=operator.pk)
        assert [e.detail["ok"] for e in sends.order_by("id")] == [False, True]
        context.close()
