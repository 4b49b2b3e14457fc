"""The statistics selectors' units and labels: slugs to units (NotFound in the reader's language for an unknown
one), the ministries being the active agencies at the top of the central tree, an agency's own unit, the derived
figures' labels, and the change receivers staying connected."""

from __future__ import annotations

import gc
import weakref

import pytest
from django.db.models.signals import post_save
from django.utils import translation

from dichvucong.core.errors import NotFound
from dichvucong.dossiers.models import Dossier
from dichvucong.organisations.models import Agency
from dichvucong.stats import selectors

pytestmark = pytest.mark.django_db


def test_unit_get_answers_the_unit_of_a_slug_or_not_found_in_the_readers_language() -> None:
    assert selectors.unit_get("tinh-01").name == "Thành phố Hà Nội"
    with pytest.raises(NotFound, match="Không tìm thấy đơn vị thống kê “tinh-99”"):
        selectors.unit_get("tinh-99")
    with translation.override("en"), pytest.raises(NotFound, match="No statistics unit “bo-X” was found"):
        selectors.unit_get("bo-X")


def test_an_inactive_ministry_is_neither_listed_nor_found() -> None:
    assert "bo-BCA" in {u.slug for u in selectors.ministries()}
    Agency.objects.filter(code="BCA").update(is_active=False)
    assert "bo-BCA" not in {u.slug for u in selectors.ministries()}
    assert selectors.unit_for_slug("bo-BCA") is None


def test_ministries_are_the_central_agencies_at_the_top_of_their_tree() -> None:
    tops = Agency.objects.filter(level="central", parent__isnull=True, is_active=True)
    assert [u.slug for u in selectors.ministries()] == [f"bo-{a.code}" for a in tops.order_by("name")]


def test_an_agencys_unit_is_the_one_of_its_slug() -> None:
    agency = Agency.objects.get(code="UBND-01")
    unit = selectors.agency_unit(agency)
    assert unit == selectors.unit_for_slug(f"co-quan-{agency.pk}")
    assert (unit.scope, unit.level, unit.name) == (f"A:{agency.pk}", "A", agency.name)


def test_every_derived_figure_has_a_label() -> None:
    assert list(selectors.derived_labels()) == list(selectors.derive({}))
    assert {selectors.derived_unit(code) for code in selectors.RATES} == {"0–1"}
    with translation.override("en"):
        assert selectors.derived_labels()["late_rate"] == "Late resolution rate"
        assert selectors.derived_unit("social_cost_saved") == "VND"


def test_the_change_receivers_outlive_a_garbage_collection() -> None:
    gc.collect()
    ours = [receiver for key, receiver, *_ in post_save.receivers if key[0] == "stats.dossier"]
    assert len(ours) == 1 and not isinstance(ours[0], weakref.ReferenceType)  # held by the signal itself
    assert post_save.has_listeners(Dossier)
