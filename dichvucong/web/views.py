"""The portal's pages. Each view reads the request, asks `pages` for what the page shows and renders it."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from . import pages

logger = logging.getLogger(__name__)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"page": pages.home_page()})


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    return render(
        request, "web/_suggestions.html", {"query": query.strip(), "suggestions": pages.suggestions(query)}
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    return render(request, "web/search.html", {"page": pages.search_page(request.GET)})


@require_GET
def life_event(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "web/life_event.html", {"page": pages.life_event_page(slug)})


def _procedure_page(request: HttpRequest, code: str) -> pages.ProcedurePage:
    return pages.procedure_page(code, version=pages.version_number(request.GET.get("phien-ban")))


@require_GET
def language(request: HttpRequest, language: str) -> HttpResponse:
    """Switch the language with a plain link (no form, no CSRF token), so that pages stay cacheable; choosing a
    language changes nothing but a preference cookie."""
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = "/"
    response = HttpResponseRedirect(target)
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


# A procedure page is the same for every anonymous visitor: it is cached whole per version asked for and
# language. A new version shows within PROCEDURE_PAGE_SECONDS (the body fragment is keyed by version and never
# stale). A signed-in person's page carries their name in the header, so it is rendered for them (the body
# fragment still comes from the cache).
PROCEDURE_PAGE_SECONDS = 60


@require_GET
def procedure(request: HttpRequest, code: str) -> HttpResponse:
    if request.user.is_authenticated:
        return render(request, "web/procedure.html", {"page": _procedure_page(request, code)})
    version = pages.version_number(request.GET.get("phien-ban"))
    key = f"page:procedure:{code}:{version or ''}:{get_language()}"
    html = cache.get(key)
    if html is None:
        html = render_to_string("web/procedure.html", {"page": _procedure_page(request, code)}, request)
        cache.set(key, html, PROCEDURE_PAGE_SECONDS)
    return HttpResponse(html)


@require_GET
def procedure_print(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "web/procedure_print.html", {"page": _procedure_page(request, code)})


@require_GET
def faqs(request: HttpRequest) -> HttpResponse:
    return render(request, "web/faqs.html", {"page": pages.faq_list_page(request.GET)})


@require_GET
def faq(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "web/faq.html", {"page": pages.faq_page(code)})


@require_GET
def agencies(request: HttpRequest) -> HttpResponse:
    return render(request, "web/agencies.html", {"page": pages.agency_list_page()})


@require_GET
def agency(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "web/agency.html", {"page": pages.agency_page(code, request.GET)})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


# Shown if even the 500 template cannot be rendered (it needs no database, but a template error is possible).
PLAIN_SERVER_ERROR = (
    '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Lỗi hệ thống</title></head>'
    '<body><main><h1>Đã có lỗi xảy ra</h1><p><a href="/">Về trang chủ</a></p></main></body></html>'
)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page: rendered without the database, which may be what failed."""
    body: str
    try:
        body = loader.render_to_string("500.html", request=request)
    except Exception:  # the error page must not fail in turn
        logger.exception("500 template failed")
        body = PLAIN_SERVER_ERROR
    return HttpResponseServerError(body)
