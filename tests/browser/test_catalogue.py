"""Acceptance 2 of the foundation issue: a person types “cap lai ho chieu” with no diacritics, picks the passport
procedure, reads its documents and fees, and switches to English — on a phone-sized screen, with no serious or
critical axe-core violation on any page visited."""

from __future__ import annotations

from typing import Any

import pytest

from dichvucong.catalogue.demo import load_demo
from tests.browser.conftest import screenshot, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_portal(live_server: Any) -> str:
    load_demo(force=True)
    return str(live_server.url)


def test_citizen_finds_the_passport_procedure_without_diacritics_and_reads_it_in_english(
    demo_portal: str, page: Any
) -> None:
    page.goto(demo_portal + "/")
    assert not serious_violations(page), serious_violations(page)

    box = page.get_by_role("searchbox").first
    box.click()
    page.keyboard.type("cap lai ho chieu")
    page.keyboard.press("Enter")
    page.wait_for_url("**/tim-kiem/**")
    assert not serious_violations(page)
    screenshot(page, "search-cap-lai-ho-chieu")

    page.get_by_role("link", name="hộ chiếu phổ thông").first.click()
    page.wait_for_url("**/thu-tuc/1.001456/**")
    assert page.get_by_role("heading", level=1).inner_text().lower().count("hộ chiếu") == 1
    documents = page.locator("section[aria-labelledby=thanh-phan-ho-so]")
    assert documents.is_visible() and "Tờ khai" in documents.inner_text()
    methods = page.locator("section[aria-labelledby=cach-thuc-thuc-hien]").inner_text()
    assert "200.000" in methods and "160.000" in methods
    assert not serious_violations(page)
    screenshot(page, "procedure-passport-vi")

    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert "passport" in page.get_by_role("heading", level=1).inner_text().lower()
    assert page.locator("html").get_attribute("lang") == "en"
    assert not serious_violations(page)
    screenshot(page, "procedure-passport-en")


def test_keyboard_alone_reaches_search_and_results(demo_portal: str, page: Any) -> None:
    page.goto(demo_portal + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "document.activeElement.textContent || document.activeElement.getAttribute('aria-label')"
    )
    assert focused  # the skip link or the first control takes the focus, visibly labelled
    page.get_by_role("searchbox").first.focus()
    page.keyboard.type("ly lich tu phap")
    page.keyboard.press("Enter")
    page.wait_for_url("**/tim-kiem/**")
    assert "Phiếu lý lịch tư pháp" in page.locator("main").inner_text()
