"""Which agencies' data a person may see and change.

An officer works for one agency and sees the data of that agency and of the agencies under it (a provincial
People's Committee sees its communes; a ministry sees its provincial branches); an operator sees everything.
Selectors take an `AgencyScope` and filter by it, so that the rule is enforced where data is read, not in
templates. The scope is computed by `accounts.selectors.agency_scope`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class AgencyScope:
    """`agency_ids` None means every agency (portal operators); an empty set means none."""

    agency_ids: frozenset[int] | None

    @classmethod
    def everything(cls) -> AgencyScope:
        return cls(agency_ids=None)

    @classmethod
    def nothing(cls) -> AgencyScope:
        return cls(agency_ids=frozenset())

    @property
    def is_everything(self) -> bool:
        return self.agency_ids is None

    def allows(self, agency_id: int | None) -> bool:
        """True when data owned by `agency_id` is in scope; data owned by no agency is for operators only."""
        if self.agency_ids is None:
            return True
        return agency_id is not None and agency_id in self.agency_ids

    def filter(self, queryset: QuerySet[M], field: str = "agency") -> QuerySet[M]:
        """Keep only the rows whose `field` (a foreign key to Agency) is in scope."""
        if self.agency_ids is None:
            return queryset
        lookup: dict[str, Any] = {f"{field}__in": self.agency_ids}
        return queryset.filter(**lookup)
