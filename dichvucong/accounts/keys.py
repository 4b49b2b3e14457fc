"""The portal's signing keys for ID tokens and logout tokens (RS256).

Keys live in the database so that every process signs with the same key and a rotation needs no restart:
`rotate_signing_key` makes a new active key and retires the old one, which stays in the JWKS for
`OIDC_RETIRED_KEY_PUBLISH_SECONDS` so that tokens it signed still verify. Each process caches the active
key for a few seconds; a process that signs with a key retired a moment ago is still verifiable, because
retired keys remain published.
"""

from __future__ import annotations

import time
from datetime import timedelta
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from jwcrypto import jwk

from .models import SigningKey

_CACHE_SECONDS = 5.0
_active: tuple[float, str, Any] | None = None  # (loaded at, kid, JWK)
_published: tuple[float, list[SigningKey]] | None = None  # (loaded at, keys)


def _new_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=settings.OIDC_RSA_KEY_BITS)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@lru_cache(maxsize=16)
def _jwk(pem: str) -> Any:
    """Parsing a PEM validates the RSA key, which costs tens of milliseconds: a key never changes, so each
    process parses it once."""
    return jwk.JWK.from_pem(pem.encode())


def ensure_signing_key() -> SigningKey:
    """The active key, made on first use."""
    key = SigningKey.objects.filter(retired_at__isnull=True).first()
    if key is not None:
        return key
    pem = _new_private_pem()
    try:
        with transaction.atomic():
            return SigningKey.objects.create(kid=_jwk(pem).thumbprint(), private_pem=pem)
    except IntegrityError:  # another process made it first
        return SigningKey.objects.get(retired_at__isnull=True)


def active_jwk() -> Any:
    """The JWK that signs new tokens; its `kid` is the key's RFC 7638 thumbprint."""
    global _active
    now = time.monotonic()
    if _active is None or now - _active[0] > _CACHE_SECONDS:
        key = ensure_signing_key()
        _active = (now, key.kid, _jwk(key.private_pem))
    return _active[2]


def forget_cached_key() -> None:
    global _active
    _active = None


def published_keys() -> list[SigningKey]:
    """The active key and the retired keys still inside their publication window."""
    ensure_signing_key()
    since = timezone.now() - timedelta(seconds=settings.OIDC_RETIRED_KEY_PUBLISH_SECONDS)
    return list(
        SigningKey.objects.filter(retired_at__isnull=True).union(
            SigningKey.objects.filter(retired_at__gte=since)
        )
    )


def jwk_for_kid(kid: str) -> Any | None:
    """A published key by its id, to verify a token the portal signed (an id_token_hint, say)."""
    for key in published_keys():
        if key.kid == kid:
            return _jwk(key.private_pem)
    return None


def public_jwks() -> dict[str, list[dict[str, Any]]]:
    keys = []
    for key in published_keys():
        public = _jwk(key.private_pem).export_public(as_dict=True)
        keys.append({**public, "kid": key.kid, "alg": "RS256", "use": "sig"})
    return {"keys": keys}


def rotate() -> SigningKey:
    """Retire the active key and make a new one (in one transaction). Callers audit it."""
    pem = _new_private_pem()
    with transaction.atomic():
        SigningKey.objects.select_for_update().filter(retired_at__isnull=True).update(
            retired_at=timezone.now()
        )
        key = SigningKey.objects.create(kid=_jwk(pem).thumbprint(), private_pem=pem)
    forget_cached_key()
    return key
