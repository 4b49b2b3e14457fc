"""Acceptance 2 of the identity issue: single sign-on and single sign-out, seen in a browser.

A citizen signs in to the portal with VNeID (sandbox-idp), then to a province's portal (sandbox-rp) without
typing a password again; signing out once at the portal signs them out of the province's portal too
(back-channel logout), and, in a second round, signing out at the province's portal signs them out of the
national one (RP-initiated logout). One browser context throughout, 360 px wide, with no serious or critical
axe-core violation on the pages visited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import screenshot, serious_violations
from tests.sandboxes.processes import register_rp, running_rp, sandbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CITIZEN_ID = "001085012345"  # Nguyễn Văn An in sandboxes/idp/citizens.json, level 2
NAME = "Nguyễn Văn An"
PASSWORD = "VNeID@2026"


@dataclass
class Demo:
    portal: str
    idp: str
    rp: str


@pytest.fixture
def demo(live_server: Any, settings: Any, tmp_path: Path) -> Iterator[Demo]:
    """The portal (live server) signing in with sandbox-idp, and sandbox-rp registered as its relying party."""
    env = {"SANDBOX_IDP_KEY_FILE": str(tmp_path / "idp-key.pem")}
    with sandbox("sandboxes.idp", env, log_file=tmp_path / "idp.log") as (_idp, idp_url):
        settings.IDP_ISSUER = idp_url
        with running_rp(f"{live_server.url}/oidc", log_file=tmp_path / "rp.log") as rp_url:
            register_rp(rp_url)
            yield Demo(portal=live_server.url, idp=idp_url, rp=rp_url)


def no_serious_violations(page: Any) -> None:
    violations = serious_violations(page)
    assert not violations, f"{page.url}: {violations}"


def account_link(page: Any) -> Any:
    return page.get_by_role("link", name=f"Tài khoản: {NAME}")


def assert_portal_signed_out(page: Any, demo: Demo) -> None:
    page.goto(f"{demo.portal}/tai-khoan/")
    page.wait_for_url(re.compile(re.escape(f"{demo.portal}/dang-nhap/")))
    assert account_link(page).count() == 0


def sign_in_at_portal_with_vneid(page: Any, demo: Demo, *, type_password: bool) -> None:
    page.goto(f"{demo.portal}/dang-nhap/")
    if type_password:
        no_serious_violations(page)
        screenshot(page, "sso-1-portal-sign-in")
    page.get_by_role("link", name="Đăng nhập bằng VNeID").click()
    if type_password:
        page.wait_for_url(re.compile(re.escape(f"{demo.idp}/authorize")))
        page.locator("#citizen_id").fill(CITIZEN_ID)
        page.locator("#password").fill(PASSWORD)
        screenshot(page, "sso-2-vneid-sandbox")
        page.get_by_role("button", name="Đăng nhập", exact=True).click()
    # Without a password the identity provider answers at once from its own session.
    page.wait_for_url(f"{demo.portal}/tai-khoan/")
    assert account_link(page).is_visible()


def sign_in_at_rp(page: Any, demo: Demo, *, consent: bool) -> None:
    page.goto(f"{demo.rp}/")
    if consent:
        no_serious_violations(page)
        screenshot(page, "sso-4-rp-signed-out")
    page.locator("#dang-nhap").click()
    if consent:
        page.wait_for_url(re.compile(re.escape(f"{demo.portal}/oidc/authorize/")))
        assert page.locator("#password").count() == 0  # asked to share, not to sign in again
        no_serious_violations(page)
        screenshot(page, "sso-5-portal-consent")
        page.locator("#cho-phep").click()
    page.wait_for_url(f"{demo.rp}/")
    assert page.locator("#xin-chao").inner_text() == f"Xin chào, {NAME}"


def test_one_sign_in_for_the_province_portal_and_one_sign_out_for_both(demo: Demo, page: Any) -> None:
    # (1) Sign in at the portal with VNeID.
    sign_in_at_portal_with_vneid(page, demo, type_password=True)
    no_serious_violations(page)
    screenshot(page, "sso-3-portal-signed-in")

    # (2) The province's portal: one consent, no password.
    sign_in_at_rp(page, demo, consent=True)
    assert "001******345" in page.locator("main").inner_text()
    assert CITIZEN_ID not in page.content()
    no_serious_violations(page)
    screenshot(page, "sso-6-rp-signed-in")

    # (3) Sign out once, at the portal: the province's portal is signed out too.
    page.goto(f"{demo.portal}/tai-khoan/")
    page.locator("#dang-xuat").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Bạn đã đăng xuất"
    no_serious_violations(page)
    screenshot(page, "sso-7-portal-signed-out")
    page.goto(f"{demo.rp}/")
    page.reload()
    assert page.locator("#dang-nhap").is_visible()
    assert page.locator("#xin-chao").count() == 0
    screenshot(page, "sso-8-rp-signed-out-by-portal")
    assert_portal_signed_out(page, demo)

    # (4) The other direction: sign in again (no password anywhere), sign out at the province's portal.
    sign_in_at_portal_with_vneid(page, demo, type_password=False)
    sign_in_at_rp(page, demo, consent=False)
    page.locator("#dang-xuat").click()
    page.wait_for_url(re.compile(re.escape(f"{demo.rp}/?state=")))
    assert page.locator("#dang-nhap").is_visible()
    assert "Bạn đã đăng xuất" in page.get_by_role("status").inner_text()
    no_serious_violations(page)
    screenshot(page, "sso-9-rp-signed-out-at-rp")
    assert_portal_signed_out(page, demo)
    screenshot(page, "sso-10-portal-signed-out-by-rp")
