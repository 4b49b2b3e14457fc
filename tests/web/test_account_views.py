"""The account pages: registration and sign-in with a phone number and a code by SMS, staff sign-in with a
second factor, lockout, the person's own account (masked identifiers, sessions, consents), sign-out."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from dichvucong.accounts.models import PortalSession, User
from dichvucong.core.models import AuditEvent
from tests.conftest import PASSWORD, make_citizen, make_officer, portal_session_cookie

pytestmark = pytest.mark.django_db


def last_code(outbox: list[Any]) -> str:
    match = re.search(r"\b(\d{6})\b", outbox[-1].text)
    assert match, outbox[-1].text
    return match.group(1)


def test_a_citizen_registers_with_a_phone_number_and_the_code_sent_by_sms(
    client: Client, _sms_in_memory: list[Any]
) -> None:
    response = client.post(reverse("web:register"), {"phone": "0912 345 678"})
    assert response.status_code == 302
    assert _sms_in_memory[-1].to == "0912345678"
    page = client.get(reverse("web:register_complete"))
    assert "0912***678" in page.content.decode()
    response = client.post(
        reverse("web:register_complete"),
        {
            "code": last_code(_sms_in_memory),
            "full_name": "Trần Thị Bình",
            "password": PASSWORD,
            "citizen_id": "",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(phone="0912345678")
    assert user.assurance_level == 1 and user.identity_source == "local" and user.phone_verified
    assert client.get(reverse("web:account")).status_code == 200
    assert AuditEvent.objects.filter(action="account.registered", actor_id=user.pk).exists()


def test_registration_keeps_what_was_typed_and_explains_each_error(
    client: Client, _sms_in_memory: list[Any]
) -> None:
    client.post(reverse("web:register"), {"phone": "0912345678"})
    response = client.post(
        reverse("web:register_complete"),
        {"code": "000000", "full_name": "", "password": "123", "citizen_id": "99909001234"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Vui lòng nhập họ và tên." in body
    assert "12 chữ số" in body
    assert 'value="99909001234"' in body
    assert not User.objects.exists()


def test_a_wrong_phone_number_is_refused_in_vietnamese(client: Client) -> None:
    response = client.post(reverse("web:register"), {"phone": "12345"})
    assert response.status_code == 400
    assert "Số điện thoại" in response.content.decode()


def test_a_wrong_sms_code_is_refused_and_five_wrong_codes_spend_it(
    client: Client, _sms_in_memory: list[Any]
) -> None:
    client.post(reverse("web:register"), {"phone": "0912345678"})
    good = last_code(_sms_in_memory)
    wrong = "000000" if good != "000000" else "111111"
    form = {"full_name": "Lê Văn Cường", "password": PASSWORD, "citizen_id": ""}
    for _ in range(5):
        response = client.post(reverse("web:register_complete"), {**form, "code": wrong})
        assert "Mã xác thực không đúng." in response.content.decode()
    response = client.post(reverse("web:register_complete"), {**form, "code": good})
    assert "hết hạn hoặc đã dùng" in response.content.decode()
    assert not User.objects.exists()


def test_codes_cannot_be_asked_for_more_than_once_a_minute(client: Client) -> None:
    client.post(reverse("web:register"), {"phone": "0912345678"})
    again = client.post(reverse("web:register"), {"phone": "0912345678"})
    assert again.status_code == 400
    assert "chờ một phút" in again.content.decode()


def test_a_local_sign_in_asks_for_the_password_then_the_code(
    client: Client, _sms_in_memory: list[Any]
) -> None:
    user = make_citizen()
    response = client.post(reverse("web:sign_in"), {"phone": "0912345678", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("web:sign_in_code")
    response = client.post(reverse("web:sign_in_code"), {"code": last_code(_sms_in_memory)})
    assert response.status_code == 302
    assert PortalSession.objects.filter(user=user, method="local", ended_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(action="auth.signed_in", actor_id=user.pk).exists()


def test_a_wrong_password_is_refused_and_five_lock_the_account_from_that_address(client: Client) -> None:
    make_citizen()
    for _ in range(4):
        response = client.post(reverse("web:sign_in"), {"phone": "0912345678", "password": "sai-mat-khau"})
        assert response.status_code == 400
        assert "Số điện thoại hoặc mật khẩu không đúng." in response.content.decode()
    locked = client.post(reverse("web:sign_in"), {"phone": "0912345678", "password": "sai-mat-khau"})
    assert locked.status_code == 429
    assert "Tạm khóa đăng nhập" in locked.content.decode()
    still = client.post(reverse("web:sign_in"), {"phone": "0912345678", "password": PASSWORD})
    assert still.status_code == 429  # locked even with the right password until the cool-off ends
    assert AuditEvent.objects.filter(action="auth.sign_in_failed").count() >= 4
    assert AuditEvent.objects.filter(action="auth.locked_out").exists()


def test_an_officer_must_enrol_and_use_an_authenticator(client: Client) -> None:
    officer = make_officer("UBND-01", roles=("agency_admin",))
    response = client.post(reverse("web:staff_sign_in"), {"username": officer.username, "password": PASSWORD})
    assert response.status_code == 302
    page = client.get(reverse("web:staff_second_factor"))
    assert b"<svg" in page.content  # the QR code to enrol the authenticator app
    device = TOTPDevice.objects.get(user=officer)
    assert not device.confirmed
    wrong = client.post(reverse("web:staff_second_factor"), {"token": "000000"})
    assert wrong.status_code == 400
    assert AuditEvent.objects.filter(action="auth.second_factor_failed").exists()
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    throttled = client.post(reverse("web:staff_second_factor"), {"token": code})
    assert "đợi vài giây" in throttled.content.decode()  # django-otp's back-off after a wrong code
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)  # the wait is over
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    response = client.post(reverse("web:staff_second_factor"), {"token": code})
    assert response.status_code == 302 and response["Location"] == "/quan-tri/"
    assert client.get("/quan-tri/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed


def test_the_back_office_sends_an_unverified_officer_to_the_staff_sign_in(client: Client) -> None:
    officer = make_officer("UBND-01")
    client.cookies["sessionid"] = portal_session_cookie(officer)
    response = client.get("/quan-tri/catalogue/procedure/")
    assert response.status_code == 302
    assert response["Location"].startswith("/quan-tri/login/") or response["Location"].startswith(
        "/dang-nhap/can-bo/"
    )


def test_a_citizen_cannot_use_the_staff_sign_in(client: Client) -> None:
    make_citizen()
    response = client.post(reverse("web:staff_sign_in"), {"username": "0912345678", "password": PASSWORD})
    assert response.status_code == 400


def test_the_account_page_masks_the_identification_number(client: Client) -> None:
    user = make_citizen(citizen_id="001090012345", citizen_id_verified=True)
    client.cookies["sessionid"] = portal_session_cookie(user)
    body = client.get(reverse("web:account")).content.decode()
    assert "001090012345" not in body
    assert "001******345" in body
    assert "0912345678" not in body


def test_a_person_updates_their_address_on_the_current_communes(client: Client) -> None:
    from dichvucong.organisations.models import AdministrativeUnit

    user = make_citizen()
    client.cookies["sessionid"] = portal_session_cookie(user)
    ward = AdministrativeUnit.objects.filter(level="commune", parent__code="79").first()
    assert ward is not None
    options = client.get(reverse("web:communes"), {"province": "79"})
    assert ward.name in options.content.decode()
    response = client.post(
        reverse("web:account"),
        {
            "email": "binh@example.vn",
            "commune_code": ward.code,
            "address_line": "5 Lê Lợi",
            "full_name": "Trần Bình",
        },
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.address_unit == ward and user.address_line == "5 Lê Lợi"
    bad = client.post(reverse("web:account"), {"email": "", "commune_code": "99999", "address_line": ""})
    assert bad.status_code == 400
    assert "không có trong danh mục" in bad.content.decode()


def test_a_person_revokes_another_of_their_sessions(client: Client) -> None:
    user = make_citizen()
    other = Client()
    other.cookies["sessionid"] = portal_session_cookie(user)
    client.cookies["sessionid"] = portal_session_cookie(user)
    assert other.get(reverse("web:account")).status_code == 200
    page = client.get(reverse("web:account")).content.decode()
    assert page.count("Đăng xuất phiên này") == 2
    session = PortalSession.objects.filter(session_key=other.cookies["sessionid"].value).get()
    client.post(reverse("web:revoke_session", args=[session.pk]))
    assert other.get(reverse("web:account")).status_code == 302  # signed out
    assert client.get(reverse("web:account")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.session_revoked").exists()


def test_nobody_can_revoke_someone_elses_session(client: Client) -> None:
    owner = make_citizen()
    stranger = make_citizen(phone="0987654321", username="0987654321")
    portal_session_cookie(owner)
    client.cookies["sessionid"] = portal_session_cookie(stranger)
    theirs = PortalSession.objects.filter(user=owner).get()
    assert client.post(reverse("web:revoke_session", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.ended_at is None


def test_sign_out_ends_the_portal_session(client: Client) -> None:
    user = make_citizen()
    client.cookies["sessionid"] = portal_session_cookie(user)
    response = client.post(reverse("web:sign_out"))
    assert response.status_code == 200
    assert PortalSession.objects.get(user=user).end_reason == "signed_out"
    assert client.get(reverse("web:account")).status_code == 302
