"""Password hashing.

Passwords: argon2id with parameters from settings (default m = 19 MiB, t = 2, p = 1: OWASP's first
recommended configuration), so that the cost can be tuned to the hardware without a code change; the
algorithm name stays "argon2", so hashes made with other parameters still verify and are re-hashed at the
next sign-in.

Client secrets of relying parties are 128 random characters, not passwords: a slow hash protects nothing
there and would make every token request cost an argon2 computation, so they use one HMAC-SHA256 round.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    def __init__(self) -> None:
        self.time_cost = int(settings.ARGON2_TIME_COST)
        self.memory_cost = int(settings.ARGON2_MEMORY_KIB)
        self.parallelism = int(settings.ARGON2_PARALLELISM)


class ClientSecretHasher(BasePasswordHasher):
    """HMAC-SHA256 of a high-entropy client secret with a per-secret salt (for CLIENT_SECRET_HASHER only)."""

    algorithm = "hmac_sha256_secret"

    def encode(self, password: str, salt: str) -> str:
        digest = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded: str) -> dict[str, Any]:
        algorithm, salt, digest = encoded.split("$", 2)
        return {"algorithm": algorithm, "salt": salt, "hash": digest}

    def verify(self, password: str, encoded: str) -> bool:
        decoded = self.decode(encoded)
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded: str) -> dict[Any, Any]:
        decoded = self.decode(encoded)
        return {
            "algorithm": decoded["algorithm"],
            "salt": mask_hash(decoded["salt"]),
            "hash": mask_hash(decoded["hash"]),
        }

    def harden_runtime(self, password: str, encoded: str) -> None:
        return None
