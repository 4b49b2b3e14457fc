"""The scopes a figure is counted for: an agency, the province or ministry it belongs to, and the country.

A central agency counts for its ministry (the root of its tree: a ministry, a ministry-level agency or a
government agency); a provincial or commune agency, or a ministry's branch in a province, for its province. Both
count for the country. Figures keep the scopes they were counted for: when an agency moves, `rebuild_stats`
recounts (docs/statistics.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from dichvucong.organisations.models import Agency, AgencyLevel
from dichvucong.stats.models import Level

NATIONAL = "VN"


def province_scope(code: str) -> str:
    return f"P:{code}"


def ministry_scope(code: str) -> str:
    return f"M:{code}"


def agency_scope(agency_id: int) -> str:
    return f"A:{agency_id}"


@dataclass
class Scopes:
    """Agency id → the (level, scope) pairs its figures count for; loaded once per roll-up batch."""

    by_agency: dict[int, tuple[tuple[str, str], ...]]

    @classmethod
    def load(cls) -> Scopes:
        rows = {
            pk: (code, level, parent_id, province_code)
            for pk, code, level, parent_id, province_code in Agency.objects.values_list(
                "id", "code", "level", "parent_id", "province__code"
            )
        }
        by_agency: dict[int, tuple[tuple[str, str], ...]] = {}
        for pk, (_code, level, _parent, province_code) in rows.items():
            pairs: list[tuple[str, str]] = [(Level.AGENCY, agency_scope(pk))]
            if level == AgencyLevel.CENTRAL:
                root = pk
                seen = {root}
                while rows[root][2] is not None and rows[root][2] in rows and rows[root][2] not in seen:
                    root = rows[root][2]
                    seen.add(root)
                pairs.append((Level.MINISTRY, ministry_scope(rows[root][0])))
            elif province_code:
                pairs.append((Level.PROVINCE, province_scope(province_code)))
            pairs.append((Level.NATIONAL, NATIONAL))
            by_agency[pk] = tuple(pairs)
        return cls(by_agency)

    def of(self, agency_id: int | None) -> tuple[tuple[str, str], ...]:
        if agency_id is None:
            return ((Level.NATIONAL, NATIONAL),)
        return self.by_agency.get(agency_id, ((Level.NATIONAL, NATIONAL),))
