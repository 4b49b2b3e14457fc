"""The classification of an agency's average rating shown with dossiers: the statistics' bands
(`STATS_SATISFACTION_CLASSES`), one rule for the dossier pages and the public statistics."""

from __future__ import annotations

from typing import Any

import pytest

from dichvucong.stats import quality
from dichvucong.web import dossier_pages


@pytest.mark.parametrize(
    ("average", "label"),
    [
        (18.0, "Xuất sắc"),
        (15.5, "Xuất sắc"),
        (15.0, "Tốt"),
        (12.0, "Tốt"),
        (9.0, "Khá"),
        (6.0, "Trung bình"),
        (5.9, "Yếu"),
    ],
)
def test_an_agencys_average_is_classified_by_the_statistics_bands(
    average: float, label: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        dossier_pages.selectors,
        "rating_averages",
        lambda **kwargs: [{"ratings": 3, "average_total": average}],
    )
    shown = dossier_pages.agency_average(1)
    assert shown is not None
    assert shown.label == label == quality.classify_satisfaction(average)


def test_the_bands_are_the_setting(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.STATS_SATISFACTION_CLASSES = [(10.0, True, "Đạt"), (float("-inf"), True, "Chưa đạt")]
    monkeypatch.setattr(
        dossier_pages.selectors, "rating_averages", lambda **kwargs: [{"ratings": 1, "average_total": 11}]
    )
    shown = dossier_pages.agency_average(1)
    assert shown is not None and shown.label == "Đạt"
