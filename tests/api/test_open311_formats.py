"""The formats of the Open311 interface: W3C date-times read as the specification allows, and XML that stays
well formed whatever the text holds."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from dichvucong.api.open311_formats import format_w3c, parse_w3c, to_json, to_xml


def test_xml_escapes_markup_and_drops_characters_xml_cannot_carry() -> None:
    body = to_xml(
        "service_requests", [{"description": 'a <b>c</b> & "d"\x0be\x00', "lat": None, "metadata": True}]
    )
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<service_requests><request>')
    request = ET.fromstring(body).find("request")
    assert request is not None
    assert [(c.tag, c.text) for c in request] == [
        ("description", 'a <b>c</b> & "d"e'),
        ("lat", None),
        ("metadata", "true"),
    ]
    assert to_json([{"lat": None, "name": "Hà Nội"}]) == '[{"lat": null, "name": "Hà Nội"}]'.encode()


def test_datetimes_are_written_in_vietnam_time_with_the_offset() -> None:
    assert (
        format_w3c(dt.datetime(2026, 11, 2, 2, 0, 30, 123456, tzinfo=dt.UTC)) == "2026-11-02T09:00:30+07:00"
    )
    assert format_w3c(None) is None


# --- reading W3C dates ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2010-01-01T00:00:00Z", dt.datetime(2010, 1, 1, tzinfo=dt.UTC)),
        ("1994-11-05T08:15:30-05:00", dt.datetime(1994, 11, 5, 13, 15, 30, tzinfo=dt.UTC)),
        ("2026-11-02T09:00+07:00", dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)),
        ("2026-11-02T09:00:00 07:00", dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)),  # an unencoded "+"
        ("2026-11-02T09:00:00.250Z", dt.datetime(2026, 11, 2, 9, 0, 0, 250000, tzinfo=dt.UTC)),
        ("2026-11-02", dt.datetime(2026, 11, 1, 17, 0, tzinfo=dt.UTC)),  # midnight in Hà Nội
        ("2026-11", dt.datetime(2026, 10, 31, 17, 0, tzinfo=dt.UTC)),
    ],
)
def test_w3c_datetimes_are_read(text: str, expected: dt.datetime) -> None:
    assert parse_w3c(text) == expected


@pytest.mark.parametrize(
    "text", ["", "2026-13-01", "2026-11-02T09:00:00", "2026-11-02 09:00Z", "02/11/2026", "2026-11-02T25:00Z"]
)
def test_other_dates_are_not_w3c(text: str) -> None:
    with pytest.raises(ValueError):
        parse_w3c(text)
