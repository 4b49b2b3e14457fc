"""Issue 7, the agency officers' back office in a browser: a catalogue editor signs in with the second factor, sees
their agency's overview on the home page, sends a draft version of a procedure for review; the head of the agency
signs in, finds it waiting on their home page, returns it with a reason (the form cannot be sent without one); the editor sees the reason and sends it
again; the head publishes it and the public page shows the new version. No serious or critical axe-core violation
on any back-office page visited."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import screenshot, serious_violations
from tests.browser.test_feedback_flow import TOTP_KEYS, staff_sign_in, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page: Any, name: str) -> None:
    violations = serious_violations(page)
    assert not violations, f"{page.url}: {violations}"
    screenshot(page, f"back-office-{name}")


def test_an_editor_sends_a_draft_for_review_and_the_head_returns_then_publishes_it(
    live_server: Any, browser: Any
) -> None:
    from dichvucong.catalogue import services
    from dichvucong.catalogue.models import Procedure
    from dichvucong.core.models import AuditEvent
    from tests.conftest import make_officer, make_procedure

    make_procedure()
    draft = services.start_revision(code="1.001456")
    Procedure.objects.filter(pk=draft.pk).update(name="Cấp hộ chiếu phổ thông (sửa đổi mẫu tờ khai)")
    editor = make_officer("XNC", username="capnhat-xnc", roles=("catalogue_editor",))
    head = make_officer("XNC", username="lanhdao-xnc", roles=("head",))
    totp_device(editor, TOTP_KEYS["officer"])
    totp_device(head, TOTP_KEYS["operator"])
    base = live_server.url
    change = f"{base}/quan-tri/catalogue/procedure/{draft.pk}/change/"

    editor_page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN").new_page()
    head_page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN").new_page()

    # (1) The editor's home: their agency's overview, with one draft.
    staff_sign_in(editor_page, base, "capnhat-xnc", TOTP_KEYS["officer"])
    editor_page.goto(f"{base}/quan-tri/")
    overview = editor_page.locator("section.overview").inner_text()
    assert "Tổng quan đơn vị" in overview and "Bản nháp" in overview
    check(editor_page, "1-editor-home")

    # (2) The editor sends the draft for review.
    editor_page.goto(change)
    editor_page.get_by_role("link", name="Gửi duyệt").click()
    editor_page.wait_for_url(re.compile(r"/gui-duyet/$"))
    check(editor_page, "2-submit")
    editor_page.get_by_role("button", name="Gửi duyệt").click()
    editor_page.wait_for_url(re.compile(r"/change/$"))
    assert "Đã gửi duyệt thủ tục 1.001456" in editor_page.locator(".messagelist").inner_text()
    assert editor_page.get_by_role("link", name="Duyệt và công bố").count() == 0  # not theirs to publish

    # (3) The head finds it waiting on their home page and returns it with a reason.
    staff_sign_in(head_page, base, "lanhdao-xnc", TOTP_KEYS["operator"])
    head_page.goto(f"{base}/quan-tri/")
    waiting = head_page.locator("section.overview table", has_text="Phiên bản chờ duyệt")
    assert "Cấp hộ chiếu phổ thông (sửa đổi mẫu tờ khai)" in waiting.inner_text()
    check(head_page, "3-head-home")
    waiting.get_by_role("link", name=re.compile(r"^1\.001456 v")).click()
    head_page.get_by_role("link", name="Trả lại để sửa").click()
    reason = head_page.get_by_label("Lý do trả lại")
    head_page.get_by_role("button", name="Trả lại").click()  # no reason: the browser does not send the form
    assert reason.evaluate("field => field.validity.valueMissing") is True
    assert head_page.url.endswith("/tra-lai/") and Procedure.objects.get(pk=draft.pk).status == "review"
    reason.fill("Thiếu mẫu tờ khai TK01 mới ban hành.")
    check(head_page, "4-return")
    head_page.get_by_role("button", name="Trả lại").click()
    head_page.wait_for_url(re.compile(r"/change/$"))

    # (4) The editor sees the reason on the draft and sends it again.
    editor_page.goto(change)
    assert "Thiếu mẫu tờ khai TK01 mới ban hành." in editor_page.locator(".errornote").inner_text()
    editor_page.get_by_role("link", name="Gửi duyệt").click()
    editor_page.get_by_role("button", name="Gửi duyệt").click()
    editor_page.wait_for_url(re.compile(r"/change/$"))

    # (5) The head publishes it; the public page shows the new version.
    head_page.goto(change)
    head_page.get_by_role("link", name="Duyệt và công bố").click()
    check(head_page, "5-publish")
    head_page.get_by_role("button", name="Công bố").click()
    head_page.wait_for_url(re.compile(r"/change/$"))
    assert Procedure.objects.get(pk=draft.pk).status == "published"
    head_page.goto(f"{base}/thu-tuc/1.001456/")
    assert "Cấp hộ chiếu phổ thông (sửa đổi mẫu tờ khai)" in head_page.locator("h1").inner_text()

    actions = list(
        AuditEvent.objects.filter(object_id=str(draft.pk), action__startswith="catalogue.")
        .order_by("at", "id")
        .values_list("action", "actor_label")
    )
    assert [a for a, _ in actions] == [
        "catalogue.revision_started",  # opened by the set-up above
        "catalogue.submitted_for_review",
        "catalogue.returned_to_draft",
        "catalogue.submitted_for_review",
        "catalogue.published",
    ]
