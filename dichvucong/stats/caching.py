"""The short cache in front of the public statistics (pages and API): figures move only when the roll-up runs."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language


def cached[T](kind: str, parts: tuple[str, ...], build: Callable[[], T]) -> T:
    """`build()` kept for `STATS_CACHE_SECONDS` per kind, parts (unit, period …) and language; 0 caches nothing."""
    seconds = settings.STATS_CACHE_SECONDS
    if seconds <= 0:
        return build()
    key = ":".join(("stats", kind, *parts, get_language() or settings.LANGUAGE_CODE))
    found = cache.get(key)
    if found is None:
        found = build()
        cache.set(key, found, seconds)
    return found
