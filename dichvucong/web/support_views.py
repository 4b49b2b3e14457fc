"""The support pages: the help centre, asking a question, a ticket for the person who asked (signed in as its
owner, or with its code and the phone number it was opened with) and following it up, and a person's tickets.

Each view reads the request, calls one service (writes) or `support_pages` (reads) and renders; a refused value
comes back next to its field, with everything typed kept. Failed look-ups by code and phone are limited per
address and per code; the tickets a browser may read after a successful look-up are remembered in its session.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dichvucong.core.audit import client_ip
from dichvucong.core.errors import DomainError, NotFound, ValidationFailed
from dichvucong.support import selectors, services
from dichvucong.support.models import Ticket, TicketChannel

from . import support_pages as pages

LOOKUP_ATTEMPTS = settings.SUPPORT_LOOKUP_ATTEMPTS
LOOKUP_WINDOW_SECONDS = settings.SUPPORT_LOOKUP_WINDOW_SECONDS
# Questions one address may ask in an hour (the form is open to anyone).
ASK_PER_HOUR = settings.SUPPORT_QUESTIONS_PER_HOUR
SESSION_KEY = "support_tickets"  # {code: phone or e-mail} of the tickets this browser looked up or opened
SESSION_TICKETS_MAX = 20
_CODE_CHARS = re.compile(r"[^A-Z0-9-]")


# --- throttling ---------------------------------------------------------------------------------------------------


def _count(key: str, window: int) -> None:
    if cache.add(key, 1, window):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window)


def _lookup_keys(request: HttpRequest, code: str) -> list[str]:
    digest = hashlib.sha256(code.strip().upper().encode()).hexdigest()[:32]
    return [f"support-lookup:ip:{client_ip(request) or '-'}", f"support-lookup:code:{digest}"]


def _blocked(keys: list[str], limit: int) -> bool:
    return any(int(cache.get(key) or 0) >= limit for key in keys)


def _too_many() -> str:
    return _("Bạn đã tra cứu không đúng quá nhiều lần. Vui lòng thử lại sau %(n)d phút.") % {
        "n": max(1, LOOKUP_WINDOW_SECONDS // 60)
    }


# --- the session's tickets ----------------------------------------------------------------------------------------


def _contact(value: str) -> dict[str, str]:
    """A phone number or an e-mail address typed in one box, as `ticket_for_asker` takes it."""
    value = value.strip()[:254]
    return {"email": value} if "@" in value else {"phone": value}


def _remember(request: HttpRequest, ticket: Ticket) -> None:
    known: dict[str, str] = dict(request.session.get(SESSION_KEY) or {})
    known.pop(ticket.code, None)
    known[ticket.code] = ticket.caller_phone or ticket.caller_email
    request.session[SESSION_KEY] = dict(list(known.items())[-SESSION_TICKETS_MAX:])


def _session_contact(request: HttpRequest, code: str) -> dict[str, str]:
    return _contact(str((request.session.get(SESSION_KEY) or {}).get(code, "")))


def _accessible(request: HttpRequest, code: str) -> Ticket | None:
    """The ticket if this browser may read it: its owner signed in, or looked up (or opened) in this session."""
    try:
        return selectors.ticket_for_asker(code, user=request.user, **_session_contact(request, code))
    except NotFound:
        return None


# --- pages --------------------------------------------------------------------------------------------------------


@require_GET
def support(request: HttpRequest) -> HttpResponse:
    """The help centre: the hotline, the questions and answers, feedback, and asking a question; `?ma=` goes
    to the ticket with that code (its page asks for the phone number)."""
    code = _CODE_CHARS.sub("", request.GET.get("ma", "").upper())[:24]
    if code:
        return HttpResponseRedirect(reverse("web:ticket_detail", args=[code]))
    return render(request, "web/support/home.html", {"page": pages.support_page(request.GET)})


@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    """Ask a question. Refused values come back next to their field, with everything typed kept."""
    if request.method == "GET":
        values = pages.ask_values(request.GET, request.user)
        return render(request, "web/support/ask.html", {"page": pages.ask_page(values)})
    values = pages.posted_values(request.POST)
    key = f"support-ask:ip:{client_ip(request) or '-'}"
    if _blocked([key], ASK_PER_HOUR):
        failure = ValidationFailed(summary=_("Bạn đã gửi quá nhiều câu hỏi. Vui lòng thử lại sau một giờ."))
        return render(request, "web/support/ask.html", {"page": pages.ask_page(values, failure)}, status=429)
    try:
        ticket = services.open_ticket(
            channel=TicketChannel.WEB,
            topic=values["topic"],
            subject=values["subject"],
            description=values["description"],
            caller_name=values["caller_name"],
            caller_phone=values["caller_phone"],
            caller_email=values["caller_email"],
            procedure_code=values["procedure_code"],
            dossier_code=values["dossier_code"],
            user=request.user if request.user.is_authenticated else None,
            request=request,
        )
    except ValidationFailed as failure:
        return render(request, "web/support/ask.html", {"page": pages.ask_page(values, failure)}, status=400)
    _count(key, 3600)
    _remember(request, ticket)
    messages.success(
        request,
        _("Đã gửi câu hỏi. Mã yêu cầu của bạn là %(code)s; hãy ghi lại để tra cứu trả lời.")
        % {"code": ticket.code},
    )
    return HttpResponseRedirect(reverse("web:ticket_detail", args=[ticket.code]))


def _lookup(request: HttpRequest, code: str) -> HttpResponse:
    """The code and phone form: the same answer whether the code or the number is wrong."""
    keys = _lookup_keys(request, code)
    context: dict[str, Any] = {"lookup": pages.LookupPage(code=code)}
    if _blocked(keys, LOOKUP_ATTEMPTS):
        context["lookup"] = pages.LookupPage(code=code, error=_too_many())
        return render(request, "web/support/lookup.html", context, status=429)
    try:
        ticket = selectors.ticket_for_asker(code, **_contact(request.POST.get("contact", "")))
    except NotFound as exc:
        for key in keys:
            _count(key, LOOKUP_WINDOW_SECONDS)
        context["lookup"] = pages.LookupPage(code=code, error=exc.message)
        return render(request, "web/support/lookup.html", context, status=404)
    _remember(request, ticket)
    return HttpResponseRedirect(reverse("web:ticket_detail", args=[ticket.code]))


@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, code: str) -> HttpResponse:
    """A ticket for the person who asked, with a form to add to it; anyone else gets the code and phone form."""
    code = code.strip().upper()[:24]
    ticket = _accessible(request, code)
    if request.method == "POST" and request.POST.get("action") == "tra-cuu":
        return _lookup(request, code)
    if ticket is None:
        return render(request, "web/support/lookup.html", {"lookup": pages.LookupPage(code=code)})
    if request.method == "GET":
        return render(request, "web/support/ticket.html", {"page": pages.ticket_page(ticket)})
    text = request.POST.get("text", "")[:5000]
    contact = _session_contact(request, code)
    try:
        services.add_message(
            ticket_id=ticket.pk,
            text=text,
            user=request.user,
            phone=contact.get("phone", ""),
            email=contact.get("email", ""),
        )
    except NotFound:
        raise
    except DomainError as exc:
        message = exc.errors[0].message if isinstance(exc, ValidationFailed) and exc.errors else exc.message
        page = pages.ticket_page(ticket, message=text, error=message)
        status = 400 if isinstance(exc, ValidationFailed) else exc.status
        return render(request, "web/support/ticket.html", {"page": page}, status=status)
    messages.success(request, _("Đã gửi thêm thông tin."))
    return HttpResponseRedirect(reverse("web:ticket_detail", args=[ticket.code]))


@login_required
@require_GET
def my_tickets(request: HttpRequest) -> HttpResponse:
    page = pages.my_tickets_page(request.user, request.GET.get("page"))
    return render(request, "web/support/my_tickets.html", {"page": page})
