"""Signed HTTP messages between the portal and agency systems, in the Standard Webhooks scheme
(https://www.standardwebhooks.com): headers `webhook-id`, `webhook-timestamp` and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, several signatures separated by spaces while a secret
rotates). The same scheme signs both directions: the portal's deliveries to one-stop systems, and the agencies'
requests to the portal (which also name their key in `x-dvc-key-id`).

Secrets are `whsec_` followed by base64 bytes, as the scheme's libraries expect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"


class SignatureError(Exception):
    """The message is not signed by the expected secret, or too old or too new to be accepted."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        return base64.b64decode(secret[len(SECRET_PREFIX) :])
    return secret.encode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def sign(secret: str, message_id: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers that sign `body` as message `message_id`."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": signature(secret, message_id, ts, body),
    }


def signed_json(secret: str, key_id: str, message_id: str, body: Any) -> tuple[bytes, dict[str, str]]:
    """The bytes and headers of a JSON message the portal sends to an agency's system: compact UTF-8 JSON,
    signed as message `message_id`, its content type, and the key it is signed with (`x-dvc-key-id`)."""
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {
        **sign(secret, message_id, payload),
        "content-type": "application/json; charset=utf-8",
        "x-dvc-key-id": key_id,
    }
    return payload, headers


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: int | None = None,
) -> str:
    """Check the Standard Webhooks headers of `body`; return the message id. Header names are matched without
    regard to case. Comparison is in constant time."""
    lowered = {k.lower(): v for k, v in headers.items()}
    message_id = lowered.get("webhook-id", "")
    raw_ts = lowered.get("webhook-timestamp", "")
    given = lowered.get("webhook-signature", "")
    if not message_id or not raw_ts or not given:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        ts = int(raw_ts)
    except ValueError as exc:
        raise SignatureError("webhook-timestamp is not an integer") from exc
    current = int(time.time()) if now is None else now
    if abs(current - ts) > tolerance:
        raise SignatureError("webhook-timestamp outside the accepted window")
    expected = signature(secret, message_id, ts, body).encode()
    if not any(hmac.compare_digest(expected, candidate.encode()) for candidate in given.split()):
        raise SignatureError("no signature matches")
    return message_id
