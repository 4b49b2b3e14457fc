"""How agency systems authenticate to the agency API (`/api/v1/agency/…`), each way yielding the `SyncSource` the
status sync writes with: the sending agency, and the agencies whose dossiers it may read and write (that agency and
every agency under it).

- HMAC: the one-stop system's `AgencyIntegration`, named by the `x-dvc-key-id` header, signs the raw body with
  its secret in the Standard Webhooks scheme (`webhook-id`, `webhook-timestamp`, `webhook-signature`;
  `dichvucong.core.signing`). The timestamp must be within five minutes of the portal's clock.
- OAuth 2 client credentials: `Authorization: Bearer <access token>` issued by the portal's token endpoint
  (`/oidc/token/`, django-oauth-toolkit) to a relying party that belongs to an agency, with the scope
  `dossiers.sync`.

A request costs few queries: what a key or token resolves to, and the agency tree, are cached for a short while
(`CACHE_TTL_SECONDS`; shared between workers when `CACHE_URL` is Redis). A deactivated integration or a revoked
token may therefore still be accepted for that long.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security.base import AuthBase

from dichvucong.core import signing
from dichvucong.dossiers.models import AgencyIntegration, DossierEvent
from dichvucong.dossiers.sync import SyncSource

SCOPE = "dossiers.sync"
KEY_HEADER = "x-dvc-key-id"
CACHE_TTL_SECONDS = 30
SYNCED_AT_EVERY_SECONDS = 60
# A request body larger than this is refused (413) before it is read: a result file at its largest, plus the
# multipart envelope. A full batch of status events is far smaller.
BODY_LIMIT = settings.DOSSIER_MAX_FILE_BYTES + 2 * 1024 * 1024


@dataclass(frozen=True)
class AgencyCaller:
    """Who is calling: the source the sync writes with, and how the caller authenticated."""

    source: SyncSource
    method: str  # "hmac" | "oauth"
    integration_id: int | None = None

    @property
    def agency_ids(self) -> frozenset[int]:
        return self.source.allowed_agency_ids


def raw_body(request: HttpRequest) -> bytes:
    """The request body as sent (what the signature covers), read once and at most `BODY_LIMIT` bytes. Django's
    own `request.body` would refuse anything above `DATA_UPLOAD_MAX_MEMORY_SIZE` (2.5 MB), less than a result
    file may weigh."""
    cached = getattr(request, "_body", None)
    if isinstance(cached, bytes):
        return cached
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > BODY_LIMIT:
        raise HttpError(413, f"Yêu cầu quá lớn (tối đa {BODY_LIMIT // (1024 * 1024)} MB).")
    data = request.read(BODY_LIMIT + 1)
    if len(data) > BODY_LIMIT:
        raise HttpError(413, f"Yêu cầu quá lớn (tối đa {BODY_LIMIT // (1024 * 1024)} MB).")
    # Where Django keeps a body it has read, so that request.body, POST and FILES still work afterwards.
    request._body = data
    return data


def agency_tree(agency_id: int) -> frozenset[int]:
    """`agency_id` and every agency under it, cached for a short while."""
    key = f"dvc:agency-tree:{agency_id}"
    tree = cache.get(key)
    if tree is None:
        from dichvucong.accounts.selectors import agency_tree_ids

        tree = frozenset(agency_tree_ids(agency_id))
        cache.set(key, tree, CACHE_TTL_SECONDS)
    return frozenset(tree)


def _source(agency_id: int) -> SyncSource:
    return SyncSource(
        agency_id=agency_id, allowed_agency_ids=agency_tree(agency_id), kind=DossierEvent.Source.API
    )


# --- HMAC (Standard Webhooks) -------------------------------------------------------------------------------


def _integration(key_id: str) -> dict[str, Any] | None:
    key = "dvc:agency-key:" + hashlib.sha256(key_id.encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        row = (
            AgencyIntegration.objects.filter(key_id=key_id)
            .values("id", "agency_id", "secret", "is_active")
            .first()
        )
        found = row or {}
        cache.set(key, found, CACHE_TTL_SECONDS if row else 5)
    return found or None


def _signed_caller(request: HttpRequest, key_id: str) -> AgencyCaller:
    integration = _integration(key_id)
    if integration is None or not integration["is_active"]:
        raise HttpError(401, f"Không có hệ thống một cửa đang hoạt động với mã khóa {key_id[:80]}.")
    headers = request.headers
    raw_timestamp = headers.get("webhook-timestamp", "")
    if not headers.get("webhook-id") or not raw_timestamp or not headers.get("webhook-signature"):
        raise HttpError(401, "Thiếu tiêu đề webhook-id, webhook-timestamp hoặc webhook-signature.")
    try:
        stamp = int(raw_timestamp)
    except ValueError as exc:
        raise HttpError(401, "webhook-timestamp phải là số giây kể từ 1970-01-01 (Unix time).") from exc
    if abs(time.time() - stamp) > signing.DEFAULT_TOLERANCE_SECONDS:
        raise HttpError(
            401,
            "webhook-timestamp lệch quá 5 phút so với đồng hồ của Cổng: kiểm tra đồng hồ của hệ thống và ký lại "
            "yêu cầu.",
        )
    try:
        signing.verify(integration["secret"], headers, raw_body(request))
    except signing.SignatureError as exc:
        raise HttpError(401, "Chữ ký webhook-signature không khớp với nội dung yêu cầu.") from exc
    return AgencyCaller(_source(integration["agency_id"]), "hmac", integration["id"])


# --- OAuth 2 client credentials ------------------------------------------------------------------------------


def _token_agency(token: str) -> int:
    """The agency of the relying party a client-credentials access token was issued to."""
    from oauth2_provider.models import get_access_token_model

    checksum = hashlib.sha256(token.encode()).hexdigest()
    key = f"dvc:agency-token:{checksum}"
    cached = cache.get(key)
    if cached is not None:
        agency_id, expires_at = cached
        if expires_at > time.time():
            return int(agency_id)
        raise HttpError(401, "Mã truy cập đã hết hạn.")
    found = (
        get_access_token_model().objects.select_related("application").filter(token_checksum=checksum).first()
    )
    if found is None or found.is_expired():
        raise HttpError(401, "Mã truy cập không hợp lệ hoặc đã hết hạn.")
    if SCOPE not in found.scope.split():
        raise HttpError(403, f"Mã truy cập không có phạm vi {SCOPE}.")
    party: Any = found.application
    if found.user_id is not None or party is None or not getattr(party, "is_active", False):
        raise HttpError(403, "Mã truy cập phải được cấp cho hệ thống (client credentials) đang hoạt động.")
    if party.agency_id is None:
        raise HttpError(403, "Cổng kết nối chưa được gắn với cơ quan nào: không thể đồng bộ hồ sơ.")
    expires_at = found.expires.timestamp()
    cache.set(
        key, (party.agency_id, expires_at), max(1, min(CACHE_TTL_SECONDS, int(expires_at - time.time())))
    )
    return int(party.agency_id)


# --- the ninja auth callable --------------------------------------------------------------------------------


class AgencyAuth(AuthBase):
    """django-ninja authentication of agency systems: HMAC when `x-dvc-key-id` is present, else a Bearer
    token. Failures are RFC 9457 problems with the reason in Vietnamese (401, or 403 when authenticated but not
    allowed); `request.auth` is the `AgencyCaller`."""

    openapi_type = "apiKey"
    openapi_name = KEY_HEADER
    openapi_in = "header"
    openapi_description = (
        "Mã khóa của hệ thống một cửa, kèm chữ ký Standard Webhooks (webhook-id, webhook-timestamp, "
        f"webhook-signature) trên nội dung yêu cầu; hoặc Authorization: Bearer với mã truy cập phạm vi {SCOPE}."
    )

    def __call__(self, request: HttpRequest) -> AgencyCaller | None:
        key_id = request.headers.get(KEY_HEADER, "").strip()
        if key_id:
            return _signed_caller(request, key_id)
        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return AgencyCaller(_source(_token_agency(token.strip())), "oauth")
        raise HttpError(
            401,
            f"Cần xác thực: tiêu đề {KEY_HEADER} và chữ ký Standard Webhooks, hoặc Authorization: Bearer với mã "
            f"truy cập có phạm vi {SCOPE}.",
        )


def touch_integration(integration_id: int | None) -> None:
    """Record that an integration synced (`last_synced_at`), at most once a minute per integration (per cache:
    per process with the default in-process cache, across workers with Redis)."""
    if integration_id is None:
        return
    if cache.add(f"dvc:agency-synced:{integration_id}", 1, SYNCED_AT_EVERY_SECONDS):
        AgencyIntegration.objects.filter(pk=integration_id).update(last_synced_at=timezone.now())
