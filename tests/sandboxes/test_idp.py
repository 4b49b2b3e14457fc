"""The VNeID sandbox speaks real OpenID Connect: driven over HTTP with requests and Authlib's client, its ID
tokens verified with joserfc against its JWKS, and its refusals checked one by one."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from vietnam_provinces import Province, ProvinceCode

from sandboxes.idp.citizens import load_citizens

from .conftest import (
    LEVEL1,
    LEVEL2,
    LOA1,
    LOA2,
    PASSWORD,
    SCOPE,
    WRONG,
    IdpServer,
    authorize,
    exchange,
    parse_form,
    query_of,
    sign_in,
    submit,
    verify_id_token,
)


def test_discovery_document(idp: IdpServer) -> None:
    metadata = requests.get(idp.url("/.well-known/openid-configuration"), timeout=5).json()
    assert metadata["issuer"] == idp.issuer
    for name, path in [("authorization", "/authorize"), ("token", "/token"), ("userinfo", "/userinfo")]:
        assert metadata[f"{name}_endpoint"] == idp.url(path)
    assert metadata["jwks_uri"] == idp.url("/jwks")
    assert metadata["end_session_endpoint"] == idp.url("/logout")
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(metadata["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }
    assert set(metadata["scopes_supported"]) == {
        "openid",
        "profile",
        "email",
        "phone",
        "address",
        "citizen_id",
    }
    assert metadata["acr_values_supported"] == [LOA1, LOA2]
    assert {"citizen_id", "address", "birthdate", "phone_number"} <= set(metadata["claims_supported"])
    assert requests.get(idp.url("/healthz"), timeout=5).status_code == 200


def test_jwks_publishes_only_the_public_key(idp: IdpServer) -> None:
    (key,) = requests.get(idp.url("/jwks"), timeout=5).json()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_key_survives_a_restart(idp: IdpServer, idp_factory: Callable[..., IdpServer]) -> None:
    kid = requests.get(idp.url("/jwks"), timeout=5).json()["keys"][0]["kid"]
    second = idp_factory(key_file=idp.key_file)
    assert requests.get(second.url("/jwks"), timeout=5).json()["keys"][0]["kid"] == kid


def test_full_flow_with_authlib_client(idp: IdpServer) -> None:
    client = OAuth2Session(
        idp.client_id,
        idp.client_secret,
        scope=SCOPE,
        redirect_uri=idp.redirect_uri,
        code_challenge_method="S256",
    )
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = client.create_authorization_url(idp.url("/authorize"), code_verifier=verifier, nonce=nonce)
    browser = requests.Session()
    page = browser.get(url, allow_redirects=False, timeout=5)
    redirected = submit(idp, browser, page, LEVEL2)
    assert redirected.status_code == 303
    assert (
        "HttpOnly" in redirected.headers["Set-Cookie"] and "SameSite=Lax" in redirected.headers["Set-Cookie"]
    )
    location = redirected.headers["Location"]
    assert location.startswith(idp.redirect_uri) and query_of(redirected)["state"] == state

    token = client.fetch_token(idp.url("/token"), authorization_response=location, code_verifier=verifier)
    assert token["token_type"] == "Bearer" and token["expires_in"] == 600
    assert set(token["scope"].split()) == set(SCOPE.split())
    claims = verify_id_token(idp, token["id_token"], nonce, LOA2)
    assert claims["amr"] == ["pwd"]
    assert claims["exp"] - claims["iat"] == 300
    assert claims["sub"] != LEVEL2 and len(claims["sub"]) == 36
    assert claims["citizen_id"] == LEVEL2
    assert (
        claims["name"] == "Nguyễn Văn An"
        and claims["family_name"] == "Nguyễn"
        and claims["given_name"] == "An"
    )
    assert claims["birthdate"] == "1985-03-12" and claims["gender"] == "male"
    assert claims["phone_number"].startswith("+849") and claims["phone_number_verified"] is True
    assert claims["email"].endswith("@example.vn") and claims["email_verified"] is True
    address = claims["address"]
    assert (
        address["country"] == "VN" and address["province_code"] == "01" and address["commune_code"] == "00004"
    )
    assert address["region"] == "Thành phố Hà Nội" and address["locality"] == "Phường Ba Đình"

    info = client.get(idp.url("/userinfo"), timeout=5).json()
    assert info == {k: v for k, v in claims.items() if k in info} and info["sub"] == claims["sub"]
    assert "nonce" not in info and info["address"] == address


def test_client_secret_post_and_narrow_scope(idp: IdpServer) -> None:
    client = OAuth2Session(
        idp.client_id,
        idp.client_secret,
        scope="openid email",
        redirect_uri=idp.redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post",
    )
    verifier = secrets.token_urlsafe(48)
    url, _ = client.create_authorization_url(idp.url("/authorize"), code_verifier=verifier, nonce="n-post")
    browser = requests.Session()
    redirected = submit(idp, browser, browser.get(url, allow_redirects=False, timeout=5), LEVEL1)
    token = client.fetch_token(
        idp.url("/token"), authorization_response=redirected.headers["Location"], code_verifier=verifier
    )
    claims = verify_id_token(idp, token["id_token"], "n-post", LOA1)
    assert claims["email"] == "minh.le@example.vn"
    assert not {"name", "birthdate", "citizen_id", "address", "phone_number"} & set(claims)
    info = client.get(idp.url("/userinfo"), timeout=5).json()
    assert set(info) == {"sub", "email", "email_verified"}


def test_sign_in_page_is_a_labelled_vietnamese_sandbox_page(idp: IdpServer) -> None:
    page = authorize(idp, requests.Session())
    html = page.text
    assert page.status_code == 200 and '<html lang="vi">' in html and 'name="viewport"' in html
    assert "VNeID – môi trường thử nghiệm (sandbox)" in html
    assert '<label for="citizen_id">Số định danh cá nhân</label>' in html
    assert '<label for="password">Mật khẩu</label>' in html
    assert ">Đăng nhập</button>" in html
    assert PASSWORD in html and all(c.citizen_id in html for c in load_citizens().citizens)
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_wrong_password_keeps_the_number(idp: IdpServer) -> None:
    browser = requests.Session()
    response = submit(idp, browser, authorize(idp, browser), LEVEL2, "sai-mat-khau")
    assert response.status_code == 200 and "Location" not in response.headers
    assert WRONG in response.text
    form = parse_form(response.text)
    assert form.by_id["citizen_id"]["value"] == LEVEL2 and "value" not in form.by_id["password"]
    assert "vneid_sandbox_session" not in browser.cookies
    # The re-shown form still works.
    assert submit(idp, browser, response, LEVEL2).status_code == 303


def test_unknown_number_gets_the_same_message(idp: IdpServer) -> None:
    browser = requests.Session()
    response = submit(idp, browser, authorize(idp, browser), "001099999999")
    assert WRONG in response.text


def test_lockout_after_five_failures(idp_factory: Callable[..., IdpServer]) -> None:
    idp = idp_factory()
    browser = requests.Session()
    page = authorize(idp, browser)
    for attempt in range(1, 6):
        page = submit(idp, browser, page, LEVEL1, f"sai-{attempt}")
        assert page.status_code == 200
    assert "tạm khóa" in page.text and "15 phút" in page.text
    locked = submit(idp, browser, page, LEVEL1, PASSWORD)
    assert locked.status_code == 200 and "tạm khóa" in locked.text
    assert submit(idp, browser, locked, LEVEL2).status_code == 303  # other numbers are not locked


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"client_id": "ung-dung-la"}, "chưa được đăng ký với VNeID sandbox"),
        ({"client_id": ""}, "client_id"),
        ({"redirect_uri": "https://evil.example/callback/"}, "redirect_uri"),
        ({"redirect_uri": "http://127.0.0.1:8000/khac/"}, "redirect_uri"),
        ({"redirect_uri": "http://127.0.0.2:8000/tai-khoan/vneid/callback/"}, "redirect_uri"),
        ({"redirect_uri": ""}, "redirect_uri"),
    ],
)
def test_client_and_redirect_uri_errors_are_shown_not_redirected(
    idp: IdpServer, overrides: dict[str, str], expected: str
) -> None:
    response = authorize(idp, requests.Session(), **overrides)
    assert response.status_code == 400 and "Location" not in response.headers
    assert expected in response.text and "Không thể tiếp tục đăng nhập" in response.text


def test_loopback_redirect_uri_port_is_ignored(idp: IdpServer) -> None:
    response = authorize(
        idp, requests.Session(), redirect_uri="http://localhost:4321/tai-khoan/vneid/callback/"
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": ""}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": ""}, "invalid_request"),
        ({"nonce": ""}, "invalid_request"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
def test_bad_requests_are_sent_back_to_the_client(
    idp: IdpServer, overrides: dict[str, str], error: str
) -> None:
    response = authorize(idp, requests.Session(), **overrides)
    assert response.status_code == 302 and response.headers["Location"].startswith(idp.redirect_uri)
    assert query_of(response)["error"] == error and query_of(response)["state"] == "state-123"


def test_pkce_mismatch_is_invalid_grant(idp: IdpServer) -> None:
    code, _ = sign_in(idp, requests.Session())
    response = exchange(idp, code, secrets.token_urlsafe(48))
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    missing = exchange(idp, sign_in(idp, requests.Session())[0], "")
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"


def test_replayed_code_is_refused_and_revokes_the_first_token(idp: IdpServer) -> None:
    code, verifier = sign_in(idp, requests.Session())
    first = exchange(idp, code, verifier)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    access_token = first.json()["access_token"]
    bearer = {"Authorization": f"Bearer {access_token}"}
    assert requests.get(idp.url("/userinfo"), headers=bearer, timeout=5).status_code == 200
    replay = exchange(idp, code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert requests.get(idp.url("/userinfo"), headers=bearer, timeout=5).status_code == 401


def test_wrong_client_secret_is_invalid_client(idp: IdpServer) -> None:
    code, verifier = sign_in(idp, requests.Session())
    basic = exchange(idp, code, verifier, auth=(idp.client_id, "sai-bi-mat"))
    assert basic.status_code == 401 and basic.json()["error"] == "invalid_client"
    post = exchange(idp, code, verifier, auth=None, data={"client_id": idp.client_id, "client_secret": "x"})
    assert post.status_code == 401 and post.json()["error"] == "invalid_client"
    anonymous = exchange(idp, code, verifier, auth=None)
    assert anonymous.status_code == 401
    # Failed client authentication does not burn the code.
    assert exchange(idp, code, verifier).status_code == 200


def test_redirect_uri_and_grant_type_are_checked_at_the_token_endpoint(idp: IdpServer) -> None:
    code, verifier = sign_in(idp, requests.Session())
    other = exchange(
        idp, code, verifier, data={"redirect_uri": "http://127.0.0.1:8000/tai-khoan/vneid/callback/"}
    )
    assert other.status_code == 400 and other.json()["error"] == "invalid_grant"
    grant = exchange(idp, "x", "", data={"grant_type": "password"})
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    unknown = exchange(idp, "khong-ton-tai", secrets.token_urlsafe(48))
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_grant"


def test_expired_code_is_invalid_grant(idp_factory: Callable[..., IdpServer]) -> None:
    idp = idp_factory(SANDBOX_IDP_CODE_TTL="0")
    code, verifier = sign_in(idp, requests.Session())
    response = exchange(idp, code, verifier)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert "expired" in response.json()["error_description"]


def test_userinfo_rejects_bad_tokens(idp: IdpServer) -> None:
    bad = requests.get(idp.url("/userinfo"), headers={"Authorization": "Bearer khong-hop-le"}, timeout=5)
    assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["WWW-Authenticate"]
    missing = requests.get(idp.url("/userinfo"), timeout=5)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")


def test_single_sign_on_at_the_idp(idp: IdpServer) -> None:
    browser = requests.Session()
    sign_in(idp, browser)
    again = authorize(idp, browser, state="lan-hai")
    assert again.status_code == 302 and query_of(again)["state"] == "lan-hai" and "code" in query_of(again)
    silent = authorize(idp, browser, prompt="none")
    assert "code" in query_of(silent)
    forced = authorize(idp, browser, prompt="login")
    assert forced.status_code == 200 and 'id="citizen_id"' in forced.text
    stranger = authorize(idp, requests.Session(), prompt="none")
    assert stranger.status_code == 302 and query_of(stranger)["error"] == "login_required"


def test_logout_clears_the_idp_session(idp: IdpServer) -> None:
    browser = requests.Session()
    code, verifier = sign_in(idp, browser)
    id_token = exchange(idp, code, verifier).json()["id_token"]
    target = "http://127.0.0.1:45678/"
    params = {"id_token_hint": id_token, "post_logout_redirect_uri": target, "state": "s-out"}
    response = browser.get(idp.url("/logout"), params=params, allow_redirects=False, timeout=5)
    assert response.status_code == 302 and response.headers["Location"] == f"{target}?state=s-out"
    assert authorize(idp, browser).status_code == 200  # the form again, no SSO

    sign_in(idp, browser)
    for extra in [
        {},
        {"post_logout_redirect_uri": "https://evil.example/"},
        {**params, "id_token_hint": "x.y.z"},
    ]:
        page = browser.get(idp.url("/logout"), params=extra, allow_redirects=False, timeout=5)
        assert page.status_code == 200 and "Bạn đã đăng xuất khỏi VNeID (sandbox)" in page.text


def test_level_two_is_refused_to_a_level_one_citizen(idp: IdpServer) -> None:
    browser = requests.Session()
    page = authorize(idp, browser, acr_values=LOA2)
    refused = submit(idp, browser, page, LEVEL1)
    assert refused.status_code == 200 and "Location" not in refused.headers
    assert "mức độ 1" in refused.text and "mức độ 2" in refused.text
    assert submit(idp, browser, refused, LEVEL2).status_code == 303

    level_one = requests.Session()
    sign_in(idp, level_one, LEVEL1)
    assert authorize(idp, level_one, acr_values=LOA2).status_code == 200  # SSO does not upgrade the level


def test_cancel_and_forged_forms(idp: IdpServer) -> None:
    browser = requests.Session()
    fields = parse_form(authorize(idp, browser).text).fields
    forged = browser.post(
        idp.url("/authorize"), data={**fields, "csrf_token": "gia-mao"}, allow_redirects=False
    )
    assert forged.status_code == 400
    other_browser = requests.post(idp.url("/authorize"), data=fields, allow_redirects=False, timeout=5)
    assert other_browser.status_code == 400
    cancelled = browser.post(
        idp.url("/authorize"), data={**fields, "action": "cancel"}, allow_redirects=False
    )
    assert cancelled.status_code == 303 and query_of(cancelled)["error"] == "access_denied"


def test_test_citizens_follow_the_national_rules() -> None:
    registry = load_citizens()
    citizens = registry.citizens
    assert len(citizens) >= 6 and registry.password == PASSWORD
    assert sum(c.level == 1 for c in citizens) >= 2 and sum(c.level == 2 for c in citizens) >= 2
    assert {c.gender for c in citizens} == {"male", "female"}
    assert {date.fromisoformat(c.birthdate).year // 100 for c in citizens} == {19, 20}
    for citizen in citizens:
        number, born = citizen.citizen_id, date.fromisoformat(citizen.birthdate)
        century_sex = (0 if born.year < 2000 else 2) + (citizen.gender == "female")
        assert len(number) == 12 and number[3] == str(century_sex) and number[4:6] == f"{born.year % 100:02d}"
        address = citizen.address()
        assert Province.from_code(ProvinceCode(int(address["province_code"]))).name == address["region"]
        assert len(address["commune_code"]) == 5
    assert {c.address()["province_code"] for c in citizens} >= {"01", "79", "48"}


def test_authlib_django_client_as_the_portal_configures_it(idp: IdpServer) -> None:
    """Authlib's Django integration (discovery, PKCE S256, state and nonce in the session, ID token checked
    against the JWKS, then userinfo) works unchanged against the sandbox."""
    from authlib.integrations.django_client import OAuth
    from django.test import RequestFactory

    client = OAuth().register(
        name="vneid",
        client_id=idp.client_id,
        client_secret=idp.client_secret,
        server_metadata_url=idp.url("/.well-known/openid-configuration"),
        client_kwargs={
            "scope": "openid profile citizen_id phone email address",
            "code_challenge_method": "S256",
        },
    )
    session: dict[str, Any] = {}
    start = RequestFactory().get("/dang-nhap/vneid/")
    start.session = session  # type: ignore[assignment]
    redirect_to_idp = client.authorize_redirect(start, idp.redirect_uri, acr_values=LOA2)
    browser = requests.Session()
    page = browser.get(redirect_to_idp["Location"], allow_redirects=False, timeout=5)
    back = submit(idp, browser, page, "079192004567")
    callback = RequestFactory().get("/tai-khoan/vneid/callback/", data=query_of(back))
    callback.session = session  # type: ignore[assignment]
    token = client.authorize_access_token(callback)
    id_claims = token["userinfo"]
    assert id_claims["acr"] == LOA2 and id_claims["iss"] == idp.issuer and id_claims["aud"] == idp.client_id
    info = client.userinfo(token=token)
    assert info["citizen_id"] == "079192004567" and info["address"]["province_code"] == "79"
    assert info["sub"] == id_claims["sub"] and info["gender"] == "female"
