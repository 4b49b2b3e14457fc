"""Single sign-on bookkeeping and single sign-out (OpenID Connect Back-Channel Logout 1.0).

A relying party is remembered against the portal session that signed in to it (`RelyingPartySession`). When
that session ends — the person signs out here or at any relying party, an operator or the person revokes it —
every relying party it signed in to is told with a signed logout token, and the tokens they were given are
revoked so that a refresh no longer works. Delivery is an outbox: the rows are written with the session's end
and sent after the commit; what fails is re-sent by `deliver_pending_logouts` (management command
`deliverlogouts`, run periodically).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from jwcrypto import jwt
from oauth2_provider.models import AccessToken, RefreshToken
from oauth2_provider.settings import oauth2_settings

from . import keys
from .models import BackchannelLogout, LogoutStatus, PortalSession, RelyingParty, RelyingPartySession
from .oidc import code_hash

log = logging.getLogger(__name__)

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def issuer(request: HttpRequest | None) -> str:
    """The issuer as the relying parties know it: the setting, else as built from the request (development)."""
    if oauth2_settings.OIDC_ISS_ENDPOINT or request is None:
        return str(oauth2_settings.OIDC_ISS_ENDPOINT or settings.OIDC_ISSUER_FALLBACK)
    return str(oauth2_settings.oidc_issuer(request))


def record_authorization(
    *, portal_session: PortalSession, relying_party: RelyingParty, redirect_uri: str
) -> None:
    """Remember that `portal_session` was given an authorization code for `relying_party` (the code is read
    from the redirect the provider made; only its hash is kept)."""
    codes = parse_qs(urlparse(redirect_uri).query).get("code")
    if not codes:
        return
    RelyingPartySession.objects.get_or_create(
        code_hash=code_hash(codes[0]),
        defaults={"portal_session": portal_session, "relying_party": relying_party},
    )


def end_portal_session(
    session: PortalSession, *, reason: str, request: HttpRequest | None = None
) -> list[int]:
    """End `session` and everything signed in from it; returns the ids of the logout rows to deliver.

    Runs inside the caller's transaction; the caller delivers after commit (`deliver_after_commit`)."""
    now = timezone.now()
    if session.ended_at is None:
        PortalSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
            ended_at=now, end_reason=reason
        )
        session.ended_at = now
    rp_sessions = list(
        RelyingPartySession.objects.select_related("relying_party").filter(
            portal_session=session, ended_at__isnull=True
        )
    )
    families = [s.token_family for s in rp_sessions if s.token_family]
    if families:
        revoke_token_families(families)
    RelyingPartySession.objects.filter(pk__in=[s.pk for s in rp_sessions]).update(ended_at=now)
    outbox = []
    for party in {s.relying_party for s in rp_sessions}:
        if party.backchannel_logout_uri:
            outbox.append(
                BackchannelLogout.objects.create(
                    relying_party=party, sid=session.sid, subject=str(session.user_id), issuer=issuer(request)
                )
            )
    return [row.pk for row in outbox]


def revoke_token_families(families: list[Any]) -> None:
    """Revoke every access and refresh token descended from the given refresh-token families."""
    refresh = RefreshToken.objects.filter(token_family__in=families, revoked__isnull=True)
    access_ids = list(refresh.exclude(access_token__isnull=True).values_list("access_token_id", flat=True))
    access_ids += list(
        AccessToken.objects.filter(source_refresh_token__token_family__in=families).values_list(
            "id", flat=True
        )
    )
    refresh.update(revoked=timezone.now(), access_token=None)
    AccessToken.objects.filter(id__in=access_ids).delete()


def logout_token(*, relying_party: RelyingParty, sid: uuid.UUID, subject: str, iss: str) -> str:
    """A logout token as in Back-Channel Logout 1.0 §2.4, signed with the portal's active key."""
    key = keys.active_jwk()
    now = int(time.time())
    claims = {
        "iss": iss,
        "aud": relying_party.client_id,
        "iat": now,
        "exp": now + settings.OIDC_LOGOUT_TOKEN_SECONDS,
        "jti": str(uuid.uuid4()),
        "sub": subject,
        "sid": str(sid),
        "events": {BACKCHANNEL_EVENT: {}},
    }
    token = jwt.JWT(
        header={"alg": "RS256", "kid": key.thumbprint(), "typ": "logout+jwt"}, claims=json.dumps(claims)
    )
    token.make_signed_token(key)
    return str(token.serialize())


def _deliver(row_id: int) -> bool:
    row = BackchannelLogout.objects.select_related("relying_party").get(pk=row_id)
    if row.status != LogoutStatus.PENDING:
        return row.status == LogoutStatus.DELIVERED
    token = logout_token(relying_party=row.relying_party, sid=row.sid, subject=row.subject, iss=row.issuer)
    error = ""
    try:
        response = requests.post(
            row.relying_party.backchannel_logout_uri,
            data={"logout_token": token},
            timeout=settings.OIDC_BACKCHANNEL_TIMEOUT_SECONDS,
            headers={"Cache-Control": "no-store"},
        )
        delivered = response.status_code in (200, 204)
        if not delivered:
            error = f"HTTP {response.status_code}"
    except requests.RequestException as exc:
        delivered = False
        error = type(exc).__name__
    attempts = row.attempts + 1
    if delivered:
        status, next_at = LogoutStatus.DELIVERED, timezone.now()
    elif attempts >= settings.OIDC_BACKCHANNEL_MAX_ATTEMPTS:
        status, next_at = LogoutStatus.FAILED, timezone.now()
    else:
        status, next_at = LogoutStatus.PENDING, timezone.now() + timedelta(seconds=30 * 2 ** (attempts - 1))
    BackchannelLogout.objects.filter(pk=row.pk).update(
        status=status,
        attempts=attempts,
        last_error=error,
        next_attempt_at=next_at,
        delivered_at=timezone.now() if delivered else None,
    )
    if not delivered:
        log.warning("back-channel logout to %s failed: %s", row.relying_party.client_id, error)
    return delivered


def deliver(row_ids: list[int]) -> int:
    """Send the given logout rows, one after another with a short timeout each (a relying party that does not
    answer in time is re-tried by the sweep, so sign-out is never held up for long)."""
    return sum(int(_deliver(row_id)) for row_id in row_ids)


def deliver_after_commit(row_ids: list[int]) -> None:
    if row_ids:
        transaction.on_commit(lambda: deliver(row_ids))


def deliver_pending_logouts(limit: int = 500) -> int:
    """The sweep: re-send what is still pending and due."""
    due = list(
        BackchannelLogout.objects.filter(status=LogoutStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return deliver(due)


def current_portal_session(request: HttpRequest) -> PortalSession | None:
    """The open portal session of this browser, read once per request (the authorization view asks twice)."""
    cached: PortalSession | None = getattr(request, "_portal_session", None)
    if cached is not None and cached.ended_at is None:
        return cached
    sid = request.session.get("portal_sid")
    if not sid:
        return None
    session = PortalSession.objects.filter(sid=sid, ended_at__isnull=True).first()
    request._portal_session = session  # type: ignore[attr-defined]
    return session
