"""Turning what a citizen types into a search query: folding, abbreviations and colloquial names, typos.

A parsed query is a list of groups; every group must match (AND), or, when nothing matches every group, any
group (OR). A group is a list of alternatives, an alternative a phrase of folded words. The last word typed is
matched as a prefix, so that results follow the keyboard.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from dichvucong.core.text import fold

_TOKEN_RE = re.compile(r"[0-9a-z]+")
CODE_RE = re.compile(r"^\d\.\d{6}$")

# Abbreviations, colloquial and old names → the words the catalogue uses, all folded. Keys of several words are
# matched on consecutive words, longest first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "lltp": ("ly lich tu phap",),
    "gplx": ("giay phep lai xe",),
    "bang lai": ("giay phep lai xe",),
    "bang lai xe": ("giay phep lai xe",),
    "cccd": ("can cuoc",),
    "can cuoc cong dan": ("can cuoc",),
    "cmnd": ("can cuoc", "chung minh nhan dan"),
    "chung minh thu": ("can cuoc", "chung minh nhan dan"),
    "bhxh": ("bao hiem xa hoi",),
    "bhyt": ("bao hiem y te",),
    "bhtn": ("bao hiem that nghiep", "tro cap that nghiep"),
    "dkkd": ("dang ky kinh doanh", "dang ky doanh nghiep", "ho kinh doanh"),
    "giay phep kinh doanh": ("dang ky kinh doanh", "dang ky doanh nghiep", "ho kinh doanh"),
    "so do": ("giay chung nhan quyen su dung dat",),
    "so hong": ("giay chung nhan quyen su dung dat", "quyen so huu nha"),
    "ho khau": ("thuong tru", "cu tru"),
    "gpxd": ("giay phep xay dung",),
    "tthc": ("thu tuc hanh chinh",),
    "dvc": ("dich vu cong",),
    "mst": ("ma so thue",),
    "tncn": ("thu nhap ca nhan",),
    "lam lai": ("cap lai",),
    "xin lai": ("cap lai",),
    "giay khai sinh": ("khai sinh",),
    "dang ky ket hon": ("ket hon",),
}
_MAX_KEY_WORDS = max(len(k.split()) for k in SYNONYMS)


@dataclass(frozen=True)
class Group:
    alternatives: tuple[tuple[str, ...], ...]  # each a phrase of folded words
    prefix: bool = False  # the last word of the first alternative is matched as a prefix

    def words(self) -> set[str]:
        return {w for phrase in self.alternatives for w in phrase}


@dataclass
class ParsedQuery:
    text: str
    groups: list[Group] = field(default_factory=list)
    code: str | None = None  # the query is a procedure code
    corrections: list[tuple[str, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.groups

    def highlight_terms(self) -> tuple[set[str], set[str]]:
        """(whole words, prefixes) to mark in titles and snippets."""
        whole: set[str] = set()
        prefixes: set[str] = set()
        for group in self.groups:
            for i, phrase in enumerate(group.alternatives):
                if group.prefix and i == 0:
                    whole.update(phrase[:-1])
                    prefixes.add(phrase[-1])
                else:
                    whole.update(phrase)
        return whole, prefixes


def tokens(text: str) -> list[str]:
    """Folded alphanumeric words, as both full-text indexes store them."""
    return _TOKEN_RE.findall(fold(text))


def index_text(*parts: str) -> str:
    return " ".join(t for part in parts for t in tokens(part))


def parse(text: str, *, vocabulary: VocabularyLookup | None = None, prefix_last: bool = True) -> ParsedQuery:
    stripped = text.strip()
    parsed = ParsedQuery(text=stripped)
    if CODE_RE.match(stripped):
        parsed.code = stripped
    words = tokens(stripped)
    if not words:
        return parsed
    trailing_space = text.endswith(" ")
    i = 0
    while i < len(words):
        matched = False
        for size in range(min(_MAX_KEY_WORDS, len(words) - i), 0, -1):
            key = " ".join(words[i : i + size])
            if key in SYNONYMS:
                alternatives = (tuple(words[i : i + size]), *(tuple(s.split()) for s in SYNONYMS[key]))
                parsed.groups.append(Group(alternatives=alternatives))
                i += size
                matched = True
                break
        if not matched:
            is_last = i == len(words) - 1
            parsed.groups.append(
                Group(alternatives=((words[i],),), prefix=prefix_last and is_last and not trailing_space)
            )
            i += 1
    if vocabulary is not None:
        _correct(parsed, vocabulary)
    return parsed


class VocabularyLookup:
    """What typo correction needs from the vocabulary; implemented per database in `search.py`."""

    def known(self, words: Iterable[str]) -> set[str]:
        raise NotImplementedError

    def has_prefix(self, word: str) -> bool:
        raise NotImplementedError

    def closest(self, word: str) -> str | None:
        raise NotImplementedError


def _correct(parsed: ParsedQuery, vocabulary: VocabularyLookup) -> None:
    single = [g for g in parsed.groups if len(g.alternatives) == 1 and len(g.alternatives[0]) == 1]
    candidates = [g.alternatives[0][0] for g in single if len(g.alternatives[0][0]) >= 3]
    candidates = [w for w in candidates if not w.isdigit()]
    if not candidates:
        return
    known = vocabulary.known(candidates)
    for index, group in enumerate(parsed.groups):
        if group not in single:
            continue
        word = group.alternatives[0][0]
        if len(word) < 3 or word.isdigit() or word in known:
            continue
        if group.prefix and vocabulary.has_prefix(word):
            continue
        better = vocabulary.closest(word)
        if better and better != word:
            parsed.corrections.append((word, better))
            parsed.groups[index] = Group(alternatives=((word,), (better,)), prefix=group.prefix)
