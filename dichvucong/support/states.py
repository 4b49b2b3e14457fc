"""The statuses a ticket goes through and what each action needs of it: one table, one function applying it."""

from __future__ import annotations

from django.utils.translation import gettext as _

from dichvucong.core.errors import DomainError

from .models import Ticket, TicketStatus

_ANY = frozenset(TicketStatus.values)
_ACTIVE = frozenset({TicketStatus.OPEN, TicketStatus.HANDED_OVER})
# A call or a note can be recorded whatever the status (people call back about a resolved ticket); a message
# from the asker on a resolved ticket reopens it.
ALLOWED: dict[str, frozenset[str]] = {
    "log_call": _ANY,
    "note": _ANY,
    "message": _ANY,
    "publish_faq": _ANY,
    "reply": _ACTIVE,
    "hand_over": _ACTIVE,
    "resolve": _ACTIVE,
    "reopen": frozenset({TicketStatus.RESOLVED}),
}


class TicketStateError(DomainError):
    status = 409
    code = "conflict"


def check(ticket: Ticket, action: str) -> None:
    """Raise TicketStateError unless the ticket's status allows `action`."""
    if ticket.status in ALLOWED[action]:
        return
    if ticket.status == TicketStatus.RESOLVED:
        raise TicketStateError(
            _("Yêu cầu %(code)s đã được giải quyết; hãy mở lại trước.") % {"code": ticket.code}
        )
    raise TicketStateError(_("Yêu cầu %(code)s chưa được giải quyết.") % {"code": ticket.code})


def reopened_status(ticket: Ticket) -> str:
    """A reopened ticket is with the agency that had it: the desk's own (open) or another (handed over)."""
    return TicketStatus.OPEN if ticket.agency_id == ticket.desk_agency_id else TicketStatus.HANDED_OVER
