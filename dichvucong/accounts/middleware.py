"""Keeps the record of the portal session in step with the browser session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .models import PortalSession
from .selectors import agency_scope

TOUCH_EVERY = dt.timedelta(minutes=5)


class PortalSessionMiddleware:
    """Signs out a browser whose portal session was ended elsewhere (revoked from another device, ended by an
    operator) and notes when each session was last seen, at most every five minutes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        sid = request.session.get("portal_sid") if request.user.is_authenticated else None
        if sid:
            row = PortalSession.objects.filter(sid=sid).values("id", "ended_at", "last_seen_at").first()
            if row is None or row["ended_at"] is not None:
                logout(request)
            elif timezone.now() - row["last_seen_at"] > TOUCH_EVERY:
                PortalSession.objects.filter(pk=row["id"]).update(last_seen_at=timezone.now())
        return self.get_response(request)


class AgencyScopeMiddleware:
    """Puts the signed-in person's agency scope on the request (`request.agency_scope`), computed on first use;
    the back office and the officer API filter by it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.agency_scope = SimpleLazyObject(lambda: agency_scope(request.user))  # type: ignore[attr-defined]
        return self.get_response(request)
