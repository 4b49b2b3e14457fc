"""Display helpers for the portal's templates: labels of stored codes, money in đồng, the English text of a
record when the page is in English, counts of document copies."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import template
from django.db.models import TextChoices
from django.utils.translation import get_language, gettext, ngettext

from dichvucong.catalogue.models import (
    Audience,
    Channel,
    EntryKind,
    Level,
    OnlineLevel,
    ProcedureStatus,
    TimeUnit,
)
from dichvucong.organisations.models import AgencyKind, AgencyLevel

register = template.Library()

CHOICES: dict[str, type[TextChoices]] = {
    "level": Level,
    "audience": Audience,
    "online_level": OnlineLevel,
    "channel": Channel,
    "time_unit": TimeUnit,
    "status": ProcedureStatus,
    "kind": EntryKind,
    "agency_level": AgencyLevel,
    "agency_kind": AgencyKind,
}


def english() -> bool:
    return (get_language() or "vi").startswith("en")


@register.filter
def label(value: object, choices: str) -> str:
    """The translated label of a stored choice value (`{{ "province"|label:"level" }}`); unknown values as is."""
    enum = CHOICES.get(choices)
    if enum is None or value in (None, ""):
        return "" if value is None else str(value)
    try:
        return str(enum(str(value)).label)
    except ValueError:
        return str(value)


@register.filter
def labels(values: list[str] | None, choices: str) -> str:
    return ", ".join(label(v, choices) for v in values or [])


@register.filter
def localized(obj: Any, name: str) -> str:
    """`obj.name`, or `obj.name_en` when the page is in English and the English text exists.

    Works for model instances and the dicts of a procedure's JSON parts (steps)."""
    if isinstance(obj, dict):
        value, value_en = obj.get(name, ""), obj.get(f"{name}_en", "")
    else:
        value, value_en = getattr(obj, name, ""), getattr(obj, f"{name}_en", "")
    return str(value_en) if english() and value_en else str(value or "")


@register.filter
def has_english(obj: Any, name: str) -> bool:
    value = obj.get(f"{name}_en") if isinstance(obj, dict) else getattr(obj, f"{name}_en", "")
    return bool(value)


def group_thousands(number: int) -> str:
    separator = "," if english() else "."
    return f"{number:,}".replace(",", separator)


@register.filter
def dong(amount: int | None) -> str:
    """An amount of đồng as people read it: "160.000 đồng", "Miễn phí" for 0, "" when unknown (None)."""
    if amount is None:
        return ""
    if amount == 0:
        return gettext("Miễn phí")
    return gettext("%(amount)s đồng") % {"amount": group_thousands(int(amount))}


@register.filter
def number(value: float | int | None) -> str:
    """A number without a useless ".0", with the decimal comma in Vietnamese."""
    if value is None:
        return ""
    if float(value).is_integer():
        return group_thousands(int(value))
    text = f"{value:g}"
    return text if english() else text.replace(".", ",")


@register.filter
def time_limit(method: dict[str, Any]) -> str:
    """The time limit of a method: the published text when there is one, else number and unit."""
    text = str(method.get("time_limit_text") or "")
    value = method.get("time_limit")
    if value is None:
        return text
    amount = f"{number(value)} {label(method.get('time_unit') or 'working_days', 'time_unit')}"
    return f"{amount} ({text})" if text else amount


@register.filter
def fee_kind(kind: str | None) -> str:
    return gettext("Phí") if kind == "charge" else gettext("Lệ phí")


@register.filter
def copies(document: dict[str, Any]) -> str:
    """ "1 bản chính, 1 bản sao" from the originals and copies of a document."""
    parts = []
    originals, duplicates = int(document.get("originals") or 0), int(document.get("copies") or 0)
    if originals:
        parts.append(ngettext("%(n)s bản chính", "%(n)s bản chính", originals) % {"n": originals})
    if duplicates:
        parts.append(ngettext("%(n)s bản sao", "%(n)s bản sao", duplicates) % {"n": duplicates})
    return ", ".join(parts)


@register.filter
def iso_date(value: str | dt.date | None) -> str:
    """A YYYY-MM-DD date (as stored in JSON) shown as dd/mm/yyyy."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value.strftime("%d/%m/%Y")


@register.filter
def is_url(value: str | None) -> bool:
    return bool(value) and str(value).startswith(("https://", "http://"))


@register.filter
def as_query(items: list[tuple[str, str]] | None) -> str:
    """`?a=1&b=2` from (name, value) pairs, for pagination links."""
    return "?" + urlencode(items or [])


@register.simple_tag(takes_context=True)
def page_query(context: template.Context, param: str, number: int) -> str:
    """The current query string with `param` set to `number` (links between pages of a list)."""
    query = context["request"].GET.copy()
    query[param] = str(number)
    return "?" + query.urlencode()
