"""Published answers in the catalogue's search (`SearchEntry` of kind "feedback"): found by the same search box
as procedures and Q&A, and by `selectors.published(q=…)`. Only what was checked for personal data goes in:
the public title, content and answer, never the sender's own text."""

from __future__ import annotations

from dichvucong.catalogue.models import SearchEntry
from dichvucong.catalogue.query import index_text
from dichvucong.catalogue.search import index_entry
from dichvucong.feedback.models import Feedback
from dichvucong.organisations.models import UnitLevel

KIND = "feedback"
# A published answer helps, but ranks below the procedures and their Q&A a citizen came for.
FEEDBACK_BOOST = 0.4


def _province_code(feedback: Feedback) -> str:
    unit = feedback.unit
    if unit is None:
        return ""
    if unit.level == UnitLevel.COMMUNE:
        return unit.parent.code if unit.parent else ""
    return unit.code


def entry_values_for_feedback(feedback: Feedback) -> dict[str, object]:
    agency = feedback.answering_agency or feedback.agency
    agency_name = agency.name if agency else ""
    return {
        "code": feedback.code,
        "title": feedback.public_title,
        "title_en": "",
        "summary": feedback.public_answer,
        "summary_en": "",
        "title_folded": index_text(feedback.public_title),
        "english_folded": "",
        "body_folded": index_text(feedback.public_content, feedback.public_answer, agency_name),
        "status": "published",
        "boost": FEEDBACK_BOOST,
        "levels": "",
        "audiences": "",
        "fields": "",
        "agency": agency.code if agency else "",
        "online_level": "",
        "province": _province_code(feedback),
        "synthetic": False,
    }


def index_feedback(feedback: Feedback) -> None:
    """Insert or update the search entry of a published feedback (call in the publishing transaction)."""
    index_entry(KIND, feedback.pk, entry_values_for_feedback(feedback))


def unindex_feedback(feedback: Feedback) -> None:
    SearchEntry.objects.filter(kind=KIND, object_id=feedback.pk).delete()
