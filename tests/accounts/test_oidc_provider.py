"""The portal as OpenID Connect provider, driven over HTTP against the live server by a relying party written
with a third-party client library (Authlib's OAuth2Session; joserfc verifies tokens against the JWKS)."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc6749.errors import OAuth2Error
from joserfc import jwt
from joserfc.errors import BadSignatureError, InvalidClaimError, JoseError
from joserfc.jwk import KeySet

from tests.conftest import make_citizen, portal_session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

SCOPES = "openid profile email phone citizen_id address"
REFUSED = (OAuth2Error, OAuthError)  # what Authlib raises for an error answer of the token endpoint


class _Form(HTMLParser):
    """The hidden fields of the consent form."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") == "hidden":
            self.fields[str(a["name"])] = a.get("value") or ""


@dataclass
class LogoutReceiver:
    """The relying party's back-channel logout endpoint: records the logout tokens it receives."""

    url: str
    tokens: list[str] = field(default_factory=list)


@pytest.fixture
def logout_receiver() -> Iterator[LogoutReceiver]:
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            received.extend(parse_qs(body).get("logout_token", []))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver = LogoutReceiver(
        url=f"http://127.0.0.1:{server.server_port}/backchannel-logout", tokens=received
    )
    yield receiver
    server.shutdown()


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uri: str


def register(name: str, *, backchannel: str = "", confidential: bool = True) -> Client:
    from dichvucong.accounts import services
    from dichvucong.accounts.models import RelyingParty

    redirect = f"https://{name}.example.vn/oidc/callback"
    party, secret = services.register_relying_party(
        actor=None,  # type: ignore[arg-type]
        request=None,
        name=f"Cổng DVC {name}",
        agency=None,
        redirect_uris=[redirect],
        post_logout_redirect_uris=[f"https://{name}.example.vn/"],
        backchannel_logout_uri=backchannel,
        confidential=confidential,
        grant_types=RelyingParty.GRANT_AUTHORIZATION_CODE,
    )
    return Client(party.client_id, secret if confidential else "", redirect)


@dataclass
class Provider:
    base: str
    metadata: dict[str, Any]

    def jwks(self) -> KeySet:
        return KeySet.import_key_set(requests.get(self.metadata["jwks_uri"], timeout=10).json())


@pytest.fixture
def provider(live_server: Any) -> Provider:
    metadata = requests.get(f"{live_server.url}/oidc/.well-known/openid-configuration", timeout=10).json()
    return Provider(base=live_server.url, metadata=metadata)


def browser_for(user: Any) -> requests.Session:
    browser = requests.Session()
    browser.cookies.set("sessionid", portal_session_cookie(user))
    return browser


def authorize(provider: Provider, browser: requests.Session, oauth: OAuth2Session, **params: Any) -> str:
    """Run the authorization request as a browser would, consenting if asked; returns the redirect URI."""
    uri, _state = oauth.create_authorization_url(provider.metadata["authorization_endpoint"], **params)
    response = browser.get(uri, allow_redirects=False, timeout=10)
    if response.status_code == 200:  # consent page
        form = _Form()
        form.feed(response.text)
        assert "csrfmiddlewaretoken" in form.fields, response.text[:500]
        response = browser.post(
            response.url,
            data={**form.fields, "allow": "Authorize"},
            headers={"Referer": response.url},
            allow_redirects=False,
            timeout=10,
        )
    assert response.status_code == 302, response.text[:500]
    return str(response.headers["Location"])


def verify_id_token(
    provider: Provider, token: str, *, audience: str, nonce: str | None = None
) -> dict[str, Any]:
    decoded = jwt.decode(token, provider.jwks())
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": provider.metadata["issuer"]},
        aud={"essential": True, "value": audience},
        exp={"essential": True},
        **({"nonce": {"essential": True, "value": nonce}} if nonce else {}),
    )
    registry.validate(decoded.claims)
    return dict(decoded.claims)


def oauth_for(client: Client, **kwargs: Any) -> OAuth2Session:
    return OAuth2Session(
        client.client_id,
        client.client_secret or None,
        scope=SCOPES,
        redirect_uri=client.redirect_uri,
        code_challenge_method="S256",
        **kwargs,
    )


def test_full_code_flow_with_pkce_refresh_and_backchannel_logout(
    provider: Provider, logout_receiver: LogoutReceiver
) -> None:
    from dichvucong.organisations.models import AdministrativeUnit

    ward = AdministrativeUnit.objects.filter(parent__code="01", level="commune").first()
    citizen = make_citizen(
        citizen_id="001090012345",
        citizen_id_verified=True,
        assurance_level=2,
        address_unit=ward,
        address_line="12 Tràng Tiền",
    )
    client = register("hanoi", backchannel=logout_receiver.url)
    browser = browser_for(citizen)
    oauth = oauth_for(client)
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)

    # Discovery says what the relying party needs.
    assert provider.metadata["backchannel_logout_supported"] is True
    assert "S256" in provider.metadata["code_challenge_methods_supported"]
    assert "citizen_id" in provider.metadata["scopes_supported"]

    location = authorize(provider, browser, oauth, code_verifier=verifier, nonce=nonce)
    assert location.startswith(client.redirect_uri)
    token = oauth.fetch_token(
        provider.metadata["token_endpoint"], authorization_response=location, code_verifier=verifier
    )

    claims = verify_id_token(provider, token["id_token"], audience=client.client_id, nonce=nonce)
    assert claims["sub"] == str(citizen.pk)
    assert claims["acr"] == "urn:dichvucong:loa:2"
    assert claims["citizen_id"] == "001090012345"
    assert claims["sid"]

    userinfo = oauth.get(provider.metadata["userinfo_endpoint"], timeout=10).json()
    assert userinfo["name"] == "Nguyễn Văn An"
    assert userinfo["phone_number"] == "+84912345678"
    assert userinfo["address"]["province_code"] == "01"
    assert userinfo["address"]["commune_code"] == ward.code  # type: ignore[union-attr]
    assert "business" not in userinfo  # scope not asked for

    # Refresh: new tokens, the old refresh token is spent (rotation).
    old_refresh = token["refresh_token"]
    refreshed = oauth.refresh_token(provider.metadata["token_endpoint"], refresh_token=old_refresh)
    assert refreshed["refresh_token"] != old_refresh
    again = verify_id_token(provider, refreshed["id_token"], audience=client.client_id)
    assert again["sid"] == claims["sid"]
    with pytest.raises(REFUSED):
        oauth_for(client).refresh_token(provider.metadata["token_endpoint"], refresh_token=old_refresh)

    # The second sign-in to the same relying party does not ask for consent again.
    second = authorize(provider, browser, oauth_for(client), code_verifier=secrets.token_urlsafe(48))
    assert "code=" in second

    # Signing out at the portal signs the person out of the relying party (back-channel logout).
    page = browser.get(f"{provider.base}/dang-xuat/", timeout=10)
    csrf = browser.cookies.get("csrftoken")
    assert page.status_code == 200
    browser.post(
        f"{provider.base}/dang-xuat/",
        data={"csrfmiddlewaretoken": csrf},
        headers={"Referer": page.url},
        timeout=10,
    )
    deadline = time.monotonic() + 5
    while not logout_receiver.tokens and time.monotonic() < deadline:
        time.sleep(0.05)
    assert logout_receiver.tokens, "no back-channel logout received"
    logout = jwt.decode(logout_receiver.tokens[0], provider.jwks())
    assert logout.claims["aud"] == client.client_id
    assert logout.claims["iss"] == provider.metadata["issuer"]
    assert logout.claims["sid"] == claims["sid"]
    assert logout.claims["sub"] == claims["sub"]
    assert "http://schemas.openid.net/event/backchannel-logout" in logout.claims["events"]
    assert "nonce" not in logout.claims

    # After single sign-out the relying party's tokens are dead.
    with pytest.raises(REFUSED):
        oauth_for(client).refresh_token(
            provider.metadata["token_endpoint"], refresh_token=refreshed["refresh_token"]
        )
    assert (
        requests.get(
            provider.metadata["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {refreshed['access_token']}"},
            timeout=10,
        ).status_code
        == 401
    )


def test_wrong_redirect_uri_is_refused_without_redirecting(provider: Provider) -> None:
    client = register("hue")
    browser = browser_for(make_citizen())
    oauth = OAuth2Session(
        client.client_id,
        client.client_secret,
        scope="openid",
        redirect_uri="https://evil.example/cb",
        code_challenge_method="S256",
    )
    uri, _ = oauth.create_authorization_url(
        provider.metadata["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48)
    )
    response = browser.get(uri, allow_redirects=False, timeout=10)
    assert response.status_code in (400, 200)
    assert "Location" not in response.headers
    assert "evil.example" not in response.headers.get("Location", "")


def test_pkce_mismatch_and_replayed_code_are_refused(provider: Provider) -> None:
    client = register("danang")
    browser = browser_for(make_citizen())
    oauth = oauth_for(client)
    verifier = secrets.token_urlsafe(48)
    location = authorize(provider, browser, oauth, code_verifier=verifier)
    with pytest.raises(REFUSED) as wrong:
        oauth_for(client).fetch_token(
            provider.metadata["token_endpoint"],
            authorization_response=location,
            code_verifier=secrets.token_urlsafe(48),
        )
    assert wrong.value.error == "invalid_grant"

    location = authorize(provider, browser, oauth_for(client), code_verifier=verifier)
    oauth_for(client).fetch_token(
        provider.metadata["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    with pytest.raises(REFUSED) as replay:
        oauth_for(client).fetch_token(
            provider.metadata["token_endpoint"], authorization_response=location, code_verifier=verifier
        )
    assert replay.value.error == "invalid_grant"


def test_public_client_without_pkce_is_refused(provider: Provider) -> None:
    client = register("laocai", confidential=False)
    browser = browser_for(make_citizen())
    oauth = OAuth2Session(client.client_id, scope="openid", redirect_uri=client.redirect_uri)
    uri, _ = oauth.create_authorization_url(provider.metadata["authorization_endpoint"])
    response = browser.get(uri, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert "error=invalid_request" in response.headers["Location"]
    assert "code=" not in response.headers["Location"]


def test_code_of_one_client_is_refused_to_another(provider: Provider) -> None:
    first, second = register("cantho"), register("haiphong")
    browser = browser_for(make_citizen())
    verifier = secrets.token_urlsafe(48)
    location = authorize(provider, browser, oauth_for(first), code_verifier=verifier)
    code = parse_qs(urlparse(location).query)["code"][0]
    response = requests.post(
        provider.metadata["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": first.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(second.client_id, second.client_secret),
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_grant", "invalid_request")


def test_expired_code_and_expired_or_tampered_tokens_are_refused(provider: Provider) -> None:
    from oauth2_provider.models import AccessToken, Grant

    client = register("quangninh")
    browser = browser_for(make_citizen())
    verifier = secrets.token_urlsafe(48)
    location = authorize(provider, browser, oauth_for(client), code_verifier=verifier)
    Grant.objects.update(expires=Grant.objects.first().expires - __import__("datetime").timedelta(hours=1))  # type: ignore[union-attr]
    with pytest.raises(REFUSED) as expired_code:
        oauth_for(client).fetch_token(
            provider.metadata["token_endpoint"], authorization_response=location, code_verifier=verifier
        )
    assert expired_code.value.error == "invalid_grant"

    location = authorize(provider, browser, oauth_for(client), code_verifier=verifier)
    oauth = oauth_for(client)
    token = oauth.fetch_token(
        provider.metadata["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    userinfo = provider.metadata["userinfo_endpoint"]

    tampered_access = token["access_token"][:-2] + (
        "AA" if not token["access_token"].endswith("AA") else "BB"
    )
    assert (
        requests.get(userinfo, headers={"Authorization": f"Bearer {tampered_access}"}, timeout=10).status_code
        == 401
    )

    header, _payload, signature = token["id_token"].split(".")
    forged = jwt.decode(token["id_token"], provider.jwks()).claims | {"sub": "1"}
    import base64
    import json

    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    with pytest.raises(BadSignatureError):
        jwt.decode(f"{header}.{forged_payload}.{signature}", provider.jwks())

    with pytest.raises((InvalidClaimError, JoseError)):  # an ID token for another relying party
        verify_id_token(provider, token["id_token"], audience="another-client")

    AccessToken.objects.update(
        expires=AccessToken.objects.first().expires - __import__("datetime").timedelta(days=1)
    )  # type: ignore[union-attr]
    assert (
        requests.get(
            userinfo, headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
        ).status_code
        == 401
    )


def test_key_rotation_keeps_old_tokens_verifiable(provider: Provider) -> None:
    from dichvucong.accounts import services

    client = register("angiang")
    browser = browser_for(make_citizen())
    verifier = secrets.token_urlsafe(48)
    token = oauth_for(client).fetch_token(
        provider.metadata["token_endpoint"],
        authorization_response=authorize(provider, browser, oauth_for(client), code_verifier=verifier),
        code_verifier=verifier,
    )
    old_kid = jwt.decode(token["id_token"], provider.jwks()).header["kid"]
    services.rotate_signing_key(actor=None, request=None)
    keys = provider.jwks()
    assert len(keys.keys) == 2
    verify_id_token(provider, token["id_token"], audience=client.client_id)  # still verifies after rotation

    verifier = secrets.token_urlsafe(48)
    time.sleep(0)  # the live server's process cache of the active key lasts a few seconds: clear it
    from dichvucong.accounts import keys as key_module

    key_module.forget_cached_key()
    fresh = oauth_for(client).fetch_token(
        provider.metadata["token_endpoint"],
        authorization_response=authorize(provider, browser, oauth_for(client), code_verifier=verifier),
        code_verifier=verifier,
    )
    assert jwt.decode(fresh["id_token"], provider.jwks()).header["kid"] != old_kid
