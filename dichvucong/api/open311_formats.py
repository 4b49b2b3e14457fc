"""The two formats of Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): XML, schemaless and without a
namespace, and JSON as the "Spark convention" maps that XML (a container of repeated elements becomes an array,
the root container of a list disappears); and the W3C date-times the specification requires.

A response is built once as plain data (dicts, lists, strings, numbers, booleans, None) and rendered in either
format, so the two can never say different things. Lists are named by their container; `ITEM_NAMES` gives the
name of the repeated element inside each container (`<services><service>…`, `<attributes><attribute>…`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpResponse

JSON = "json"
XML = "xml"
FORMATS = (JSON, XML)
CONTENT_TYPES = {JSON: "application/json; charset=utf-8", XML: "text/xml; charset=utf-8"}
MIME_TYPES = ("text/xml", "application/json")  # as the discovery document lists them

ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}

XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
# Characters XML 1.0 cannot carry at all (not even escaped): C0 controls other than tab, LF, CR; surrogates;
# U+FFFE/U+FFFF. A sender's text may hold them (pasted from a word processor); they are dropped.
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Data = Mapping[str, Any] | Sequence[Any]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return _NOT_XML_RE.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list | tuple):
        item = ITEM_NAMES[element.tag]
        for child in value:
            _fill(ET.SubElement(element, item), child)
    else:
        element.text = _text(
            value
        )  # ElementTree escapes &, <, > (and quotes in attributes, of which there are none)


def to_xml(root: str, data: Data) -> bytes:
    """`data` as the specification's XML under `<root>`, with the XML declaration it requires."""
    element = ET.Element(root)
    _fill(element, data)
    return XML_DECLARATION + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json(data: Data) -> bytes:
    return json.dumps(data, ensure_ascii=False, default=_json_default).encode()


def render(fmt: str, root: str, data: Data, status: int = 200) -> HttpResponse:
    """The answer in `fmt`: `root` names the XML root element (in JSON the root is the value itself)."""
    body = to_xml(root, data) if fmt == XML else to_json(data)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def errors(fmt: str, status: int, *descriptions: str) -> HttpResponse:
    """The specification's error answer: a list of `code` (the HTTP status) and `description`, with that status."""
    items = [{"code": status, "description": description} for description in descriptions]
    return render(fmt, "errors", items, status=status)


# --- W3C date-times (http://www.w3.org/TR/NOTE-datetime) ---------------------------------------------------------

_W3C_RE = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?"
    r"(?P<tz>Z|[+\- ]\d{2}:\d{2}))?)?)?"
)


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def parse_w3c(value: str) -> dt.datetime:
    """An aware datetime from one of the W3C profile's forms: YYYY, YYYY-MM, YYYY-MM-DD (the start of that year,
    month or day in Vietnam's time), or a date and time with its zone (Z or ±hh:mm), seconds and fractions
    optional. A space where the offset's "+" should be is read as "+": clients that forget to encode the "+" in
    a query string send one. ValueError for anything else."""
    match = _W3C_RE.fullmatch(value.strip())
    if match is None:
        raise ValueError(value)
    part = match.groupdict()
    year, month, day = int(part["year"]), int(part["month"] or 1), int(part["day"] or 1)
    if part["hour"] is None:
        return dt.datetime(year, month, day, tzinfo=local_zone())
    tz_text = part["tz"]
    if tz_text == "Z":
        zone: dt.tzinfo = dt.UTC
    else:
        sign = -1 if tz_text[0] == "-" else 1
        hours, minutes = int(tz_text[1:3]), int(tz_text[4:6])
        if hours > 23 or minutes > 59:
            raise ValueError(value)
        zone = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    fraction = (part["fraction"] or "0")[:6].ljust(6, "0")
    return dt.datetime(
        year,
        month,
        day,
        int(part["hour"]),
        int(part["minute"]),
        int(part["second"] or 0),
        int(fraction),
        tzinfo=zone,
    )


def format_w3c(value: dt.datetime | None) -> str | None:
    """`value` in Vietnam's time with its offset, to the second: 2026-11-23T09:15:30+07:00."""
    if value is None:
        return None
    return value.astimezone(local_zone()).isoformat(timespec="seconds")
