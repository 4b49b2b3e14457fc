"""Writing the audit log (nhật ký kiểm toán). Every sign-in, sign-out, consent, role change and back-office
change goes through `record`; the log is append-only and holds no identification number in clear."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dichvucong.core.models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    """The address the request came from. Behind the production proxy, REMOTE_ADDR is set from the trusted
    X-Forwarded-For by the proxy configuration (gunicorn --forwarded-allow-ips), not read here."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    actor: Any = None,
    request: HttpRequest | None = None,
    target: Any = None,
    agency_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. `actor` defaults to the request's user; `target` is any model instance."""
    user = getattr(request, "user", None) if request is not None else None
    if actor is None and user is not None and user.is_authenticated:
        actor = user
    object_type = object_id = object_label = ""
    if target is not None:
        object_type = f"{target._meta.app_label}.{target._meta.model_name}"
        object_id = str(target.pk)
        object_label = str(target)[:300]
        if agency_id is None and object_type == "organisations.agency":
            agency_id = target.pk
        elif agency_id is None:
            agency_id = getattr(target, "agency_id", None) or getattr(target, "managing_agency_id", None)
    if agency_id is None and actor is not None:
        agency_id = getattr(actor, "agency_id", None)
    return AuditEvent.objects.create(
        action=action,
        actor_id=actor.pk if actor is not None else None,
        actor_label=(actor.username if actor else "")[:200],
        ip_address=client_ip(request),
        object_type=object_type,
        object_id=object_id,
        object_label=object_label,
        agency_id=agency_id,
        detail=detail or {},
    )
