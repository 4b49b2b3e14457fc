"""Who is told what about a ticket: the person who asked (in-app notice when they have an account, else e-mail
and SMS to the contacts they left) and the officers of an agency a ticket is handed to. Everything goes through
the outbox, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.urls import reverse

from dichvucong.accounts.models import AccountKind, User
from dichvucong.accounts.roles import ROLE_PERMISSIONS
from dichvucong.core import outbox
from dichvucong.dossiers.services import EMAIL_TOPIC, SMS_TOPIC, notify
from dichvucong.organisations.models import Agency

from . import selectors
from .models import Ticket


def ticket_url(ticket: Ticket) -> str:
    """The ticket's page for the person who asked, as an absolute address (for messages)."""
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{reverse('web:ticket_detail', args=[ticket.code])}"


def tell_asker(ticket: Ticket, *, key: str, title: str, body: str, now: datetime) -> None:
    """The person who asked: an in-app notice (with e-mail and SMS copies) when they have an account, else an
    e-mail and an SMS (mobile numbers only) to the contacts they left. Once per `key`."""
    if ticket.user_id is not None and ticket.user is not None:
        notify(user=ticket.user, dossier=None, key=key, title=title, body=body, now=now)
        return
    if ticket.caller_email:
        outbox.enqueue(
            topic=EMAIL_TOPIC, key=key, payload={"to": ticket.caller_email, "subject": title, "body": body}
        )
    if ticket.caller_phone and selectors.is_mobile(ticket.caller_phone):
        outbox.enqueue(topic=SMS_TOPIC, key=key, payload={"to": ticket.caller_phone, "text": title})


def roles_with(permission: str) -> list[str]:
    return [str(role) for role, permissions in ROLE_PERMISSIONS.items() if permission in permissions]


def tell_officers(agency: Agency, *, permission: str, key: str, title: str, body: str, now: datetime) -> int:
    """Every active officer of `agency` whose roles give `permission`; returns how many were told."""
    officers = User.objects.filter(
        kind=AccountKind.OFFICER,
        is_active=True,
        agency=agency,
        officer_roles__role__in=roles_with(permission),
    ).distinct()
    told = 0
    for officer in officers:
        if notify(user=officer, dossier=None, key=f"{key}:{officer.pk}", title=title, body=body, now=now):
            told += 1
    return told
