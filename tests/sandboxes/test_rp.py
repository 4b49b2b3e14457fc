"""sandbox-rp, the province's portal, signs people in with the portal's OpenID provider and signs them out
when the portal says so: run as a real subprocess against the live server, driven with `requests` as a
browser, its back-channel logout endpoint fed good, forged and replayed logout tokens."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from jwcrypto import jwk
from jwcrypto import jwt as jwcrypto_jwt

from sandboxes.rp.config import Settings
from sandboxes.rp.oidc import Provider, TokenRejected
from sandboxes.rp.pages import mask_citizen_id
from tests.conftest import make_citizen, portal_session_cookie
from tests.sandboxes.conftest import parse_form
from tests.sandboxes.processes import RP_CLIENT_ID, register_rp, running_rp

# Against the live server (tables emptied after each test, so the RP is registered again in each).
live = pytest.mark.django_db(transaction=True)

EVENT = "http://schemas.openid.net/event/backchannel-logout"
CITIZEN_ID = "001090012345"


@pytest.fixture(scope="module")
def rp_url(live_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One sandbox-rp for the module, pointed at the live server (its state is in memory, its discovery and
    keys are fetched when first needed and again when the portal's key changes between tests)."""
    log = tmp_path_factory.mktemp("sandbox-rp") / "rp.log"
    with running_rp(f"{live_server.url}/oidc", log_file=log) as url:
        yield url


@dataclass
class Portal:
    url: str
    issuer: str


@pytest.fixture
def portal(live_server: Any, rp_url: str) -> Portal:
    register_rp(rp_url)  # the tables are emptied after each test
    return Portal(url=live_server.url, issuer=f"{live_server.url}/oidc")


@pytest.fixture
def citizen() -> Any:
    return make_citizen(citizen_id=CITIZEN_ID, citizen_id_verified=True, assurance_level=2)


def signed_in_browser(user: Any) -> requests.Session:
    """A browser already signed in at the portal."""
    browser = requests.Session()
    browser.cookies.set("sessionid", portal_session_cookie(user))
    return browser


def sign_in_at_rp(browser: requests.Session, rp_url: str, *, allow: bool = True) -> requests.Response:
    """RP /login → the portal's consent page (answered once) → RP /callback; returns the callback's answer."""
    response = browser.get(f"{rp_url}/login", allow_redirects=False, timeout=10)
    assert response.status_code == 303, response.text[:500]
    response = browser.get(response.headers["Location"], allow_redirects=False, timeout=10)
    if response.status_code == 200:  # the consent page
        fields = parse_form(response.text).fields
        assert "csrfmiddlewaretoken" in fields, response.text[:500]
        response = browser.post(
            response.url,
            data={**fields, **({"allow": "Authorize"} if allow else {})},
            headers={"Referer": response.url},
            allow_redirects=False,
            timeout=10,
        )
    assert response.status_code == 302, response.text[:500]
    callback = response.headers["Location"]
    assert callback.startswith(f"{rp_url}/callback?")
    return browser.get(callback, allow_redirects=False, timeout=10)


def rp_home(browser: requests.Session, rp_url: str) -> str:
    response = browser.get(f"{rp_url}/", timeout=10)
    assert response.status_code == 200
    return response.text


def signed_in_at_rp(browser: requests.Session, rp_url: str) -> str:
    callback = sign_in_at_rp(browser, rp_url)
    assert callback.status_code == 303, callback.text[:500]
    page = rp_home(browser, rp_url)
    assert 'id="xin-chao"' in page, page[:500]
    return page


def sign_out_at_portal(browser: requests.Session, portal: Portal) -> None:
    page = browser.get(f"{portal.url}/dang-xuat/", timeout=10)
    assert page.status_code == 200
    response = browser.post(
        f"{portal.url}/dang-xuat/",
        data={"csrfmiddlewaretoken": browser.cookies.get("csrftoken")},
        headers={"Referer": page.url},
        timeout=10,
    )
    assert response.status_code == 200


def portal_signed_in(browser: requests.Session, portal: Portal) -> bool:
    return browser.get(f"{portal.url}/tai-khoan/", allow_redirects=False, timeout=10).status_code == 200


def portal_sid(user: Any) -> str:
    from dichvucong.accounts.models import PortalSession

    return str(PortalSession.objects.get(user=user).sid)


# --- single sign-on and single sign-out -----------------------------------------------------------------------


@live
def test_sign_in_through_the_portal_shows_the_name_masked_number_and_level(
    portal: Portal, rp_url: str, citizen: Any
) -> None:
    browser = signed_in_browser(citizen)
    callback = sign_in_at_rp(browser, rp_url)
    assert callback.status_code == 303 and callback.headers["Location"] == "/"
    cookie = next(
        h for h in callback.raw.headers.getlist("Set-Cookie") if h.startswith("sandbox_rp_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie

    page = rp_home(browser, rp_url)
    assert '<h1 id="xin-chao">Xin chào, Nguyễn Văn An</h1>' in page
    assert "001******345" in page and CITIZEN_ID not in page
    assert "Mức 2 (urn:dichvucong:loa:2)" in page
    assert 'id="dang-xuat"' in page and 'id="dang-nhap"' not in page
    assert 'lang="vi"' in page and "môi trường thử nghiệm" in page


@live
def test_signing_out_at_the_portal_signs_out_of_the_rp_by_back_channel(
    portal: Portal, rp_url: str, citizen: Any
) -> None:
    browser = signed_in_browser(citizen)
    signed_in_at_rp(browser, rp_url)

    sign_out_at_portal(browser, portal)

    page = rp_home(browser, rp_url)  # the logout token was delivered before the portal answered
    assert 'id="dang-nhap"' in page and 'id="xin-chao"' not in page
    assert "Đăng nhập bằng tài khoản Cổng Dịch vụ công quốc gia" in page
    from dichvucong.accounts.models import BackchannelLogout, LogoutStatus

    assert BackchannelLogout.objects.get().status == LogoutStatus.DELIVERED


@live
def test_signing_out_at_the_rp_signs_out_of_the_portal(portal: Portal, rp_url: str, citizen: Any) -> None:
    browser = signed_in_browser(citizen)
    page = signed_in_at_rp(browser, rp_url)
    csrf = parse_form(page).fields["csrf_token"]

    response = browser.post(f"{rp_url}/logout", data={"csrf_token": csrf}, allow_redirects=False, timeout=10)
    assert response.status_code == 303
    end_session = urlsplit(response.headers["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == f"{portal.issuer}/logout/"
    params = {k: v[0] for k, v in parse_qs(end_session.query).items()}
    assert params["post_logout_redirect_uri"] == f"{rp_url}/"
    assert params["client_id"] == RP_CLIENT_ID and params["id_token_hint"] and params["state"]

    back = browser.get(response.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text[:500]
    assert back.headers["Location"] == f"{rp_url}/?state={params['state']}"
    page = browser.get(back.headers["Location"], timeout=10).text
    assert 'id="dang-nhap"' in page and "Bạn đã đăng xuất" in page
    assert not portal_signed_in(browser, portal)


@live
def test_logout_without_the_form_token_keeps_the_session(portal: Portal, rp_url: str, citizen: Any) -> None:
    browser = signed_in_browser(citizen)
    signed_in_at_rp(browser, rp_url)
    response = browser.post(f"{rp_url}/logout", data={"csrf_token": "x"}, allow_redirects=False, timeout=10)
    assert response.headers["Location"] == "/"
    assert 'id="xin-chao"' in rp_home(browser, rp_url)
    assert portal_signed_in(browser, portal)


@live
def test_refused_consent_and_bad_state_show_an_error_page(portal: Portal, rp_url: str, citizen: Any) -> None:
    browser = signed_in_browser(citizen)
    refused = sign_in_at_rp(browser, rp_url, allow=False)
    assert refused.status_code == 400
    assert "không cho phép chia sẻ thông tin" in refused.text and 'lang="vi"' in refused.text

    started = browser.get(f"{rp_url}/login", allow_redirects=False, timeout=10)
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]
    wrong = browser.get(f"{rp_url}/callback", params={"code": "x", "state": state + "x"}, timeout=10)
    assert wrong.status_code == 400 and "không hợp lệ" in wrong.text
    stranger = requests.get(f"{rp_url}/callback", params={"code": "x", "state": state}, timeout=10)
    assert stranger.status_code == 400  # the right state from another browser (no login cookie)
    odd = browser.get(f"{rp_url}/callback", params={"code": "x", "state": "trạng-thái"}, timeout=10)
    assert odd.status_code == 400
    assert 'id="dang-nhap"' in rp_home(browser, rp_url)


# --- the back-channel logout endpoint ------------------------------------------------------------------------


def portal_key() -> Any:
    from dichvucong.accounts import keys

    return keys.active_jwk()


def sign(claims: dict[str, Any], *, key: Any = None, header: dict[str, Any] | None = None) -> str:
    key = key or portal_key()
    token = jwcrypto_jwt.JWT(
        header={"alg": "RS256", "kid": portal_key().thumbprint(), "typ": "logout+jwt", **(header or {})},
        claims=json.dumps(claims),
    )
    token.make_signed_token(key)
    return str(token.serialize())


def logout_claims(portal: Portal, session: str, **overrides: Any) -> dict[str, Any]:
    """The claims of a good logout token for the portal session `session`, with `overrides` (None drops)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": portal.issuer,
        "aud": RP_CLIENT_ID,
        "iat": now,
        "exp": now + 120,
        "jti": str(uuid.uuid4()),
        "sid": session,
        "events": {EVENT: {}},
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _tampered(portal: Portal, sid: str) -> str:
    header, _payload, signature = sign(logout_claims(portal, "another-sid")).split(".")
    payload = base64.urlsafe_b64encode(json.dumps(logout_claims(portal, sid)).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


def _unsigned(portal: Portal, sid: str) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'kid': portal_key().thumbprint()})}.{part(logout_claims(portal, sid))}."


def _other_key() -> Any:
    return jwk.JWK.generate(kty="RSA", size=2048)


BAD_TOKENS: dict[str, Callable[[Portal, str], str]] = {
    "tampered": _tampered,
    "unsigned": _unsigned,
    "forged with another key": lambda p, sid: sign(logout_claims(p, sid), key=_other_key()),
    "unknown key": lambda p, sid: sign(logout_claims(p, sid), key=_other_key(), header={"kid": "unknown"}),
    "wrong audience": lambda p, sid: sign(logout_claims(p, sid, aud="another-portal")),
    "wrong issuer": lambda p, sid: sign(logout_claims(p, sid, iss="https://evil.example/oidc")),
    "issued too long ago": lambda p, sid: sign(logout_claims(p, sid, iat=int(time.time()) - 600)),
    "expired": lambda p, sid: sign(logout_claims(p, sid, exp=int(time.time()) - 120)),
    "with a nonce": lambda p, sid: sign(logout_claims(p, sid, nonce="n")),
    "without the event": lambda p, sid: sign(logout_claims(p, sid, events={"other": {}})),
    "without jti": lambda p, sid: sign(logout_claims(p, sid, jti=None)),
    "neither sid nor sub": lambda p, sid: sign(logout_claims(p, sid, sid=None)),
    "an ID token": lambda p, sid: sign(logout_claims(p, sid, events=None), header={"typ": "JWT"}),
}


@live
@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_bad_logout_token_is_refused_and_the_session_stays(
    portal: Portal, rp_url: str, citizen: Any, case: str
) -> None:
    browser = signed_in_browser(citizen)
    signed_in_at_rp(browser, rp_url)

    token = BAD_TOKENS[case](portal, portal_sid(citizen))
    response = requests.post(f"{rp_url}/backchannel-logout", data={"logout_token": token}, timeout=10)

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert response.headers["Cache-Control"] == "no-store"
    assert 'id="xin-chao"' in rp_home(browser, rp_url)


@live
def test_replayed_logout_token_is_refused(portal: Portal, rp_url: str, citizen: Any) -> None:
    browser = signed_in_browser(citizen)
    signed_in_at_rp(browser, rp_url)
    elsewhere = sign(logout_claims(portal, str(uuid.uuid4()), sub=str(citizen.pk)))
    first = requests.post(f"{rp_url}/backchannel-logout", data={"logout_token": elsewhere}, timeout=10)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    assert 'id="xin-chao"' in rp_home(browser, rp_url)  # another session of the same person

    replay = requests.post(f"{rp_url}/backchannel-logout", data={"logout_token": elsewhere}, timeout=10)
    assert replay.status_code == 400 and "jti" in replay.json()["error_description"]

    mine = sign(logout_claims(portal, portal_sid(citizen), sub=str(citizen.pk)))
    assert requests.post(f"{rp_url}/backchannel-logout", data={"logout_token": mine}, timeout=10).ok
    assert 'id="dang-nhap"' in rp_home(browser, rp_url)


@live
def test_logout_token_signed_after_a_key_rotation_is_accepted(
    portal: Portal, rp_url: str, citizen: Any
) -> None:
    from dichvucong.accounts import keys, services, sso
    from dichvucong.accounts.models import RelyingParty

    browser = signed_in_browser(citizen)
    signed_in_at_rp(browser, rp_url)  # the RP now holds the JWKS with the old key
    services.rotate_signing_key(actor=None, request=None)
    keys.forget_cached_key()

    token = sso.logout_token(
        relying_party=RelyingParty.objects.get(client_id=RP_CLIENT_ID),
        sid=uuid.UUID(portal_sid(citizen)),
        subject=str(citizen.pk),
        iss=portal.issuer,
    )
    response = requests.post(f"{rp_url}/backchannel-logout", data={"logout_token": token}, timeout=10)
    assert response.status_code == 200, response.text
    assert 'id="dang-nhap"' in rp_home(browser, rp_url)


@live
def test_logout_token_without_sid_ends_every_session_of_the_subject(
    portal: Portal, rp_url: str, citizen: Any
) -> None:
    browsers = [signed_in_browser(citizen), signed_in_browser(citizen)]
    for browser in browsers:
        signed_in_at_rp(browser, rp_url)
    token = sign(logout_claims(portal, "", sid=None, sub=str(citizen.pk)))
    assert requests.post(f"{rp_url}/backchannel-logout", data={"logout_token": token}, timeout=10).ok
    assert all('id="dang-nhap"' in rp_home(browser, rp_url) for browser in browsers)


@live
def test_back_channel_logout_needs_a_token(portal: Portal, rp_url: str) -> None:
    response = requests.post(f"{rp_url}/backchannel-logout", data={}, timeout=10)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert requests.get(f"{rp_url}/backchannel-logout", timeout=10).status_code == 405


# --- checks that need no server ------------------------------------------------------------------------------


def test_citizen_id_is_never_shown_whole() -> None:
    assert mask_citizen_id("001090012345") == "001******345"
    assert mask_citizen_id("12345") == "*****"


def _offline_provider() -> tuple[Provider, Any]:
    """A Provider whose metadata and keys are set in advance, and the private key that signs for it."""
    from joserfc.jwk import KeySet, RSAKey

    key = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
    settings = Settings.from_env({"SANDBOX_RP_ISSUER": "https://portal.example/oidc"})
    provider = Provider(settings)
    provider._metadata = {"issuer": "https://portal.example/oidc", "jwks_uri": "https://portal.example/jwks"}
    provider._keys = KeySet([RSAKey.import_key(key.as_dict(private=False))])
    return provider, key


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"nonce": "other"}, "nonce"),
        ({"aud": "another-portal"}, "audience"),
        ({"aud": ["cong-dvc-tinh-mau", "another-portal"]}, "audience"),  # several audiences and no azp
        ({"iss": "https://evil.example"}, "iss"),
        ({"exp": int(time.time()) - 3600}, "exp"),
    ],
)
def test_id_token_with_wrong_claims_is_rejected(change: dict[str, Any], reason: str) -> None:
    from joserfc import jwt

    provider, key = _offline_provider()
    now = int(time.time())
    claims = {
        "iss": "https://portal.example/oidc",
        "aud": "cong-dvc-tinh-mau",
        "sub": "42",
        "iat": now,
        "exp": now + 300,
        "nonce": "expected",
    }
    good = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)
    assert provider.verify_id_token(good, nonce="expected")["sub"] == "42"
    with pytest.raises(TokenRejected, match=reason):
        provider.verify_id_token(
            jwt.encode({"alg": "RS256", "kid": "k1"}, claims | change, key), nonce="expected"
        )
