"""One search over procedures and FAQ, on SQLite (FTS5) and PostgreSQL (tsvector with unaccent, pg_trgm).

Both backends read the same `SearchEntry` rows and return the same contract (`SearchResults`); they differ only
in how they match and rank. Highlighting and snippets are made here, once, from the parsed query.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from rapidfuzz import fuzz

from dichvucong.core.text import fold

from .models import SearchEntry, SearchTerm
from .query import Group, ParsedQuery, VocabularyLookup, index_text, parse, tokens

# Published versions rank above superseded ones with the same match.
BOOST = {"published": 1.0, "superseded": 0.3}
# A question and answer helps, but the procedure is what a citizen came for: in mixed results FAQ weigh less.
FAQ_BOOST = 0.5
# An exact procedure code outranks any text match.
EXACT_CODE_SCORE = 1e9
_WORD_RE = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Filters:
    kind: str | None = None  # procedure | faq
    field: str | None = None  # field slug
    agency: str | None = None  # managing agency code
    level: str | None = None
    audience: str | None = None
    online_level: str | None = None
    province: str | None = None  # 2-digit code: nationwide procedures and that province's own
    include_superseded: bool = True


@dataclass(frozen=True)
class SearchHit:
    kind: str
    code: str
    title: str
    title_en: str
    summary: str
    title_html: SafeString
    snippet_html: SafeString
    status: str
    levels: list[str]
    fields: list[str]
    agency: str
    online_level: str
    province: str
    score: float


@dataclass
class SearchResults:
    query: str
    items: list[SearchHit]
    count: int
    corrections: list[tuple[str, str]] = field(default_factory=list)
    matched_all_words: bool = True


# --- vocabulary ------------------------------------------------------------------------------------------------


class DatabaseVocabulary(VocabularyLookup):
    def known(self, words: Iterable[str]) -> set[str]:
        return set(SearchTerm.objects.filter(term__in=list(words)).values_list("term", flat=True))

    def has_prefix(self, word: str) -> bool:
        return SearchTerm.objects.filter(term__startswith=word).exists()

    def closest(self, word: str) -> str | None:
        candidates = self._candidates(word)
        best: tuple[float, int, str] | None = None
        for term, frequency in candidates:
            score = fuzz.ratio(word, term)
            if score < settings.SEARCH_TYPO_MIN_SCORE:
                continue
            key = (score, frequency, term)
            if best is None or key > best:
                best = key
        return best[2] if best else None

    def _candidates(self, word: str) -> list[tuple[str, int]]:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT term, frequency FROM catalogue_searchterm WHERE term %% %s "
                    "ORDER BY similarity(term, %s) DESC, frequency DESC LIMIT 30",
                    [word, word],
                )
                return [(row[0], row[1]) for row in cursor.fetchall()]
        # SQLite: same first letter, length within two; a B-tree range, then rapidfuzz decides.
        first = word[0]
        rows = SearchTerm.objects.filter(
            term__gte=first,
            term__lt=chr(ord(first) + 1),
            length__gte=len(word) - 2,
            length__lte=len(word) + 2,
        ).values_list("term", "frequency")
        return list(rows)


# --- query compilation -----------------------------------------------------------------------------------------


def _fts5_group(group: Group) -> str:
    parts = []
    for i, phrase in enumerate(group.alternatives):
        quoted = '"' + " ".join(phrase) + '"'
        if group.prefix and i == 0:
            quoted += "*"
        parts.append(quoted)
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def _tsquery_group(group: Group) -> str:
    parts = []
    for i, phrase in enumerate(group.alternatives):
        words = list(phrase)
        if group.prefix and i == 0:
            words[-1] = words[-1] + ":*"
        parts.append("(" + " <-> ".join(words) + ")" if len(words) > 1 else words[0])
    return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"


def _filter_sql(filters: Filters) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if filters.kind:
        clauses.append("e.kind = %s")
        params.append(filters.kind)
    for column, value in (
        ("levels", filters.level),
        ("fields", filters.field),
        ("audiences", filters.audience),
    ):
        if value:
            clauses.append(f"e.{column} LIKE %s")
            params.append(f"%|{value}|%")
    if filters.agency:
        clauses.append("e.agency = %s")
        params.append(filters.agency)
    if filters.online_level:
        clauses.append("e.online_level = %s")
        params.append(filters.online_level)
    if filters.province:
        clauses.append("(e.province = %s OR e.province = '')")
        params.append(filters.province)
    if not filters.include_superseded:
        clauses.append("e.status = 'published'")
    return (" AND " + " AND ".join(clauses)) if clauses else "", params


class Backend:
    def match(
        self, parsed: ParsedQuery, filters: Filters, *, limit: int, offset: int, all_groups: bool
    ) -> tuple[list[tuple[int, float]], int]:
        raise NotImplementedError


class SqliteBackend(Backend):
    def match(
        self, parsed: ParsedQuery, filters: Filters, *, limit: int, offset: int, all_groups: bool
    ) -> tuple[list[tuple[int, float]], int]:
        expression = (" AND " if all_groups else " OR ").join(_fts5_group(g) for g in parsed.groups)
        where, params = _filter_sql(filters)
        # bm25 is lower for better matches; weights put the name above the English text above the body.
        base = (
            "FROM catalogue_searchentry_fts f JOIN catalogue_searchentry e ON e.id = f.rowid "
            f"WHERE catalogue_searchentry_fts MATCH %s{where}"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT e.id, bm25(catalogue_searchentry_fts, 10.0, 4.0, 1.0) * e.boost AS score "
                f"{base} ORDER BY score, e.id LIMIT %s OFFSET %s",
                [expression, *params, limit, offset],
            )
            rows = [(row[0], -float(row[1])) for row in cursor.fetchall()]
            cursor.execute(f"SELECT count(*) {base}", [expression, *params])
            count = int(cursor.fetchone()[0])
        return rows, count


class PostgresBackend(Backend):
    def match(
        self, parsed: ParsedQuery, filters: Filters, *, limit: int, offset: int, all_groups: bool
    ) -> tuple[list[tuple[int, float]], int]:
        expression = (" & " if all_groups else " | ").join(_tsquery_group(g) for g in parsed.groups)
        where, params = _filter_sql(filters)
        base = "FROM catalogue_searchentry e WHERE e.document @@ q.query" + where
        # ts_rank (frequency, not cover density: half the cost over large match sets) with length normalisation 1
        # (divide by 1 + log(length)); weights A name, B English, C body.
        with connection.cursor() as cursor:
            cursor.execute(
                "WITH q AS (SELECT to_tsquery('simple', unaccent(%s)) AS query) "
                "SELECT e.id, ts_rank('{0.1, 0.2, 0.4, 1.0}', e.document, q.query, 1) * e.boost AS score "
                f"FROM q, catalogue_searchentry e WHERE e.document @@ q.query{where} "
                "ORDER BY score DESC, e.id LIMIT %s OFFSET %s",
                [expression, *params, limit, offset],
            )
            rows = [(row[0], float(row[1])) for row in cursor.fetchall()]
            cursor.execute(
                f"WITH q AS (SELECT to_tsquery('simple', unaccent(%s)) AS query) SELECT count(*) FROM q, {base[5:]}",
                [expression, *params],
            )
            count = int(cursor.fetchone()[0])
        return rows, count


def backend() -> Backend:
    return PostgresBackend() if connection.vendor == "postgresql" else SqliteBackend()


# --- the search ------------------------------------------------------------------------------------------------


def search(text: str, filters: Filters | None = None, *, limit: int = 20, offset: int = 0) -> SearchResults:
    """Search procedures and FAQ as a citizen types: with or without diacritics, abbreviations, small typos.

    Every word must match; when nothing matches every word, results matching any word are returned instead
    (`matched_all_words` is then False). An exact procedure code comes first.
    """
    filters = filters or Filters()
    parsed = parse(text, vocabulary=DatabaseVocabulary())
    if parsed.empty:
        return _browse(parsed, filters, limit=limit, offset=offset)
    engine = backend()
    rows, count = engine.match(parsed, filters, limit=limit, offset=offset, all_groups=True)
    matched_all = True
    if count == 0 and len(parsed.groups) > 1:
        rows, count = engine.match(parsed, filters, limit=limit, offset=offset, all_groups=False)
        matched_all = False
    if parsed.code and offset == 0:
        rows = _code_first(parsed.code, rows, filters)
    return SearchResults(
        query=parsed.text,
        items=_hits(rows, parsed),
        count=count,
        corrections=parsed.corrections,
        matched_all_words=matched_all,
    )


def suggest(text: str, *, limit: int = 8) -> list[SearchHit]:
    """Titles for the search box as the user types (published procedures and FAQ only)."""
    if len(text.strip()) < 2:
        return []
    return search(text, Filters(include_superseded=False), limit=limit).items


def _code_first(code: str, rows: list[tuple[int, float]], filters: Filters) -> list[tuple[int, float]]:
    exact = list(
        SearchEntry.objects.filter(kind="procedure", code=code)
        .order_by("-boost")
        .values_list("id", flat=True)[:1]
    )
    if not exact:
        return rows
    return [(exact[0], EXACT_CODE_SCORE), *[r for r in rows if r[0] != exact[0]]]


def _browse(parsed: ParsedQuery, filters: Filters, *, limit: int, offset: int) -> SearchResults:
    where, params = _filter_sql(filters)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.id, e.boost FROM catalogue_searchentry e WHERE 1=1{where} "
            "ORDER BY e.boost DESC, e.kind DESC, e.title_folded, e.id LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        rows = [(row[0], float(row[1])) for row in cursor.fetchall()]
        cursor.execute(f"SELECT count(*) FROM catalogue_searchentry e WHERE 1=1{where}", params)
        count = int(cursor.fetchone()[0])
    return SearchResults(query="", items=_hits(rows, parsed), count=count)


def _split(value: str) -> list[str]:
    return [v for v in value.split("|") if v]


def _hits(rows: Sequence[tuple[int, float]], parsed: ParsedQuery) -> list[SearchHit]:
    entries = SearchEntry.objects.in_bulk([r[0] for r in rows])
    whole, prefixes = parsed.highlight_terms()
    hits = []
    for entry_id, score in rows:
        entry = entries.get(entry_id)
        if entry is None:
            continue
        hits.append(
            SearchHit(
                kind=entry.kind,
                code=entry.code,
                title=entry.title,
                title_en=entry.title_en,
                summary=entry.summary,
                title_html=highlight(entry.title, whole, prefixes),
                snippet_html=snippet(entry.summary, whole, prefixes),
                status=entry.status,
                levels=_split(entry.levels),
                fields=_split(entry.fields),
                agency=entry.agency,
                online_level=entry.online_level,
                province=entry.province,
                score=score,
            )
        )
    return hits


def _is_hit(word: str, whole: set[str], prefixes: set[str]) -> bool:
    folded = fold(word)
    return folded in whole or any(folded.startswith(p) for p in prefixes)


def highlight(text: str, whole: set[str], prefixes: set[str]) -> SafeString:
    """Escape `text` and wrap the words that match the query in <mark>."""
    out: list[str] = []
    position = 0
    for match in _WORD_RE.finditer(text):
        out.append(escape(text[position : match.start()]))
        word = match.group(0)
        out.append(f"<mark>{escape(word)}</mark>" if _is_hit(word, whole, prefixes) else escape(word))
        position = match.end()
    out.append(escape(text[position:]))
    return mark_safe("".join(out))


def snippet(text: str, whole: set[str], prefixes: set[str], *, width: int = 220) -> SafeString:
    """The part of `text` (at most `width` characters, cut at words) with the first match, highlighted."""
    if len(text) <= width:
        return highlight(text, whole, prefixes)
    first = next((m.start() for m in _WORD_RE.finditer(text) if _is_hit(m.group(0), whole, prefixes)), 0)
    start = max(0, first - width // 3)
    if start:
        start = text.find(" ", start) + 1 or start
    end = min(len(text), start + width)
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > start else end
    piece = highlight(text[start:end], whole, prefixes)
    return mark_safe(("… " if start else "") + piece + (" …" if end < len(text) else ""))


# --- index maintenance -----------------------------------------------------------------------------------------


def _bars(values: Iterable[str]) -> str:
    values = [v for v in values if v]
    return "|" + "|".join(values) + "|" if values else ""


def entry_values_for_procedure(procedure: object) -> dict[str, object]:
    from .models import Procedure

    assert isinstance(procedure, Procedure)
    steps = " ".join(f"{s.get('title', '')} {s.get('description', '')}" for s in procedure.steps)
    steps_en = " ".join(f"{s.get('title_en', '')} {s.get('description_en', '')}" for s in procedure.steps)
    documents = " ".join(d.get("name", "") for d in procedure.documents)
    results = " ".join(r.get("name", "") for r in procedure.results)
    field_rows = list(procedure.fields.all())
    return {
        "code": procedure.code,
        "title": procedure.name,
        "title_en": procedure.name_en,
        "summary": procedure.summary,
        "summary_en": procedure.summary_en,
        "title_folded": index_text(procedure.name),
        "english_folded": index_text(procedure.name_en, procedure.summary_en, steps_en),
        "body_folded": index_text(
            procedure.code,
            procedure.summary,
            " ".join(f.name for f in field_rows),
            procedure.competent_agency,
            steps,
            documents,
            results,
            procedure.conditions,
        ),
        "status": procedure.status,
        "boost": BOOST.get(procedure.status, 0.3),
        "levels": _bars(procedure.levels),
        "audiences": _bars(procedure.audiences),
        "fields": _bars(f.slug for f in field_rows),
        "agency": procedure.managing_agency.code,
        "online_level": procedure.online_level,
        "province": procedure.province.code if procedure.province else "",
        "synthetic": procedure.synthetic,
    }


def entry_values_for_faq(faq: object) -> dict[str, object]:
    from .models import Faq

    assert isinstance(faq, Faq)
    return {
        "code": faq.code,
        "title": faq.question,
        "title_en": faq.question_en,
        "summary": faq.answer,
        "summary_en": faq.answer_en,
        "title_folded": index_text(faq.question),
        "english_folded": index_text(faq.question_en, faq.answer_en),
        "body_folded": index_text(faq.answer, faq.field.name if faq.field else ""),
        "status": "published",
        "boost": FAQ_BOOST,
        "levels": "",
        "audiences": "",
        "fields": _bars([faq.field.slug] if faq.field else []),
        "agency": faq.agency.code if faq.agency else "",
        "online_level": "",
        "province": "",
        "synthetic": faq.synthetic,
    }


def index_entry(kind: str, object_id: int, values: dict[str, object]) -> None:
    """Insert or update the search entry of one object and add its words to the vocabulary."""
    previous = SearchEntry.objects.filter(kind=kind, object_id=object_id).first()
    old_words = _entry_words(previous) if previous else set()
    SearchEntry.objects.update_or_create(kind=kind, object_id=object_id, defaults=values)
    new_words = set(str(values["title_folded"]).split()) | set(str(values["english_folded"]).split())
    new_words |= set(str(values["body_folded"]).split())
    add_to_vocabulary(Counter(new_words - old_words))


def _entry_words(entry: SearchEntry) -> set[str]:
    return (
        set(entry.title_folded.split()) | set(entry.english_folded.split()) | set(entry.body_folded.split())
    )


def add_to_vocabulary(counts: Counter[str]) -> None:
    words = {w: n for w, n in counts.items() if 2 <= len(w) <= 60 and not w.isdigit()}
    if not words:
        return
    existing = {t.term: t for t in SearchTerm.objects.filter(term__in=list(words))}
    for term in existing.values():
        term.frequency += words[term.term]
    SearchTerm.objects.bulk_update(list(existing.values()), ["frequency"], batch_size=500)
    SearchTerm.objects.bulk_create(
        [SearchTerm(term=w, length=len(w), frequency=n) for w, n in words.items() if w not in existing],
        batch_size=500,
        ignore_conflicts=True,
    )


def rebuild_vocabulary() -> int:
    """Recount the vocabulary from every search entry (after bulk loads). Rows are updated in place, added or
    removed only where the counts differ: deleting and recreating the whole table would leave it bloated with
    dead rows, and the planner then prefers the trigram index even for exact look-ups."""
    counts: Counter[str] = Counter()
    for entry in SearchEntry.objects.only("title_folded", "english_folded", "body_folded").iterator(2000):
        counts.update(_entry_words(entry))
    wanted = {w: n for w, n in counts.items() if 2 <= len(w) <= 60 and not w.isdigit()}
    existing = {t.term: t for t in SearchTerm.objects.all()}
    SearchTerm.objects.filter(pk__in=[t.pk for w, t in existing.items() if w not in wanted]).delete()
    changed = [t for w, t in existing.items() if w in wanted and t.frequency != wanted[w]]
    for term in changed:
        term.frequency = wanted[term.term]
    SearchTerm.objects.bulk_update(changed, ["frequency"], batch_size=500)
    SearchTerm.objects.bulk_create(
        [SearchTerm(term=w, length=len(w), frequency=n) for w, n in wanted.items() if w not in existing],
        batch_size=500,
    )
    return len(wanted)


__all__ = ["Filters", "SearchHit", "SearchResults", "highlight", "search", "suggest", "tokens"]
