"""Published answers in the catalogue's search."""

from __future__ import annotations

import pytest

from dichvucong.catalogue.models import SearchEntry
from dichvucong.catalogue.search import Filters, search
from dichvucong.feedback import indexing, selectors
from tests.feedback.factories import answered_feedback, published_feedback

pytestmark = pytest.mark.django_db


def feedback_hits(text: str, **filters: str) -> list[str]:
    return [h.code for h in search(text, Filters(**filters)).items if h.kind == "feedback"]  # type: ignore[arg-type]


def test_answers_are_searchable_only_once_published() -> None:
    answered = answered_feedback("UBND-01", unit_code="00004")
    assert feedback_hits("khai sinh") == []
    published = published_feedback("UBND-79", unit_code="00004")
    assert feedback_hits("khai sinh") == [published.code]
    assert answered.code not in feedback_hits("khai sinh")


def test_the_entry_carries_the_public_texts_the_agency_and_the_province() -> None:
    feedback = published_feedback("UBND-01", unit_code="00004")
    entry = SearchEntry.objects.get(kind="feedback", object_id=feedback.pk)
    assert (entry.code, entry.title, entry.summary) == (
        feedback.code,
        feedback.public_title,
        feedback.public_answer,
    )
    assert (entry.status, entry.agency, entry.province) == ("published", "UBND-01", "01")
    assert "ha noi" in entry.body_folded  # the agency's name, folded
    assert "nguyen" not in entry.body_folded + entry.title_folded  # nothing of the sender


def test_search_finds_answers_without_diacritics_and_by_filter() -> None:
    feedback = published_feedback("UBND-01")
    assert feedback_hits("mot cua tra ket qua dung hen") == [feedback.code]
    assert feedback_hits("khai sinh", kind="feedback") == [feedback.code]
    assert feedback_hits("khai sinh", kind="feedback", agency="UBND-79") == []
    assert list(selectors.published(q="nhac nho can bo")) == [feedback]


def test_indexing_again_updates_the_one_entry() -> None:
    feedback = published_feedback("UBND-01")
    feedback.public_title = "Trả kết quả đăng ký khai sinh đúng hẹn"
    indexing.index_feedback(feedback)
    entries = SearchEntry.objects.filter(kind="feedback", object_id=feedback.pk)
    assert [e.title for e in entries] == ["Trả kết quả đăng ký khai sinh đúng hẹn"]
    indexing.unindex_feedback(feedback)
    assert not SearchEntry.objects.filter(kind="feedback", object_id=feedback.pk).exists()
