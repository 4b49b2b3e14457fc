"""Reads of the help desk: the tickets an officer may see (the ticket's agency or the desk that opened it is in
their scope), the help desk's search, a citizen's own tickets, a ticket for the person who asked (signed in, or
its code and their phone number), and the questions and answers shown in the page of a procedure.

What is outside a person's reach answers NotFound, as if it did not exist.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from dichvucong.accounts.identifiers import normalize_phone
from dichvucong.catalogue import selectors as catalogue
from dichvucong.catalogue.models import Faq
from dichvucong.core.errors import NotFound, ValidationFailed
from dichvucong.core.scope import AgencyScope
from dichvucong.core.text import words

from .models import PUBLIC_ENTRY_KINDS, Ticket, TicketEntry

# Something typed in a search box that can only be a phone number: digits, +, spaces, dots, dashes, brackets.
_PHONE_LIKE_RE = re.compile(r"\+?[\d\s.\-()]{8,20}")
_PHONE_SEPARATORS_RE = re.compile(r"[\s.\-()]")
# Landlines ("024 3823 4567") and mobiles, with or without the country code.
_ANY_PHONE_RE = re.compile(r"0\d{8,10}")
SEARCH_WORDS_MAX = 8


# --- phone numbers ---------------------------------------------------------------------------------------------


def phone_digits(value: str) -> str | None:
    """A phone number as the help desk stores it: a mobile in its national form ("0912345678") from any way of
    writing it, or a landline's digits ("02438234567"); None when `value` is not a phone number."""
    value = value.strip()
    if not value:
        return None
    try:
        return normalize_phone(value)
    except ValidationFailed:
        pass
    digits = _PHONE_SEPARATORS_RE.sub("", value)
    if digits.startswith("+84"):
        digits = "0" + digits[3:].lstrip("0")
    return digits if _ANY_PHONE_RE.fullmatch(digits) else None


def is_mobile(phone: str) -> bool:
    try:
        normalize_phone(phone)
    except ValidationFailed:
        return False
    return True


# --- officers --------------------------------------------------------------------------------------------------


def visible_to(scope: AgencyScope) -> Q:
    """The tickets `scope` may see: the agency handling it or the desk that opened it is in scope."""
    if scope.agency_ids is None:
        return Q()
    ids = scope.agency_ids
    return Q(agency_id__in=ids) | Q(desk_agency_id__in=ids)


def is_visible(scope: AgencyScope, ticket: Ticket) -> bool:
    return scope.allows(ticket.agency_id) or scope.allows(ticket.desk_agency_id)


def search(tickets: QuerySet[Ticket], q: str) -> QuerySet[Ticket]:
    """Tickets matching what an agent typed: the ticket's code, the caller's phone (however written), one of
    the codes it is about, or words of the caller, codes, subject and description (every word, without
    diacritics)."""
    text = " ".join(q.split())[:200]
    if not text:
        return tickets
    upper = text.upper()
    found = (
        Q(code=upper)
        | Q(procedure_code=text)
        | Q(dossier_code__in={text, upper})
        | Q(payment_reference=upper)
        | Q(feedback_code=upper)
    )
    if _PHONE_LIKE_RE.fullmatch(text):
        phone = phone_digits(text)
        if phone:
            found |= Q(caller_phone=phone)
    wanted = words(text)[:SEARCH_WORDS_MAX]
    if wanted:
        all_words = Q()
        for word in wanted:
            all_words &= Q(search_text__contains=word)
        found |= all_words
    return tickets.filter(found)


def tickets_in_scope(
    scope: AgencyScope, *, q: str = "", status: str = "", topic: str = "", channel: str = ""
) -> QuerySet[Ticket]:
    """The tickets `scope` may see, newest first, filtered and searched (see `search`)."""
    tickets = Ticket.objects.filter(visible_to(scope)).select_related("agency", "desk_agency")
    if status:
        tickets = tickets.filter(status=status)
    if topic:
        tickets = tickets.filter(topic=topic)
    if channel:
        tickets = tickets.filter(channel=channel)
    return search(tickets, q).order_by("-created_at", "-id")


def ticket_get_in_scope(scope: AgencyScope, code: str) -> Ticket:
    found = (
        Ticket.objects.filter(visible_to(scope), code=code.strip().upper()[:24])
        .select_related("agency", "desk_agency", "user", "opened_by", "assignee")
        .first()
    )
    if found is None:
        raise NotFound(_("Không tìm thấy yêu cầu hỗ trợ có mã %(code)s.") % {"code": code[:24]})
    return found


def ticket_by_id_in_scope(scope: AgencyScope, ticket_id: Any) -> Ticket:
    found = None
    if str(ticket_id).isdigit():
        found = (
            Ticket.objects.filter(visible_to(scope), pk=int(ticket_id))
            .select_related("agency", "desk_agency", "user", "opened_by", "assignee")
            .first()
        )
    if found is None:
        raise NotFound(_("Không tìm thấy yêu cầu hỗ trợ."))
    return found


def entries(ticket: Ticket) -> QuerySet[TicketEntry]:
    """Everything said and done on the ticket, internal notes included (for officers)."""
    return ticket.entries.select_related("author", "from_agency", "to_agency").order_by("at", "id")


# --- the person who asked --------------------------------------------------------------------------------------


def _owned_by(user: Any) -> Q | None:
    """A signed-in person's tickets: those they opened, and those taken by phone from their verified number."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    mine = Q(user_id=user.pk)
    if getattr(user, "phone", None) and getattr(user, "phone_verified", False):
        mine |= Q(caller_phone=user.phone)
    return mine


def my_tickets(user: Any) -> QuerySet[Ticket]:
    mine = _owned_by(user)
    if mine is None:
        return Ticket.objects.none()
    return Ticket.objects.filter(mine).select_related("agency").order_by("-created_at", "-id")


def ticket_for_asker(code: str, *, user: Any = None, phone: str = "", email: str = "") -> Ticket:
    """The ticket `code` for the person who asked: signed in as its owner, or giving the phone number (or the
    e-mail address) it was opened with. Anything else (unknown code, another person's ticket, a wrong number) is
    the same NotFound."""
    not_found = NotFound(_("Không tìm thấy yêu cầu hỗ trợ có mã và số điện thoại này."))
    tickets = Ticket.objects.select_related("agency").filter(code=code.strip().upper()[:24])
    mine = _owned_by(user)
    if mine is not None:
        owned = tickets.filter(mine).first()
        if owned is not None:
            return owned
    number = phone_digits(phone) if phone else None
    address = email.strip()
    if number:
        found = tickets.filter(caller_phone=number).first()
    elif address:
        found = tickets.exclude(caller_email="").filter(caller_email__iexact=address).first()
    else:
        found = None
    if found is None:
        raise not_found
    return found


def public_entries(ticket: Ticket) -> QuerySet[TicketEntry]:
    """What the person who asked sees of the ticket's history: their messages, replies, hand-overs, the
    resolution — never internal notes or calls."""
    return ticket.entries.filter(kind__in=PUBLIC_ENTRY_KINDS).select_related("to_agency").order_by("at", "id")


# --- questions and answers -------------------------------------------------------------------------------------


def faqs_for_procedure(code: str, *, limit: int = 200) -> list[Faq]:
    """The catalogue's questions and answers linked to the procedure `code` (through FaqProcedure)."""
    return catalogue.faqs_for_procedure(code, limit=limit)
