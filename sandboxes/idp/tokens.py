"""The token endpoint (authorization code → access token and ID token) and the userinfo endpoint."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import Any
from urllib.parse import unquote_plus

from .keys import token_hash
from .provider import Provider
from .store import CodeError
from .web import Request, Response, json_response

VERIFIER_RE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
REALM = "sandbox-idp"


def oauth_error(
    error: str, description: str, status: int = 400, headers: list[tuple[str, str]] | None = None
) -> Response:
    """A token-endpoint error response (RFC 6749 §5.2)."""
    return json_response({"error": error, "error_description": description}, status, headers)


def _invalid_client(description: str) -> Response:
    """Client authentication failed: 401 with a Basic challenge (RFC 6749 §5.2)."""
    return oauth_error("invalid_client", description, 401, [("WWW-Authenticate", f'Basic realm="{REALM}"')])


def _s256(verifier: str) -> str:
    """The PKCE S256 transform of a code verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _client_credentials(request: Request) -> tuple[str, str] | Response:
    """The client id and secret from HTTP Basic (client_secret_basic) or the form (client_secret_post)."""
    header = request.headers.get("authorization", "")
    body_id, body_secret = request.param("client_id"), request.param("client_secret")
    if header[:6].lower() == "basic ":
        if body_secret:
            return oauth_error("invalid_request", "use only one client authentication method")
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return _invalid_client("malformed Basic credentials")
        raw_id, sep, raw_secret = decoded.partition(":")
        if not sep:
            return _invalid_client("malformed Basic credentials")
        client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
        if body_id and body_id != client_id:
            return _invalid_client("client_id does not match the authenticated client")
        return client_id, secret
    if body_id and body_secret:
        return body_id, body_secret
    return _invalid_client("client authentication is required (client_secret_basic or client_secret_post)")


def token(provider: Provider, request: Request) -> Response:
    """POST /token: authenticate the client (constant-time secret comparison), redeem the one-time code
    (same client, same redirect_uri, PKCE S256 verifier) and return an access token and a signed ID token.
    Every problem with the code itself is ``invalid_grant``; a replayed code also revokes its tokens."""
    settings = provider.settings
    if request.repeated():
        return oauth_error(
            "invalid_request", f"parameters sent more than once: {', '.join(request.repeated())}"
        )
    credentials = _client_credentials(request)
    if isinstance(credentials, Response):
        return credentials
    client_id, secret = credentials
    id_ok = hmac.compare_digest(client_id.encode(), settings.client_id.encode())
    secret_ok = hmac.compare_digest(secret.encode(), settings.client_secret.encode())
    if not (id_ok and secret_ok):
        return _invalid_client("unknown client or wrong client secret")
    grant_type = request.param("grant_type")
    if not grant_type:
        return oauth_error("invalid_request", "grant_type is required")
    if grant_type != "authorization_code":
        return oauth_error("unsupported_grant_type", "only authorization_code is supported")
    if not request.param("code"):
        return oauth_error("invalid_request", "code is required")
    try:
        code = provider.store.redeem_code(request.param("code"))
    except CodeError as exc:
        return oauth_error("invalid_grant", str(exc))
    auth = code.request
    if auth.client_id != client_id:
        return oauth_error("invalid_grant", "authorization code was issued to another client")
    if request.param("redirect_uri") != auth.redirect_uri:
        return oauth_error("invalid_grant", "redirect_uri does not match the authorization request")
    verifier = request.param("code_verifier")
    if not verifier:
        return oauth_error("invalid_grant", "code_verifier is required (PKCE)")
    if not VERIFIER_RE.match(verifier) or not hmac.compare_digest(_s256(verifier), auth.code_challenge):
        return oauth_error("invalid_grant", "PKCE verification failed: code_verifier does not match")
    citizen = provider.registry.get(code.citizen_id)
    if citizen is None:
        return oauth_error("invalid_grant", "the citizen no longer exists")
    access = provider.store.new_access_token(code, settings.access_token_ttl)
    now = provider.now()
    claims: dict[str, Any] = citizen.claims(auth.scope)
    claims.update(
        iss=settings.issuer,
        aud=client_id,
        exp=now + settings.id_token_ttl,
        iat=now,
        auth_time=code.auth_time,
        nonce=auth.nonce,
        acr=citizen.acr,
        amr=["pwd"],
        azp=client_id,
        at_hash=token_hash(access.value),
    )
    return json_response(
        {
            "access_token": access.value,
            "token_type": "Bearer",
            "expires_in": settings.access_token_ttl,
            "id_token": provider.key.sign(claims),
            "scope": " ".join(auth.scope),
        }
    )


def userinfo(provider: Provider, request: Request) -> Response:
    """GET|POST /userinfo: the claims about the signed-in citizen that the token's scopes allow. A missing
    token gets a bare Bearer challenge; a bad or expired one gets ``error="invalid_token"`` (RFC 6750 §3)."""
    header = request.headers.get("authorization", "")
    value = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not value and request.method == "POST":
        value = request.param("access_token")
    if not value:
        challenge = f'Bearer realm="{REALM}"'
        return json_response(
            {"error_description": "access token required"}, 401, [("WWW-Authenticate", challenge)]
        )
    access = provider.store.get_access_token(value)
    citizen = provider.registry.get(access.citizen_id) if access else None
    if access is None or citizen is None:
        description = "the access token is invalid, revoked or expired"
        challenge = f'Bearer realm="{REALM}", error="invalid_token", error_description="{description}"'
        return json_response(
            {"error": "invalid_token", "error_description": description},
            401,
            [("WWW-Authenticate", challenge)],
        )
    return json_response(citizen.claims(access.scope))
