"""What each page shows, assembled from the domain selectors.

Views parse the request and render; this module decides which selectors a page needs and shapes their results
for the templates (grouping, look-up tables, pagination), so that templates only display.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from dichvucong.catalogue import search as catalogue_search
from dichvucong.catalogue import selectors as catalogue
from dichvucong.catalogue.models import (
    Audience,
    EntryKind,
    Faq,
    Field,
    Level,
    LifeEvent,
    OnlineLevel,
    Procedure,
    ProcedureStatus,
)
from dichvucong.catalogue.search import Filters, SearchHit
from dichvucong.organisations import selectors as organisations
from dichvucong.organisations.models import AdministrativeUnit, Agency

from . import support_pages

# The procedures citizens use most, in the order the home page shows them.
FEATURED_PROCEDURE_CODES: Final[tuple[str, ...]] = (
    "1.001193",
    "3.000333",
    "1.004222",
    "1.001456",
    "3.000347",
    "1.014061",
    "1.000894",
    "1.013225",
    "1.001612",
    "2.001610",
)
FAQ_PAGE_SIZE: Final = 30
AGENCY_PROCEDURES_PAGE_SIZE: Final = 30
AGENCY_CHILDREN_PAGE_SIZE: Final = 50
# A results page is never further than this, whatever the URL says (the count query stays the same).
MAX_PAGE: Final = 10_000


def page_number(value: str | None) -> int:
    """A 1-based page number from a query parameter; anything else is page 1."""
    try:
        number = int(value or "1")
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


def paginate(items: QuerySet[Any], number: str | None, per_page: int) -> Page[Any]:
    return Paginator(items, per_page).get_page(number)


# --- home ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HomePage:
    featured: list[Procedure]
    life_events: list[LifeEvent]
    fields: list[Field]


def home_page() -> HomePage:
    return HomePage(
        featured=catalogue.procedures_by_codes(list(FEATURED_PROCEDURE_CODES)),
        life_events=list(catalogue.life_events()),
        fields=list(catalogue.field_list()),
    )


@dataclass(frozen=True)
class LifeEventPage:
    event: LifeEvent
    procedures: list[Procedure]


def life_event_page(slug: str) -> LifeEventPage:
    event = catalogue.life_event_get(slug)
    return LifeEventPage(event=event, procedures=catalogue.procedures_by_codes(list(event.procedure_codes)))


# --- search ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchOptions:
    """The choices of the filter form, also the allowed values: anything else in the URL is ignored."""

    fields: list[Field]
    agencies: list[Agency]
    provinces: list[AdministrativeUnit]

    level_choices: list[tuple[str, Any]] = field(default_factory=lambda: list(Level.choices))
    audience_choices: list[tuple[str, Any]] = field(default_factory=lambda: list(Audience.choices))
    online_level_choices: list[tuple[str, Any]] = field(default_factory=lambda: list(OnlineLevel.choices))

    @property
    def field_names(self) -> dict[str, str]:
        return {f.slug: f.name for f in self.fields}

    @property
    def agency_names(self) -> dict[str, str]:
        return {a.code: a.name for a in self.agencies}


def search_options() -> SearchOptions:
    return SearchOptions(
        fields=list(catalogue.field_list().only("slug", "name", "name_en")),
        agencies=list(organisations.central_agencies()),
        provinces=list(organisations.province_list()),
    )


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    kind: str = ""
    field: str = ""
    agency: str = ""
    level: str = ""
    audience: str = ""
    online_level: str = ""
    province: str = ""
    page: int = 1

    def filters(self) -> Filters:
        return Filters(
            kind=self.kind or None,
            field=self.field or None,
            agency=self.agency or None,
            level=self.level or None,
            audience=self.audience or None,
            online_level=self.online_level or None,
            province=self.province or None,
        )

    def query_items(self, **overrides: object) -> list[tuple[str, str]]:
        """The non-empty parameters, for links to other pages of the same search."""
        values: dict[str, object] = {
            "q": self.q,
            "kind": self.kind,
            "field": self.field,
            "agency": self.agency,
            "level": self.level,
            "audience": self.audience,
            "online_level": self.online_level,
            "province": self.province,
        }
        values.update(overrides)
        return [(key, str(value)) for key, value in values.items() if value not in ("", None, 1)]


def _allowed(value: str | None, allowed: Iterable[str]) -> str:
    value = (value or "").strip()
    return value if value in set(allowed) else ""


def search_params(query: Mapping[str, str], options: SearchOptions) -> SearchParams:
    """Read the search parameters of a request, dropping unknown filter values instead of failing."""
    return SearchParams(
        q=(query.get("q") or "").strip()[:200],
        kind=_allowed(query.get("kind"), EntryKind.values),
        field=_allowed(query.get("field"), (f.slug for f in options.fields)),
        agency=_allowed(query.get("agency"), (a.code for a in options.agencies)),
        level=_allowed(query.get("level"), Level.values),
        audience=_allowed(query.get("audience"), Audience.values),
        online_level=_allowed(query.get("online_level"), OnlineLevel.values),
        province=_allowed(query.get("province"), (p.code for p in options.provinces)),
        page=page_number(query.get("page")),
    )


@dataclass(frozen=True)
class HitView:
    hit: SearchHit
    field_names: list[str]
    agency_name: str

    @property
    def is_procedure(self) -> bool:
        return self.hit.kind == EntryKind.PROCEDURE

    @property
    def is_feedback(self) -> bool:
        """A published answer to feedback (its entry's code is the feedback's tracking code)."""
        return self.hit.kind == EntryKind.FEEDBACK

    @property
    def superseded(self) -> bool:
        return self.hit.status == ProcedureStatus.SUPERSEDED


@dataclass(frozen=True)
class SearchPage:
    params: SearchParams
    options: SearchOptions
    hits: list[HitView]
    count: int
    page_count: int
    corrections: list[tuple[str, str]]
    matched_all_words: bool
    first_index: int = 0
    last_index: int = 0
    previous_query: list[tuple[str, str]] | None = None
    next_query: list[tuple[str, str]] | None = None
    pages: list[tuple[int, list[tuple[str, str]]]] = field(default_factory=list)

    @property
    def corrected_words(self) -> str:
        return " ".join(corrected for _, corrected in self.corrections)


def search_page(query: Mapping[str, str]) -> SearchPage:
    options = search_options()
    params = search_params(query, options)
    size = settings.SEARCH_PAGE_SIZE
    results = catalogue_search.search(params.q, params.filters(), limit=size, offset=(params.page - 1) * size)
    field_names, agency_names = options.field_names, options.agency_names
    hits = [
        HitView(
            hit=hit,
            field_names=[field_names.get(slug, slug) for slug in hit.fields],
            agency_name=agency_names.get(hit.agency, hit.agency),
        )
        for hit in results.items
    ]
    page_count = max(1, math.ceil(results.count / size))
    page = params.page
    window = range(max(1, page - 2), min(page_count, page + 2) + 1)
    return SearchPage(
        params=params,
        options=options,
        hits=hits,
        count=results.count,
        page_count=page_count,
        corrections=results.corrections,
        matched_all_words=results.matched_all_words,
        first_index=(page - 1) * size + 1 if hits else 0,
        last_index=(page - 1) * size + len(hits),
        previous_query=params.query_items(page=page - 1) if page > 1 else None,
        next_query=params.query_items(page=page + 1) if page < page_count else None,
        pages=[(n, params.query_items(page=n)) for n in window],
    )


def suggestions(text: str) -> list[SearchHit]:
    return catalogue_search.suggest(text[:200], limit=8)


# --- procedure -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """Items sharing a heading (documents of one group, steps of one case), in first-seen order."""

    name: str
    items: list[dict[str, Any]]


def group_by(items: Iterable[dict[str, Any]], key: str) -> list[Group]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(str(item.get(key) or ""), []).append(item)
    return [Group(name=name, items=members) for name, members in groups.items()]


@dataclass(frozen=True)
class ProcedurePage:
    """A procedure version and what its page shows. Everything but the version itself is computed on first use,
    so that a page whose body comes from the fragment cache costs only the look-up of the version."""

    procedure: Procedure
    current: Procedure | None

    @property
    def is_old_version(self) -> bool:
        return self.procedure.status == ProcedureStatus.SUPERSEDED

    @cached_property
    def versions(self) -> list[Procedure]:
        return catalogue.procedure_versions(self.procedure.code)

    @cached_property
    def step_groups(self) -> list[Group]:
        return group_by(self.procedure.steps, "case")

    @cached_property
    def document_groups(self) -> list[Group]:
        return group_by(self.procedure.documents, "group")

    @cached_property
    def _related_codes(self) -> list[str]:
        return [c for c in self.procedure.related_procedures if c != self.procedure.code]

    @cached_property
    def related(self) -> list[Procedure]:
        return catalogue.procedures_by_codes(self._related_codes)

    @cached_property
    def related_missing(self) -> list[str]:
        found = {p.code for p in self.related}
        return [c for c in self._related_codes if c not in found]

    @cached_property
    def faqs(self) -> list[Faq]:
        return catalogue.faqs_for_procedure(self.procedure.code)

    @cached_property
    def help(self) -> support_pages.HelpBlock:
        """The questions and answers and the way to ask, shown outside the cached body (a new answer shows
        without waiting for the procedure's next version)."""
        return support_pages.help_block(self.procedure.code)


def procedure_page(code: str, *, version: int | None = None) -> ProcedurePage:
    """A procedure as published, or one of its earlier versions with a pointer to the current one."""
    procedure = catalogue.procedure_get(code, version=version)
    current: Procedure | None = procedure
    if procedure.status != ProcedureStatus.PUBLISHED:
        current = next(iter(catalogue.procedures_by_codes([code])), None)
    return ProcedurePage(procedure=procedure, current=current)


def version_number(value: str | None) -> int | None:
    """The `phien-ban` parameter: a version number, or None (the current version) when absent or malformed."""
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


# --- FAQ -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaqListPage:
    faqs: Page[Faq]
    fields: list[Field]
    field: str


def faq_list_page(query: Mapping[str, str]) -> FaqListPage:
    fields = list(catalogue.field_list())
    field_slug = _allowed(query.get("field"), (f.slug for f in fields))
    faqs = catalogue.faq_list(field=field_slug or None)
    return FaqListPage(faqs=paginate(faqs, query.get("page"), FAQ_PAGE_SIZE), fields=fields, field=field_slug)


@dataclass(frozen=True)
class FaqPage:
    faq: Faq
    procedures: list[Procedure]


def faq_page(code: str) -> FaqPage:
    faq = catalogue.faq_get(code)
    codes = [link.procedure_code for link in faq.procedure_links.all()]
    return FaqPage(faq=faq, procedures=catalogue.procedures_by_codes(codes))


# --- agencies --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyListPage:
    central: list[Agency]
    provinces: list[Agency]


def agency_list_page() -> AgencyListPage:
    return AgencyListPage(
        central=list(organisations.central_agencies()),
        provinces=list(organisations.provincial_committees().order_by("province__code")),
    )


@dataclass(frozen=True)
class AgencyPage:
    agency: Agency
    procedures: Page[Procedure]
    children: Page[Agency]


def agency_page(code: str, query: Mapping[str, str]) -> AgencyPage:
    agency = organisations.agency_get(code)
    procedures = catalogue.published_procedures().filter(managing_agency=agency)
    children = organisations.agency_list().filter(parent=agency).order_by("code")
    return AgencyPage(
        agency=agency,
        procedures=paginate(procedures, query.get("page"), AGENCY_PROCEDURES_PAGE_SIZE),
        children=paginate(children, query.get("children_page"), AGENCY_CHILDREN_PAGE_SIZE),
    )
