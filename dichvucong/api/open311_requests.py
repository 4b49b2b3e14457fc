"""GET requests through Open311: which feedback is found, and what the public may read of it.

The privacy rule (docs/open311.md): Open311 answers anyone, without a key, so a request shows only what the
portal publishes anyway. For every feedback: its tracking code, kind, status, the handling agency, the dates, and
the administrative unit where it happened (a commune or a province, never the sender's address_string). Nothing
the sender wrote is shown until the answer is published, and then only the texts the officer published after
the portal checked them for personal data (public title and content as description, public answer as
status_notes) and the coordinates (the sender consented to publication, or the officer decided it is in the
public interest). media_url is never shown: the portal does not check what a picture holds. A refusal reason is
shown only when the portal's check finds no personal data in it; the private answer to the sender never is.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from dichvucong.feedback import redaction, states
from dichvucong.feedback.models import Feedback, Kind, Status

from .open311_catalog import MAX_DESCRIPTION, service_notice
from .open311_formats import format_w3c

MAX_RESULTS = 1000  # the specification's default limit, also the largest page
WINDOW = dt.timedelta(days=90)  # the specification's default span, also the largest one
OPEN, CLOSED = "open", "closed"
STATUSES = {OPEN: states.OPEN, CLOSED: states.CLOSED}
RELATED = ("agency", "unit", "unit__parent", "merged_into", "dossier")


def _requests() -> QuerySet[Feedback]:
    return Feedback.objects.select_related(*RELATED).order_by("-received_at", "-id")


def by_codes(codes: list[str]) -> list[Feedback]:
    """The feedback with these tracking codes (the specification: service_request_id overrides every other
    filter), newest first."""
    return list(_requests().filter(code__in=[c.strip().upper() for c in codes]))


def search(
    *,
    start: dt.datetime,
    end: dt.datetime,
    service_codes: list[str],
    statuses: list[str],
    offset: int = 0,
    limit: int = MAX_RESULTS,
) -> list[Feedback]:
    """Feedback received in [start, end], of these kinds and Open311 statuses (all when empty), newest first."""
    found = _requests().filter(received_at__gte=start, received_at__lte=end)
    if service_codes:
        found = found.filter(kind__in=service_codes)
    if statuses:
        found = found.filter(status__in=sorted({s for name in statuses for s in STATUSES[name]}))
    return list(found[offset : offset + limit])


def _status_notes(feedback: Feedback) -> str:
    if feedback.status == Status.PUBLISHED:
        return feedback.public_answer
    if feedback.status == Status.MERGED and feedback.merged_into is not None:
        return _("Trùng nội dung, đã gộp vào phản ánh, kiến nghị %(code)s.") % {
            "code": feedback.merged_into.code
        }
    if feedback.status == Status.REFUSED and feedback.refusal_reason.strip():
        reason = feedback.refusal_reason.strip()
        if not redaction.check(feedback, reason=reason):
            return _("Không tiếp nhận: %(reason)s") % {"reason": reason}
    return str(Status(feedback.status).label)


def _updated(feedback: Feedback) -> dt.datetime:
    """The specification: for a closed request, when it was closed."""
    if feedback.status == Status.PUBLISHED and feedback.published_at:
        return feedback.published_at
    if feedback.status == Status.ANSWERED and feedback.answered_at:
        return feedback.answered_at
    return feedback.updated_at


def _description(feedback: Feedback) -> str | None:
    if feedback.status != Status.PUBLISHED:
        return None
    text = "\n\n".join(
        part.strip() for part in (feedback.public_title, feedback.public_content) if part.strip()
    )
    return text[:MAX_DESCRIPTION] or None


def _address(feedback: Feedback) -> str | None:
    """The unit where it happened, most specific first (the specification's order): "Phường Ba Đình, Thành phố
    Hà Nội"."""
    unit = feedback.unit
    if unit is None:
        return None
    return ", ".join(u.name for u in (unit, unit.parent) if u is not None)


def request_data(feedback: Feedback) -> dict[str, Any]:
    """One service request as the specification lists its fields (nulls where this portal has nothing public)."""
    published = feedback.status == Status.PUBLISHED
    return {
        "service_request_id": feedback.code,
        "status": OPEN if feedback.status in states.OPEN else CLOSED,
        "status_notes": _status_notes(feedback) or None,
        "service_name": str(Kind(feedback.kind).label),
        "service_code": feedback.kind,
        "description": _description(feedback),
        "agency_responsible": feedback.agency.name if feedback.agency else None,
        "service_notice": service_notice(),
        "requested_datetime": format_w3c(feedback.received_at),
        "updated_datetime": format_w3c(_updated(feedback)),
        "expected_datetime": format_w3c(feedback.due_at or feedback.forward_due_at),
        "address": _address(feedback),
        "address_id": feedback.unit.code if feedback.unit else None,
        "zipcode": None,
        "lat": feedback.latitude if published else None,
        "long": feedback.longitude if published else None,
        "media_url": None,
    }
