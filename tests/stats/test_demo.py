"""The statistics demo of `make run`: a year of dossiers in several provinces and ministries through the real
status sync, with ratings, rolled up; loading it again adds nothing."""

from __future__ import annotations

import io

import pytest
from django.db.models import Sum

from dichvucong.catalogue.demo import load_demo as load_catalogue
from dichvucong.dossiers.models import Dossier, DossierEvent, Rating
from dichvucong.organisations.models import AdministrativeUnit
from dichvucong.stats import demo
from dichvucong.stats.models import Figure, Level, Pending

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int, int]:
    return (
        Dossier.objects.count(),
        DossierEvent.objects.count(),
        Rating.objects.count(),
        Figure.objects.count(),
    )


def test_the_demo_fills_several_provinces_and_ministries_once() -> None:
    load_catalogue()  # as `loaddemo` does first: full-online procedures make full-online dossiers
    out = io.StringIO()
    demo.load(out)
    assert "statistics demo:" in out.getvalue()
    dossiers, events, ratings, figures = _counts()
    assert 1500 <= dossiers <= 3000 and events > 3 * dossiers and ratings > 100
    assert not Pending.objects.exists()  # rolled up
    received = {
        scope: value
        for scope, value in Figure.objects.filter(level=Level.PROVINCE, metric="received")
        .values_list("scope")
        .annotate(total=Sum("value"))
    }
    assert len(received) >= 8 and all(value > 50 for value in received.values())
    assert AdministrativeUnit.objects.filter(code__in=[s[2:] for s in received]).count() == len(received)
    late = Figure.objects.filter(level=Level.NATIONAL, metric="resolved_late").values_list("value", flat=True)
    online = Figure.objects.filter(level=Level.NATIONAL, metric="received_online_full").values_list(
        "value", flat=True
    )
    assert sum(late) > 0 and sum(online) > 0
    assert Figure.objects.filter(
        level=Level.MINISTRY, scope__in=["M:BCA", "M:BTP", "M:BTC"], metric="received"
    ).exists()

    again = io.StringIO()
    demo.load(again)
    assert "already loaded" in again.getvalue()
    assert _counts() == (dossiers, events, ratings, figures)
