from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from dichvucong.core.errors import NotFound


class VietnameseFirstLocaleMiddleware(LocaleMiddleware):
    """Vietnamese unless the person chose another language on the site (the language cookie).

    Many citizens' phones and browsers are set to English; the portal does not guess from Accept-Language.
    The language is the request's only: the thread's language before it is restored afterwards, so that work
    done later on the same thread (a task run eagerly, the next test) is not done in the visitor's language.
    """

    def __call__(self, request: HttpRequest) -> HttpResponse:
        before = translation.get_language()
        try:
            response = cast(HttpResponse, super().__call__(request))  # the portal's middleware is synchronous
        finally:
            if before:
                translation.activate(before)
            else:
                translation.deactivate()
        return response

    def process_request(self, request: HttpRequest) -> None:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class NotFoundMiddleware:
    """A domain `NotFound` raised while rendering a page becomes the site's 404 page, so that views need not
    translate it one by one (the JSON API turns it into problem JSON itself)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotFound):
            return response_for_exception(request, Http404(exception.message))
        return None
