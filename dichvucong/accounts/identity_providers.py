"""Identity providers the portal is a client of, behind one interface (`IdentityProvider`).

The national identity provider (VNeID) is reached over OpenID Connect with Authlib's Django client:
discovery, authorization code with PKCE (S256), state and nonce kept in the session, the ID token verified
against the provider's JWKS (issuer, audience, nonce, expiry), then userinfo. Which provider, and its
credentials, are settings (IDP_*): `sandbox-idp` in development, the real provider in production.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, Protocol

from authlib.integrations.base_client.errors import OAuthError
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from dichvucong.core.errors import DomainError

from .services import VerifiedIdentity


class IdentityProvider(Protocol):
    name: str

    def start(
        self, request: HttpRequest, *, redirect_uri: str, acr_values: str | None = None
    ) -> HttpResponse:
        """Redirect the browser to the provider."""

    def finish(self, request: HttpRequest) -> VerifiedIdentity:
        """Read the provider's answer on the callback; raise DomainError if it is not good."""


@lru_cache(maxsize=4)
def _client(issuer: str, client_id: str, client_secret: str, scopes: str) -> Any:
    from authlib.integrations.django_client import OAuth

    oauth = OAuth()
    return oauth.register(
        name="vneid",
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=f"{issuer.rstrip('/')}/.well-known/openid-configuration",
        client_kwargs={
            "scope": scopes,
            "code_challenge_method": "S256",
            "timeout": settings.IDP_TIMEOUT_SECONDS,
        },
    )


class OidcIdentityProvider:
    """VNeID (or any OpenID Connect provider with the same claims)."""

    name = "vneid"

    def _client(self) -> Any:
        return _client(
            settings.IDP_ISSUER, settings.IDP_CLIENT_ID, settings.IDP_CLIENT_SECRET, settings.IDP_SCOPES
        )

    def start(
        self, request: HttpRequest, *, redirect_uri: str, acr_values: str | None = None
    ) -> HttpResponse:
        extra = {"acr_values": acr_values} if acr_values else {}
        try:
            response: HttpResponse = self._client().authorize_redirect(request, redirect_uri, **extra)
        except Exception as exc:  # the provider is down or its discovery document unreadable
            raise DomainError(
                _("Không kết nối được với hệ thống định danh điện tử. Vui lòng thử lại sau.")
            ) from exc
        return response

    def finish(self, request: HttpRequest) -> VerifiedIdentity:
        if request.GET.get("error"):
            raise DomainError(
                _("Bạn chưa đăng nhập được bằng VNeID (%(error)s).") % {"error": request.GET["error"]}
            )
        client = self._client()
        try:
            token = client.authorize_access_token(request)
            claims = dict(token.get("userinfo") or {})
            claims.update(client.userinfo(token=token))
        except (OAuthError, ValueError, KeyError) as exc:
            raise DomainError(_("Không xác thực được phản hồi của hệ thống định danh điện tử.")) from exc
        id_claims = token.get("userinfo") or {}
        level = settings.IDP_ACR_LEVELS.get(str(id_claims.get("acr", "")))
        if level is None:
            raise DomainError(_("Hệ thống định danh không cho biết mức định danh của tài khoản."))
        if not claims.get("citizen_id"):
            raise DomainError(_("Hệ thống định danh không cung cấp số định danh cá nhân."))
        address = claims.get("address") or {}
        birthdate = claims.get("birthdate")
        return VerifiedIdentity(
            provider=self.name,
            subject=str(id_claims["sub"]),
            assurance_level=level,
            citizen_id=str(claims["citizen_id"]),
            full_name=str(claims.get("name", "")),
            date_of_birth=dt.date.fromisoformat(birthdate) if birthdate else None,
            sex=str(claims.get("gender", "")),
            phone=str(claims.get("phone_number", "")),
            email=str(claims.get("email", "")),
            commune_code=str(address.get("commune_code", "")),
            address_line=str(address.get("street_address", "")),
        )


def identity_provider() -> IdentityProvider:
    return OidcIdentityProvider()
