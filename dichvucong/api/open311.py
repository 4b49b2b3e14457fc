"""The Open311 GeoReport v2 interface over feedback (plain Django views: it answers JSON and XML), under
settings.OPEN311_PATH: service discovery, the services (the kinds of feedback) and their definitions, filing a
request (an application holding an api_key files feedback for a citizen), reading requests and the token
look-up. What each field means here, and what is never shown, is in docs/open311.md; the formats in
`open311_formats`, the services and the reading of a POST in `open311_catalog`, the requests in
`open311_requests`.

Errors are the specification's: a list of `code` and `description` (Vietnamese, "<parameter>: <message>" when one
parameter is at fault), with the HTTP status the specification gives: 404 for what does not exist (a service, a
request, a jurisdiction, a format), 403 for a missing or wrong api_key, 400 for anything else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.urls import re_path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from dichvucong.core.errors import DomainError, ValidationFailed
from dichvucong.feedback import selectors
from dichvucong.feedback.models import Channel
from dichvucong.feedback.services import Submission, submit_feedback

from . import open311_requests as found
from .open311_catalog import SERVICES, read_request, service_definition, service_list, service_notice
from .open311_formats import FORMATS, MIME_TYPES, XML, errors, parse_w3c, render

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# Changes when the discovery document, the services or their definitions change (the specification: clients
# refresh what they cached when it does).
CHANGESET = "2026-11-23T00:00:00+07:00"
HOTLINE = "18001096"

View = Callable[..., HttpResponse]


def _parameter(request: HttpRequest, name: str) -> str:
    """A parameter from the form of a POST or the query string (clients put api_key and jurisdiction_id in
    either); an empty one is the same as none (the specification's "Optional Arguments")."""
    return (request.POST.get(name) or request.GET.get(name) or "").strip()


def _endpoint(*methods: str, jurisdiction: bool = True) -> Callable[[View], View]:
    """The checks every address shares: the format (json or xml, else 404), the method (405), the
    jurisdiction_id when one is given (404 unless it is this portal's), and domain errors turned into the
    specification's errors."""

    def decorate(view: View) -> View:
        @csrf_exempt  # an api_key authenticates POST requests; there is no session to protect
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            fmt = fmt.lower()
            if fmt not in FORMATS:
                return errors(
                    XML, 404, _("Định dạng “%(fmt)s” không được hỗ trợ: dùng .xml hoặc .json.") % {"fmt": fmt}
                )
            allowed = {*methods, "HEAD"} if "GET" in methods else set(methods)
            if request.method not in allowed:
                response = errors(
                    fmt, 405, _("Phương thức %(method)s không được hỗ trợ.") % {"method": request.method}
                )
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                jurisdiction_id = _parameter(request, "jurisdiction_id")
            except RequestDataTooBig:
                return errors(fmt, 400, _("Yêu cầu quá lớn."))
            if jurisdiction and jurisdiction_id and jurisdiction_id != settings.OPEN311_JURISDICTION_ID:
                return errors(
                    fmt,
                    404,
                    _("jurisdiction_id: không có “%(given)s”; Cổng này phục vụ “%(ours)s”.")
                    % {"given": jurisdiction_id, "ours": settings.OPEN311_JURISDICTION_ID},
                )
            try:
                return view(request, fmt, **kwargs)
            except DomainError as exc:
                status = exc.status if exc.status in (403, 404) else 400
                return errors(fmt, status, exc.message)

        return wrapper

    return decorate


@_endpoint("GET", jurisdiction=False)
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri("/" + settings.OPEN311_PATH).rstrip("/")
    document = {
        "changeset": CHANGESET,
        "contact": _("Cổng Dịch vụ công, tổng đài hỗ trợ %(hotline)s: %(site)s")
        % {"hotline": HOTLINE, "site": request.build_absolute_uri("/")},
        "key_service": _(
            "Khoá api_key chỉ cần để gửi phản ánh, kiến nghị (POST requests). Cơ quan, tổ chức phát triển ứng dụng "
            "đề nghị cấp khoá qua tổng đài %(hotline)s; quản trị viên Cổng tạo khoá trong trang quản trị (Ứng dụng "
            "Open311)."
        )
        % {"hotline": HOTLINE},
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": list(MIME_TYPES),
            }
        ],
    }
    return render(fmt, "discovery", document)


@_endpoint("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return render(fmt, "services", service_list())


def _unknown_service(fmt: str, code: str) -> HttpResponse:
    return errors(fmt, 404, _("service_code: không có loại phản ánh, kiến nghị “%(code)s”.") % {"code": code})


@_endpoint("GET")
def definition(request: HttpRequest, fmt: str, service_code: str) -> HttpResponse:
    if service_code not in SERVICES:
        return _unknown_service(fmt, service_code)
    return render(fmt, "service_definition", service_definition(service_code))


@_endpoint("GET", "POST")
def service_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    return _file(request, fmt) if request.method == "POST" else _search(request, fmt)


def _file(request: HttpRequest, fmt: str) -> HttpResponse:
    """POST requests: the feedback is filed at once; its tracking code is the service_request_id."""
    api_key = _parameter(request, "api_key")
    if not api_key:
        return errors(fmt, 403, _("api_key: thiếu khoá; cần khoá do Cổng cấp để gửi phản ánh, kiến nghị."))
    client = selectors.open311_client_for_key(api_key)
    if client is None:
        return errors(fmt, 403, _("api_key: khoá không hợp lệ hoặc đã bị thu hồi."))
    service_code = request.POST.get("service_code", "").strip()
    if not service_code:
        return errors(fmt, 400, _("service_code: thiếu loại phản ánh, kiến nghị (xem services)."))
    if service_code not in SERVICES:
        return _unknown_service(fmt, service_code)
    parsed = read_request(dict(request.POST.lists()))
    if parsed.problems:
        return errors(fmt, 400, *parsed.problems)
    submission = Submission(kind=service_code, channel=Channel.OPEN311, client=client, **parsed.fields)
    try:
        feedback = submit_feedback(submission=submission)
    except ValidationFailed as exc:
        problems = [f"{parsed.sources.get(e.column, e.column)}: {e.message}" for e in exc.errors]
        return errors(fmt, 400, *(problems or [exc.summary or exc.message]))
    answer = {
        "service_request_id": feedback.code,
        "service_notice": service_notice(),
        "account_id": feedback.account_id or None,
    }
    return render(fmt, "service_requests", [answer])


def _list(value: str) -> list[str]:
    return list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def _int(request: HttpRequest, name: str, default: int, low: int, high: int, problems: list[str]) -> int:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    if raw.isdigit() and low <= int(raw) <= high:
        return int(raw)
    problems.append(
        _("%(name)s: phải là số nguyên từ %(low)s đến %(high)s.") % {"name": name, "low": low, "high": high}
    )
    return default


def _date(request: HttpRequest, name: str, problems: list[str]) -> dt.datetime | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        return parse_w3c(raw)
    except ValueError:
        problems.append(
            _(
                "%(name)s: “%(value)s” không đúng định dạng W3C, ví dụ 2026-01-31T00:00:00+07:00 hoặc 2026-01-31."
            )
            % {"name": name, "value": raw}
        )
        return None


def _window(request: HttpRequest, problems: list[str]) -> tuple[dt.datetime, dt.datetime]:
    """start_date and end_date: the last 90 days when neither is given, 90 days from (or to) the one given, and
    at most 90 days (the specification)."""
    start, end = _date(request, "start_date", problems), _date(request, "end_date", problems)
    if start and end:
        if end < start:
            problems.append(_("end_date: phải sau start_date."))
        elif end - start > found.WINDOW:
            problems.append(
                _("start_date, end_date: khoảng thời gian không quá %(days)s ngày.")
                % {"days": found.WINDOW.days}
            )
        return start, end
    if start:
        return start, start + found.WINDOW
    end = end or timezone.now()
    return end - found.WINDOW, end


def _search(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET requests: by service_request_id (which overrides every other filter), or by kinds, statuses and a
    window of receipt dates; newest first; page and page_size (this portal's addition) page through more than
    1,000."""
    problems: list[str] = []
    codes = _list(request.GET.get("service_request_id", ""))
    if codes:
        if len(codes) > found.MAX_RESULTS:
            return errors(fmt, 400, _("service_request_id: tối đa %(max)s mã.") % {"max": found.MAX_RESULTS})
        return render(fmt, "service_requests", [found.request_data(f) for f in found.by_codes(codes)])
    service_codes = _list(request.GET.get("service_code", ""))
    for code in service_codes:
        if code not in SERVICES:
            problems.append(_("service_code: không có loại phản ánh, kiến nghị “%(code)s”.") % {"code": code})
    statuses = [s.lower() for s in _list(request.GET.get("status", ""))]
    for status in statuses:
        if status not in found.STATUSES:
            problems.append(_("status: “%(value)s” không hợp lệ; dùng open, closed.") % {"value": status})
    start, end = _window(request, problems)
    page_size = _int(request, "page_size", found.MAX_RESULTS, 1, found.MAX_RESULTS, problems)
    page = _int(request, "page", 1, 1, 10**6, problems)
    if problems:
        return errors(fmt, 400, *problems)
    rows = found.search(
        start=start,
        end=end,
        service_codes=service_codes,
        statuses=statuses,
        offset=(page - 1) * page_size,
        limit=page_size,
    )
    return render(fmt, "service_requests", [found.request_data(f) for f in rows])


def _no_request(fmt: str, code: str) -> HttpResponse:
    return errors(
        fmt, 404, _("service_request_id: không có phản ánh, kiến nghị mã “%(code)s”.") % {"code": code}
    )


@_endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, service_request_id: str) -> HttpResponse:
    rows = found.by_codes([service_request_id])
    if not rows:
        return _no_request(fmt, service_request_id)
    return render(fmt, "service_requests", [found.request_data(rows[0])])


@_endpoint("GET")
def token(request: HttpRequest, fmt: str, token_id: str) -> HttpResponse:
    """The specification's token look-up. Every request is "realtime" here (POST gives the service_request_id at
    once), so a token is the tracking code itself: this only confirms it exists."""
    rows = found.by_codes([token_id])
    if not rows:
        return errors(fmt, 404, _("token: không có mã “%(token)s”.") % {"token": token_id})
    return render(fmt, "service_requests", [{"service_request_id": rows[0].code, "token": token_id}])


_FMT = r"\.(?P<fmt>[^./]+)$"
urlpatterns = [
    re_path(rf"^discovery{_FMT}", discovery, name="open311_discovery"),
    re_path(rf"^services{_FMT}", services, name="open311_services"),
    re_path(rf"^services/(?P<service_code>[^/]+?){_FMT}", definition, name="open311_service_definition"),
    re_path(rf"^requests{_FMT}", service_requests, name="open311_requests"),
    re_path(rf"^requests/(?P<service_request_id>[^/]+?){_FMT}", request_detail, name="open311_request"),
    re_path(rf"^tokens/(?P<token_id>[^/]+?){_FMT}", token, name="open311_token"),
]
