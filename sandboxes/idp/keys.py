"""The RS256 signing key of the sandbox: kept in a PEM file so that restarts keep the same key and kid."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

ALGORITHM = "RS256"


def _create_key_file(path: Path) -> None:
    """Write a new 2048-bit RSA key to ``path`` (mode 0600). The file appears atomically, and if another
    process created it meanwhile, that one is kept."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(RSAKey.generate_key(2048).as_pem(private=True))
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


class SigningKey:
    """The private key, its kid (the RFC 7638 thumbprint, hence stable) and what is signed with it."""

    def __init__(self, key: RSAKey) -> None:
        kid = key.thumbprint()
        self.key = RSAKey.import_key(
            key.as_pem(private=True), parameters={"kid": kid, "alg": ALGORITHM, "use": "sig"}
        )
        self.kid = kid

    @classmethod
    def load_or_create(cls, path: Path) -> SigningKey:
        """Load the key from ``path``, creating the file on first start."""
        if not path.exists():
            _create_key_file(path)
        key = RSAKey.import_key(path.read_bytes())
        if not key.is_private:
            raise ValueError(f"{path} must hold an RSA private key")
        return cls(key)

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public JSON Web Key Set published at /jwks."""
        return {"keys": [dict(self.key.as_dict(private=False))]}

    def sign(self, claims: dict[str, Any]) -> str:
        """Sign a JWT with RS256, naming the key in the ``kid`` header."""
        return jwt.encode({"alg": ALGORITHM, "typ": "JWT", "kid": self.kid}, claims, self.key)

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a JWT signed with this key, or None when it is malformed or the signature is wrong.
        Claims such as ``exp`` are not checked (an expired id_token_hint is still a fine logout hint)."""
        try:
            return dict(jwt.decode(token, self.key, algorithms=[ALGORITHM]).claims)
        except (JoseError, ValueError):
            return None


def token_hash(value: str) -> str:
    """``at_hash``: base64url of the left half of the SHA-256 digest of the access token (OIDC Core §3.1.3.6)."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")
