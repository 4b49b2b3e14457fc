"""Display helpers for the pages of online dossiers: whether a procedure can be submitted online, the unread
notices in the header, the look of a status, file sizes."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

from dichvucong.dossiers import drafts, selectors
from dichvucong.dossiers.models import Status
from dichvucong.web.templatetags.portal import english

register = template.Library()

DONE = {Status.RESULT_READY, Status.RESULT_RETURNED}
ATTENTION = {Status.REFUSED, Status.SUPPLEMENT_REQUESTED, Status.FINANCIAL_OBLIGATION, Status.STOPPED}


@register.filter
def offered_online(procedure: Any) -> bool:
    return drafts.offered_online(procedure)


@register.simple_tag
def unread_notifications(user: Any) -> int:
    """The signed-in person's unread notices (one count query), 0 for visitors."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return selectors.unread_notifications(user)


@register.filter
def status_class(status: int) -> str:
    """The badge colour of a dossier status: done, needs the citizen's attention, or in progress."""
    if status in DONE:
        return "status-done"
    if status in ATTENTION:
        return "status-attention"
    return "status-open"


@register.filter
def filesize(size: int | None) -> str:
    """ "350 KB", "1,2 MB" (decimal comma in Vietnamese)."""
    if not size:
        return ""
    if size < 1024 * 1024:
        return gettext("%(n)s KB") % {"n": max(1, round(size / 1024))}
    text = f"{size / (1024 * 1024):.1f}".removesuffix(".0")
    return gettext("%(n)s MB") % {"n": text if english() else text.replace(".", ",")}


@register.filter
def overdue(dossier: Any) -> bool:
    """Past the appointment and not finished (no query)."""
    return selectors.is_overdue(dossier)
