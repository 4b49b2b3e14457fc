"""The portal as an OpenID Connect provider to ministries' and provinces' portals (django-oauth-toolkit).

This validator adds what the toolkit leaves to the project: the claims of each scope (`citizen_id`, `address`
on the current administrative units, `business`), the session id (`sid`) that back-channel logout refers to,
the assurance level (`acr`), and verification of tokens signed by a key that has since been rotated.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from jwcrypto import jws
from oauth2_provider.oauth2_validators import OAuth2Validator

from dichvucong.accounts.identifiers import phone_e164

from . import keys
from .models import RelyingPartySession, User

ACR_PREFIX = "urn:dichvucong:loa:"

# claim → the scope that releases it ("openid" claims are always in the ID token).
CLAIM_SCOPES: dict[str, str] = {
    "sub": "openid",
    "sid": "openid",
    "acr": "openid",
    "amr": "openid",
    "name": "profile",
    "family_name": "profile",
    "given_name": "profile",
    "birthdate": "profile",
    "gender": "profile",
    "preferred_username": "profile",
    "email": "email",
    "email_verified": "email",
    "phone_number": "phone",
    "phone_number_verified": "phone",
    "citizen_id": "citizen_id",
    "citizen_id_verified": "citizen_id",
    "identity_assurance_level": "citizen_id",
    "address": "address",
    "business": "business",
}


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _split_name(full_name: str) -> tuple[str, str]:
    """Vietnamese names put the family name first: "Nguyễn Văn An" → ("Nguyễn", "Văn An")."""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name, ""
    return parts[0], " ".join(parts[1:])


def address_claim(user: User) -> dict[str, str] | None:
    unit = user.address_unit
    if unit is None and not user.address_line:
        return None
    province = unit.parent if unit is not None and unit.parent_id else unit
    parts = [
        user.address_line,
        unit.name if unit and unit != province else "",
        province.name if province else "",
    ]
    return {
        "formatted": ", ".join(p for p in parts if p),
        "street_address": user.address_line,
        "locality": unit.name if unit and unit != province else "",
        "region": province.name if province else "",
        "country": "VN",
        "commune_code": unit.code if unit and unit != province else "",
        "province_code": province.code if province else "",
    }


def user_claims(user: User, scopes: set[str] | None = None) -> dict[str, Any]:
    """The claims the portal can release about `user` for `scopes` (all of them when None); the claims that
    need a query (address, business) are only read when their scope was granted."""
    wanted = scopes if scopes is not None else set(CLAIM_SCOPES.values())
    family, given = _split_name(user.full_name)
    claims: dict[str, Any] = {
        "acr": f"{ACR_PREFIX}{user.assurance_level}",
        "amr": ["pwd"] if user.identity_source != "vneid" else ["vneid"],
        "name": user.full_name,
        "family_name": family,
        "given_name": given,
        "preferred_username": user.full_name or user.username,
        "birthdate": user.date_of_birth.isoformat() if user.date_of_birth else None,
        "gender": user.sex or None,
        "email": user.email or None,
        "email_verified": False if user.email else None,
        "phone_number": phone_e164(user.phone) if user.phone else None,
        "phone_number_verified": user.phone_verified if user.phone else None,
        "citizen_id": user.citizen_id,
        "citizen_id_verified": user.citizen_id_verified if user.citizen_id else None,
        "identity_assurance_level": user.assurance_level,
        "address": address_claim(user) if "address" in wanted else None,
        "business": [
            {"tax_code": r.business.tax_code, "name": r.business.name, "role": r.role}
            for r in user.representations.select_related("business")
        ]
        or None
        if "business" in wanted
        else None,
    }
    return claims


class PortalOIDCValidator(OAuth2Validator):
    oidc_claim_scope = CLAIM_SCOPES

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        claims = user_claims(request.user, set(request.scopes or ()))
        sid = self._session_id(request)
        if sid:
            claims["sid"] = sid
        return {name: value for name, value in claims.items() if value is not None}

    def get_discovery_claims(self, request: Any) -> list[str]:
        return list(CLAIM_SCOPES)

    def _session_id(self, request: Any) -> str | None:
        """The portal session the tokens come from: by the code at the code exchange, by the refresh token's
        family at a refresh."""
        rp_session: RelyingPartySession | None = None
        if getattr(request, "code", None):
            rp_session = (
                RelyingPartySession.objects.select_related("portal_session")
                .filter(code_hash=code_hash(request.code))
                .first()
            )
        elif getattr(request, "refresh_token_instance", None) is not None:
            family = request.refresh_token_instance.token_family
            rp_session = (
                RelyingPartySession.objects.select_related("portal_session")
                .filter(token_family=family)
                .first()
                if family
                else None
            )
        return str(rp_session.portal_session.sid) if rp_session else None

    def _create_refresh_token(
        self, request: Any, refresh_token_code: str, access_token: Any, previous_refresh_token: Any
    ) -> Any:
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous_refresh_token
        )
        if request.grant_type == "authorization_code" and getattr(request, "code", None):
            RelyingPartySession.objects.filter(code_hash=code_hash(request.code)).update(
                token_family=refresh_token.token_family
            )
        return refresh_token

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """A code whose portal session has ended (signed out in between) is no longer good."""
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            return False
        ended = RelyingPartySession.objects.filter(
            code_hash=code_hash(code), portal_session__ended_at__isnull=False
        ).exists()
        return not ended

    def _get_key_for_token(self, token: str) -> Any:
        """Pick the key by the token's `kid`, so that an id_token_hint signed before a rotation verifies."""
        unverified = jws.JWS()
        unverified.deserialize(token)
        header = unverified.jose_header
        kid = header.get("kid") if isinstance(header, dict) else None
        if not kid:
            return None
        payload: dict[str, Any] = json.loads(unverified.objects["payload"].decode("utf-8"))
        if "aud" not in payload:
            return None
        return keys.jwk_for_kid(kid)
