"""The relying party's side of OpenID Connect: the provider's metadata and keys (fetched lazily and cached,
because the portal may start after this sandbox), the code flow through Authlib's requests client, and the
checks of ID tokens (Core §3.1.3.7) and logout tokens (Back-Channel Logout 1.0 §2.6) with joserfc."""

from __future__ import annotations

import threading
import time
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .config import CLOCK_SKEW, HTTP_TIMEOUT, LOGOUT_TOKEN_MAX_AGE, Settings

ALGORITHMS = ["RS256"]
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class ProviderUnavailable(Exception):
    """The provider's discovery document or keys cannot be fetched."""


class TokenRejected(Exception):
    """A token failed a check; the message says which (for logs and the error page, never secrets)."""


class Provider:
    """The OpenID provider as this relying party sees it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    # --- metadata and keys -------------------------------------------------------------------------------

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = requests.get(url, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(f"{url}: {type(exc).__name__}") from exc
        if not isinstance(data, dict):
            raise ProviderUnavailable(f"{url}: not a JSON object")
        return data

    def metadata(self) -> dict[str, Any]:
        """The discovery document, fetched on first use; its issuer must be the configured one (§4.3)."""
        with self._lock:
            if self._metadata is None:
                url = f"{self.settings.issuer}/.well-known/openid-configuration"
                data = self._get_json(url)
                if data.get("issuer") != self.settings.issuer:
                    raise ProviderUnavailable(f"issuer mismatch: {data.get('issuer')!r}")
                self._metadata = data
            return self._metadata

    def _fetch_keys(self) -> KeySet:
        try:
            return KeySet.import_key_set(self._get_json(self.metadata()["jwks_uri"]))  # type: ignore[arg-type]
        except (KeyError, ValueError, JoseError) as exc:
            raise ProviderUnavailable(f"unreadable JWKS: {type(exc).__name__}") from exc

    def keys_for(self, kid: str) -> KeySet:
        """The key set holding `kid`; an unknown kid fetches the JWKS again once (the key was rotated)."""
        keys = self._keys
        if keys is None or not any(key.kid == kid for key in keys.keys):
            keys = self._fetch_keys()
            self._keys = keys
        if not any(key.kid == kid for key in keys.keys):
            raise TokenRejected("unknown signing key")
        return keys

    # --- the code flow -----------------------------------------------------------------------------------

    def oauth(self, **kwargs: Any) -> OAuth2Session:
        """Authlib's client, authenticating with client_secret_basic and using PKCE S256."""
        return OAuth2Session(
            self.settings.client_id,
            self.settings.client_secret,
            scope=self.settings.scopes,
            redirect_uri=self.settings.redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
            **kwargs,
        )

    def authorization_url(self, *, state: str, nonce: str, code_verifier: str) -> str:
        uri, _state = self.oauth().create_authorization_url(
            self.metadata()["authorization_endpoint"], state=state, nonce=nonce, code_verifier=code_verifier
        )
        return str(uri)

    def redeem(self, *, code: str, code_verifier: str) -> tuple[dict[str, Any], OAuth2Session]:
        """Exchange the code at the token endpoint; returns the token response and a client holding it."""
        oauth = self.oauth()
        token = oauth.fetch_token(
            self.metadata()["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            code_verifier=code_verifier,
            timeout=HTTP_TIMEOUT,
        )
        return dict(token), oauth

    def userinfo(self, oauth: OAuth2Session) -> dict[str, Any]:
        response = oauth.get(self.metadata()["userinfo_endpoint"], timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        data = response.json()
        if not isinstance(data, dict):
            raise TokenRejected("userinfo is not a JSON object")
        return data

    # --- token checks ------------------------------------------------------------------------------------

    def _decode(self, token: str) -> jwt.Token:
        """Check the signature (RS256 only, key by kid) and return header and claims."""
        try:
            header = jws.extract_compact(token.encode("ascii")).headers()
            kid = header.get("kid")
            if not isinstance(kid, str) or not kid:
                raise TokenRejected("no kid in the token header")
            return jwt.decode(token, self.keys_for(kid), algorithms=ALGORITHMS)
        except (JoseError, ValueError, UnicodeError) as exc:
            raise TokenRejected(f"bad token: {type(exc).__name__}") from exc

    def _audience_ok(self, claims: dict[str, Any]) -> bool:
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if self.settings.client_id not in audiences:
            return False
        return len(audiences) == 1 or claims.get("azp") == self.settings.client_id

    def verify_id_token(self, token: str, *, nonce: str) -> dict[str, Any]:
        """OIDC Core §3.1.3.7: signature, iss, aud (and azp), exp, iat, nonce."""
        claims = dict(self._decode(token).claims)
        registry = jwt.JWTClaimsRegistry(
            leeway=CLOCK_SKEW,
            iss={"essential": True, "value": self.metadata()["issuer"]},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise TokenRejected(f"ID token claim: {exc}") from exc
        if not self._audience_ok(claims):
            raise TokenRejected("ID token audience")
        return claims

    def verify_logout_token(self, token: str, *, now: float | None = None) -> dict[str, Any]:
        """Back-Channel Logout 1.0 §2.6: signature, iss, aud, iat (recent), exp if present, the back-channel
        event, no nonce, a sid or a sub, a jti (its uniqueness is the caller's to check)."""
        decoded = self._decode(token)
        if decoded.header.get("typ", "logout+jwt") != "logout+jwt":
            raise TokenRejected("not a logout token (typ)")
        claims = dict(decoded.claims)
        current = time.time() if now is None else now
        registry = jwt.JWTClaimsRegistry(
            now=int(current),
            leeway=CLOCK_SKEW,
            iss={"essential": True, "value": self.metadata()["issuer"]},
            iat={"essential": True},
            jti={"essential": True},
            events={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise TokenRejected(f"logout token claim: {exc}") from exc
        if not self._audience_ok(claims):
            raise TokenRejected("logout token audience")
        if not isinstance(claims["iat"], int | float) or claims["iat"] < current - LOGOUT_TOKEN_MAX_AGE:
            raise TokenRejected("logout token too old")
        events = claims["events"]
        if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
            raise TokenRejected("no back-channel logout event")
        if "nonce" in claims:
            raise TokenRejected("a logout token must not have a nonce")
        if not (isinstance(claims.get("sid"), str) and claims["sid"]) and not (
            isinstance(claims.get("sub"), str) and claims["sub"]
        ):
            raise TokenRejected("neither sid nor sub")
        return claims
