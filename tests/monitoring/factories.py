"""Factories for the monitoring tests: integrations, and calls recorded through the real service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from dichvucong.core import signing
from dichvucong.monitoring import services
from dichvucong.monitoring.models import Direction, Kind

SECRET = "whsec_c2FuZGJveC1vbmVzdG9wLWhhLW5vaS1kZW1vLWtleSE="


def onestop(
    root: str = "UBND-01", *, endpoint: str = "http://127.0.0.1:9", key_id: str = "", **extra: Any
) -> Any:
    from dichvucong.dossiers.models import AgencyIntegration
    from dichvucong.organisations.models import Agency

    return AgencyIntegration.objects.create(
        agency=Agency.objects.get(code=root),
        name=f"Hệ thống một cửa {root}",
        endpoint_url=endpoint,
        key_id=key_id or f"mot-cua-{root.lower()}",
        secret=extra.pop("secret", signing.new_secret()),
        **extra,
    )


def calls(
    integration: Any,
    pattern: str,
    *,
    end: dt.datetime | None = None,
    direction: str = Direction.OUT,
    kind: str = Kind.ONESTOP,
    spacing: dt.timedelta = dt.timedelta(seconds=10),
) -> None:
    """Calls in the order of `pattern`, oldest first: "o" ok, "x" failed; the last one at `end` (default now)."""
    end = end or timezone.now()
    for index, mark in enumerate(pattern):
        services.record_call(
            kind=kind,
            integration_id=integration.pk,
            direction=direction,
            operation="dossier" if direction == Direction.OUT else "status-events",
            ok=mark == "o",
            status_code=200 if mark == "o" else 503,
            error="" if mark == "o" else "answered 503",
            at=end - spacing * (len(pattern) - 1 - index),
        )
