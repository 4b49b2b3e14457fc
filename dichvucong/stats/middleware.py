"""Counts visits to the site: a browser's first page of the day (Asia/Ho_Chi_Minh), marked by a cookie that
ends at midnight. API calls, static files, the back office and machines' endpoints are not visits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from dichvucong.stats import services

NOT_VISITS = ("/api/", "/static/", "/media/", "/quan-tri/", "/oidc/", "/open311/", "/healthz")


class VisitCounterMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.method == "GET"
            and settings.STATS_VISIT_COOKIE not in request.COOKIES
            and response.status_code == 200
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith(NOT_VISITS)
            and not getattr(request, "htmx", False)
        ):
            now = timezone.now()
            services.record_visit(at=now)
            local = now.astimezone(timezone.get_default_timezone())
            midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), local.tzinfo)
            response.set_cookie(
                settings.STATS_VISIT_COOKIE,
                "1",
                max_age=int((midnight - local).total_seconds()),
                samesite="Lax",
                secure=request.is_secure(),
                httponly=True,
            )
        return response
