"""Acceptance of the feedback issue, in browsers 360 px wide: a citizen whose dossier is late files feedback on it
from the dossier page; a portal operator forwards it to the agency handling the dossier; an officer of that agency
answers it and publishes the answer, the portal having prefilled the public texts without the citizen's personal
data; a stranger reads the published answer, which holds none of it, and finds it with the catalogue's search;
the citizen rates the answer. Operator and officer sign in through the staff sign-in page with their second
factor. No serious or critical axe-core violation on any portal page visited."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from tests.browser.conftest import screenshot, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "0912345678"
NAME = "Nguyễn Văn An"
EMAIL = "an.nguyen@example.vn"
TOTP_KEYS = {
    "operator": "3132333435363738393031323334353637383930",
    "officer": "4142434445464748494a4b4c4d4e4f5051525354",
}


def check(page: Any, name: str) -> None:
    violations = serious_violations(page)
    assert not violations, f"{page.url}: {violations}"
    screenshot(page, f"feedback-{name}")


def totp_device(user: Any, key: str) -> Any:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="app", confirmed=True, key=key)


def staff_sign_in(page: Any, base: str, username: str, key: str) -> None:
    """Password, then the authenticator's current code, as an officer types them."""
    from django_otp.oath import totp

    from tests.conftest import PASSWORD

    page.goto(f"{base}/dang-nhap/can-bo/")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_url(re.compile(r"/dang-nhap/can-bo/xac-thuc/"))
    page.locator("#token").fill(f"{totp(bytes.fromhex(key)):06d}")
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(re.compile(r"/quan-tri/"))


def open_feedback_in_back_office(page: Any, base: str, code: str) -> None:
    page.goto(f"{base}/quan-tri/feedback/feedback/?q={code}")
    page.get_by_role("link", name=code).first.click()
    page.wait_for_load_state()


@pytest.fixture
def late_dossier(live_server: Any, settings: Any, tmp_path: Any) -> Any:
    from django.utils import timezone

    from dichvucong.dossiers.models import Dossier, Status
    from tests.dossiers.factories import birth_procedure_with_eform, citizen_with_address, submitted_dossier

    settings.OUTBOX_DISPATCH = "none"
    settings.PORTAL_BASE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    birth_procedure_with_eform()
    citizen = citizen_with_address(phone=PHONE, username=PHONE, full_name=NAME, email=EMAIL)
    dossier = submitted_dossier(citizen)
    now = timezone.now()
    Dossier.objects.filter(pk=dossier.pk).update(
        status=Status.PROCESSING, status_at=now - dt.timedelta(days=9), due_at=now - dt.timedelta(days=3)
    )
    dossier.refresh_from_db()
    return dossier


def test_feedback_on_a_late_dossier_is_forwarded_answered_published_without_personal_data_and_rated(
    late_dossier: Any, live_server: Any, browser: Any, page: Any, _sms_in_memory: list[Any]
) -> None:
    from dichvucong.accounts.roles import Role
    from dichvucong.feedback.models import Feedback, FeedbackRating, Status
    from tests.conftest import PASSWORD, make_officer, make_operator

    base = live_server.url
    agency = late_dossier.agency
    operator = make_operator()
    officer = make_officer(agency.code, username="canbo.xuly", roles=(Role.HANDLER, Role.HEAD))
    totp_device(operator, TOTP_KEYS["operator"])
    totp_device(officer, TOTP_KEYS["officer"])

    # (1) The citizen signs in and opens the late dossier: the page offers feedback on it.
    page.goto(f"{base}/dang-nhap/?next=/ho-so/{late_dossier.code}/")
    page.locator("#phone").fill(PHONE)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    page.wait_for_url(re.compile(r"/dang-nhap/ma-xac-thuc/"))
    sms_code = re.search(r"\b(\d{6})\b", _sms_in_memory[-1].text).group(1)  # type: ignore[union-attr]
    page.locator("#code").fill(sms_code)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base}/ho-so/{late_dossier.code}/")
    page.get_by_role("link", name=re.compile("Phản ánh về hồ sơ này")).click()
    page.wait_for_url(re.compile(r"/phan-anh-kien-nghi/gui/\?ho-so="))
    assert page.locator("#dossier_code").input_value() == late_dossier.code
    assert page.locator("#sender_name").input_value() == NAME
    assert page.locator("#sender_phone").input_value() == PHONE

    # (2) The citizen describes the delay, in their own words with their own details, and consents to publish.
    page.locator("#kind").select_option("delay_harassment")
    page.locator("#title").fill("Hồ sơ đăng ký khai sinh quá hạn chưa có kết quả")
    page.locator("#content").fill(
        f"Tôi là {NAME}, số điện thoại {PHONE[:4]} {PHONE[4:7]} {PHONE[7:]}. Hồ sơ khai sinh của con tôi đã quá "
        "hạn trả kết quả ba ngày mà chưa có kết quả, cũng không nhận được văn bản xin lỗi nào."
    )
    if not page.locator("#sender_address").input_value():
        page.locator("#sender_address").fill("12 phố Đội Cấn, Ba Đình, Hà Nội")
    page.locator("#consent_to_publish").check()
    check(page, "1-form")
    page.locator("#gui-phan-anh").click()
    page.wait_for_url(re.compile(r"/phan-anh-kien-nghi/PAKN-\d{6}-[0-9A-Z]{6}/$"))
    feedback = Feedback.objects.get()
    assert feedback.code in page.locator("main").inner_text()
    assert feedback.dossier_id == late_dossier.pk and feedback.user_id == late_dossier.owner_id
    check(page, "2-sent")

    # (3) The operator forwards it to the agency handling the dossier (suggested first).
    operator_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    staff = operator_context.new_page()
    staff_sign_in(staff, base, "quantri", TOTP_KEYS["operator"])
    open_feedback_in_back_office(staff, base, feedback.code)
    staff.get_by_role("link", name="Chuyển xử lý").first.click()
    staff.wait_for_load_state()
    assert (
        staff.locator("select[name=agency]").input_value() == agency.code
    )  # the dossier's agency comes first
    staff.get_by_role("button", name="Chuyển xử lý").click()
    staff.wait_for_load_state()
    feedback.refresh_from_db()
    assert feedback.status == Status.HANDLING and feedback.agency_id == agency.pk
    screenshot(staff, "feedback-3-forwarded")
    operator_context.close()

    # (4) The officer of that agency answers, then publishes: the public texts come prefilled without the
    # citizen's name and phone, and the portal checks them again.
    officer_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    staff = officer_context.new_page()
    staff_sign_in(staff, base, "canbo.xuly", TOTP_KEYS["officer"])
    open_feedback_in_back_office(staff, base, feedback.code)
    staff.get_by_role("link", name="Trả lời").first.click()
    staff.wait_for_load_state()
    staff.locator("textarea[name=text]").fill(
        f"Kính gửi ông {NAME}: Ủy ban đã trả kết quả đăng ký khai sinh ngày hôm nay, gửi văn bản xin lỗi và "
        "nhắc nhở công chức tiếp nhận. Cảm ơn ông đã phản ánh."
    )
    staff.get_by_role("button", name="Gửi kết quả xử lý").click()
    staff.wait_for_load_state()
    feedback.refresh_from_db()
    assert feedback.status == Status.ANSWERED
    staff.get_by_role("link", name="Công khai kết quả").first.click()
    staff.wait_for_load_state()
    prefilled = " ".join(
        staff.locator(f"[name={name}]").input_value()
        for name in ("public_title", "public_content", "public_answer")
    )
    assert NAME not in prefilled and "Văn An" not in prefilled
    assert "0912" not in prefilled and "345 678" not in prefilled
    assert "quá hạn" in prefilled and "[đã ẩn]" in prefilled
    screenshot(staff, "feedback-4-publish-form")
    staff.get_by_role("button", name="Công khai").click()
    staff.wait_for_load_state()
    feedback.refresh_from_db()
    assert feedback.status == Status.PUBLISHED
    officer_context.close()

    # (5) A stranger reads the published answer: none of the citizen's personal data is on the page, and the
    # catalogue's search finds it (typed without diacritics).
    public_context = browser.new_context(viewport={"width": 360, "height": 780}, locale="vi-VN")
    stranger = public_context.new_page()
    stranger.goto(f"{base}/phan-anh-kien-nghi/{feedback.code}/")
    body = stranger.locator("body").inner_text()
    assert "trả kết quả đăng ký khai sinh" in body
    for personal in (NAME, "Văn An", PHONE, "0912 345", EMAIL, "Đội Cấn"):
        assert personal not in body, personal
    check(stranger, "5-published")
    stranger.goto(f"{base}/tim-kiem/?q=ho so khai sinh qua han")
    stranger.get_by_role("link", name=re.compile("quá hạn chưa có kết quả")).first.click()
    stranger.wait_for_url(f"{base}/phan-anh-kien-nghi/{feedback.code}/")
    public_context.close()

    # (6) The citizen, told of the answer, rates it.
    page.goto(f"{base}/phan-anh-kien-nghi/{feedback.code}/")
    assert "gửi văn bản xin lỗi" in page.locator("main").inner_text()
    page.get_by_label("Hài lòng", exact=True).check()
    page.locator("#comment").fill("Đã nhận kết quả, cảm ơn.")
    check(page, "6-rate")
    page.locator("#gui-danh-gia").click()
    page.wait_for_load_state()
    rating = FeedbackRating.objects.get(feedback=feedback)
    assert rating.satisfaction == "satisfied"
    assert feedback.code in page.url
    check(page, "7-rated")
