"""The Open311 GeoReport v2 interface: every endpoint of the specification in JSON and XML, its errors, and the
privacy rule (what an unpublished request shows)."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dichvucong.feedback import services
from dichvucong.feedback.models import Channel, Feedback
from tests.feedback.factories import (
    MONDAY_9AM,
    SENDER_ADDRESS,
    SENDER_EMAIL,
    forwarded_feedback,
    make_feedback,
    operator,
    published_feedback,
)

pytestmark = pytest.mark.django_db

BASE = "/" + settings.OPEN311_PATH
FORMATS = ("json", "xml")
# The specification's fields of a service request (GET Service Requests, "Response"), in its order.
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]
W3C_LOCAL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")
# Before the 90-day window, and inside it, whenever the suite runs.
WINDOW = {"start_date": "2026-10-20T00:00:00+07:00", "end_date": "2026-11-20T00:00:00+07:00"}


@pytest.fixture
def api_key() -> str:
    _client, key = services.create_open311_client(name="Ứng dụng Hà Nội", actor=None)
    return key


def form(key: str, **overrides: str | None) -> dict[str, str]:
    """A complete POST requests form, as the specification's example (with this portal's attributes); an
    override of None leaves the parameter out."""
    values: dict[str, str | None] = {
        "api_key": key,
        "jurisdiction_id": settings.OPEN311_JURISDICTION_ID,
        "service_code": "delay_harassment",
        "address_string": "Bộ phận một cửa, phường Ba Đình, Hà Nội",
        "email": SENDER_EMAIL,
        "device_id": "thiet-bi-7",
        "account_id": "tk-123",
        "first_name": "Văn An",
        "last_name": "Nguyễn",
        "phone": "0912345678",
        "description": "Hồ sơ đăng ký khai sinh hẹn trả sau một ngày nhưng hai tuần chưa có kết quả.",
        "media_url": "https://anh.example.vn/ho-so.jpg",
        "attribute[topic]": "procedure",
        "attribute[title]": "Hồ sơ khai sinh trả chậm",
        "attribute[sender_address]": SENDER_ADDRESS,
        "attribute[consent_to_publish]": "true",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def post(client: Client, fmt: str, data: dict[str, str]) -> Any:
    return client.post(
        f"{BASE}requests.{fmt}", data=urlencode(data), content_type="application/x-www-form-urlencoded"
    )


def xml_of(response: Any) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def json_of(response: Any) -> Any:
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def error_descriptions(response: Any, fmt: str) -> list[str]:
    """The errors in the specification's shape (code = the HTTP status), as their descriptions."""
    if fmt == "json":
        body = json_of(response)
        assert all(set(e) == {"code", "description"} and e["code"] == response.status_code for e in body)
        return [e["description"] for e in body]
    root = xml_of(response)
    assert root.tag == "errors" and [e.tag for e in root] == ["error"] * len(root)
    assert all([c.tag for c in e] == ["code", "description"] for e in root)
    assert all(e.findtext("code") == str(response.status_code) for e in root)
    return [e.findtext("description") or "" for e in root]


def requests_of(response: Any, fmt: str) -> list[dict[str, Any]]:
    """The service requests of a response, as dicts of text (XML) or values (JSON), checking the element names."""
    assert response.status_code == 200, response.content
    if fmt == "json":
        return list(json_of(response))
    root = xml_of(response)
    assert root.tag == "service_requests" and all(r.tag == "request" for r in root)
    return [{child.tag: child.text for child in request} for request in root]


# --- discovery, services, service definitions --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_v2_endpoint_by_its_absolute_url_and_both_formats(
    client: Client, fmt: str
) -> None:
    response = client.get(f"{BASE}discovery.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        body = json_of(response)
        endpoint = body["endpoints"][0]
        formats = endpoint["formats"]
    else:
        root = xml_of(response)
        assert root.tag == "discovery"
        assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
        body = {c.tag: c.text for c in root}
        node = root.find("endpoints/endpoint")
        assert node is not None
        endpoint = {c.tag: c.text for c in node}
        formats = [f.text for f in node.findall("formats/format")]
    assert body["changeset"] and "18001096" in body["contact"] and "api_key" in body["key_service"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver" + BASE.rstrip("/")
    assert endpoint["type"] == "production"
    assert sorted(formats) == ["application/json", "text/xml"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_kinds_of_feedback(client: Client, fmt: str) -> None:
    response = client.get(f"{BASE}services.{fmt}", {"jurisdiction_id": settings.OPEN311_JURISDICTION_ID})
    assert response.status_code == 200
    if fmt == "json":
        listed = json_of(response)
    else:
        root = xml_of(response)
        assert root.tag == "services" and {s.tag for s in root} == {"service"}
        listed = [{c.tag: c.text for c in s} for s in root]
    assert [list(s) for s in listed] == [SERVICE_FIELDS] * 9
    delay = next(s for s in listed if s["service_code"] == "delay_harassment")
    assert delay["service_name"] == "Chậm trễ, gây phiền hà, sách nhiễu"
    assert delay["metadata"] in (True, "true") and delay["type"] == "realtime"
    assert "sách nhiễu" in delay["keywords"] and "," in delay["keywords"]
    assert delay["group"] == "Phản ánh về việc thực hiện quy định hành chính"


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_lists_the_attributes_with_their_values(client: Client, fmt: str) -> None:
    response = client.get(f"{BASE}services/unfit_rule.{fmt}")
    assert response.status_code == 200
    if fmt == "json":
        body = json_of(response)
        attributes = body["attributes"]
        code = body["service_code"]
    else:
        root = xml_of(response)
        assert root.tag == "service_definition" and [c.tag for c in root] == ["service_code", "attributes"]
        code = root.findtext("service_code")
        attributes = []
        for node in root.findall("attributes/attribute"):
            item: dict[str, Any] = {c.tag: c.text for c in node}
            item["values"] = [{v.tag: v.text for v in value} for value in node.findall("values/value")]
            attributes.append(item)
    assert code == "unfit_rule"
    assert all(list(a) == ATTRIBUTE_FIELDS for a in attributes)
    by_code = {a["code"]: a for a in attributes}
    assert {c for c, a in by_code.items() if a["required"] in (True, "true")} == {
        "topic",
        "title",
        "sender_address",
    }
    assert [str(a["order"]) for a in attributes] == [str(n) for n in range(1, len(attributes) + 1)]
    assert by_code["topic"]["datatype"] == "singlevaluelist"
    assert {"key": "procedure", "name": "Thủ tục hành chính, hồ sơ"} in by_code["topic"]["values"]
    assert [v["key"] for v in by_code["consent_to_publish"]["values"]] == ["true", "false"]
    assert {"procedure_code", "dossier_code", "agency_code", "unit_code"} <= set(by_code)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_service_is_not_found(client: Client, fmt: str) -> None:
    response = client.get(f"{BASE}services/potholes.{fmt}")
    assert response.status_code == 404
    assert "potholes" in error_descriptions(response, fmt)[0]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", ["services", "services/other", "requests", "tokens/PAKN-261102-AAAAAA"])
def test_another_jurisdiction_is_not_found(client: Client, fmt: str, path: str) -> None:
    response = client.get(f"{BASE}{path}.{fmt}", {"jurisdiction_id": "sfgov.org"})
    assert response.status_code == 404
    assert "jurisdiction_id" in error_descriptions(response, fmt)[0]


def test_an_empty_jurisdiction_is_the_same_as_none(client: Client) -> None:
    assert client.get(f"{BASE}services.json", {"jurisdiction_id": ""}).status_code == 200


@pytest.mark.parametrize("path", ["discovery.yaml", "services.html", "requests.csv", "services/other.txt"])
def test_an_unknown_format_is_not_found(client: Client, path: str) -> None:
    response = client.get(BASE + path)
    assert response.status_code == 404
    assert "định dạng" in error_descriptions(response, "xml")[0].lower()


def test_a_method_the_address_does_not_take_is_refused_with_allow(client: Client) -> None:
    response = client.delete(f"{BASE}requests.json")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, POST"
    assert client.post(f"{BASE}services.json").status_code == 405


# --- POST requests ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_is_filed_as_feedback_and_its_code_given_at_once(
    client: Client, api_key: str, fmt: str
) -> None:
    response = post(client, fmt, form(api_key))
    (answer,) = requests_of(response, fmt)
    assert list(answer) == ["service_request_id", "service_notice", "account_id"]
    assert re.fullmatch(r"PAKN-\d{6}-[0-9A-Z]{6}", answer["service_request_id"])
    assert answer["account_id"] == "tk-123" and "ngày làm việc" in answer["service_notice"]
    feedback = Feedback.objects.select_related("client").get(code=answer["service_request_id"])
    assert feedback.channel == Channel.OPEN311 and feedback.client is not None
    assert feedback.client.name == "Ứng dụng Hà Nội"
    assert (feedback.kind, feedback.topic, feedback.title) == (
        "delay_harassment",
        "procedure",
        "Hồ sơ khai sinh trả chậm",
    )
    assert (feedback.sender_name, feedback.sender_phone, feedback.sender_email) == (
        "Nguyễn Văn An",
        "0912345678",
        SENDER_EMAIL,
    )
    assert feedback.sender_address == SENDER_ADDRESS and feedback.address.startswith("Bộ phận một cửa")
    assert feedback.consent_to_publish is True
    assert (feedback.device_id, feedback.account_id) == ("thiet-bi-7", "tk-123")
    assert feedback.media_url == "https://anh.example.vn/ho-so.jpg"


def test_a_request_located_by_coordinates_keeps_six_decimals(client: Client, api_key: str) -> None:
    data = form(api_key, address_string=None, lat="21.03412345", long="105.8142051")
    (answer,) = requests_of(post(client, "json", data), "json")
    feedback = Feedback.objects.get(code=answer["service_request_id"])
    assert (feedback.latitude, feedback.longitude) == (Decimal("21.034123"), Decimal("105.814205"))
    assert feedback.address == ""


def test_a_request_located_by_address_id_is_placed_in_that_unit(client: Client, api_key: str) -> None:
    (answer,) = requests_of(post(client, "xml", form(api_key, address_string=None, address_id="01")), "xml")
    feedback = Feedback.objects.select_related("unit").get(code=answer["service_request_id"])
    assert feedback.unit is not None and feedback.unit.code == "01"


def test_no_csrf_token_is_needed_the_api_key_authenticates(api_key: str) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert post(strict, "json", form(api_key)).status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("key", [None, "", "abc123.wrong-secret", "not-a-key"])
def test_a_missing_or_wrong_api_key_is_forbidden(
    client: Client, api_key: str, fmt: str, key: str | None
) -> None:
    response = post(client, fmt, form(api_key, api_key=key))
    assert response.status_code == 403
    assert error_descriptions(response, fmt)[0].startswith("api_key:")
    assert not Feedback.objects.exists()


def test_a_revoked_client_key_is_forbidden(client: Client, api_key: str) -> None:
    from dichvucong.feedback.models import Open311Client

    Open311Client.objects.update(is_active=False)
    assert post(client, "json", form(api_key)).status_code == 403


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_without_a_location_is_refused(client: Client, api_key: str, fmt: str) -> None:
    response = post(client, fmt, form(api_key, address_string=None))
    assert response.status_code == 400
    (description,) = error_descriptions(response, fmt)
    assert "lat và long, address_string hoặc address_id" in description
    assert not Feedback.objects.exists()


def test_half_a_coordinate_or_one_out_of_range_is_refused(client: Client, api_key: str) -> None:
    half = post(client, "json", form(api_key, lat="21.03"))
    assert half.status_code == 400 and "long" in error_descriptions(half, "json")[0]
    wrong = post(client, "json", form(api_key, lat="91", long="abc"))
    assert [d.split(":")[0] for d in error_descriptions(wrong, "json")] == ["lat", "long"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_sender_name_address_and_phone_are_required_in_vietnamese(
    client: Client, api_key: str, fmt: str
) -> None:
    data = form(api_key, first_name="", last_name=None, phone=" ", **{"attribute[sender_address]": ""})
    response = post(client, fmt, data)
    assert response.status_code == 400
    descriptions = error_descriptions(response, fmt)
    assert descriptions == [
        "attribute[sender_address]: bắt buộc (Địa chỉ liên hệ của người gửi (bắt buộc theo quy định về tiếp nhận "
        "phản ánh, kiến nghị)).",
        "first_name, last_name: vui lòng cho biết họ tên người gửi.",
        "phone: vui lòng cho biết số điện thoại của người gửi.",
    ]
    assert not Feedback.objects.exists()


def test_required_attributes_and_list_values_are_checked(client: Client, api_key: str) -> None:
    data = form(
        api_key,
        **{"attribute[title]": None, "attribute[topic]": "roads", "attribute[consent_to_publish]": "yes"},
    )
    descriptions = error_descriptions(post(client, "json", data), "json")
    assert [d.split(":")[0] for d in descriptions] == [
        "attribute[topic]",
        "attribute[title]",
        "attribute[consent_to_publish]",
    ]
    assert "“roads”" in descriptions[0]


def test_the_portal_rules_come_back_named_by_open311_parameter(client: Client, api_key: str) -> None:
    data = form(
        api_key,
        address_string=None,
        address_id="99999",
        phone="12345",
        description="Quá ngắn.",
        **{"attribute[dossier_code]": "UBND-01-261102-9999"},
    )
    response = post(client, "xml", data)
    assert response.status_code == 400
    fields = [d.split(":")[0] for d in error_descriptions(response, "xml")]
    assert set(fields) == {"description", "phone", "address_id", "attribute[dossier_code]"}
    assert any(d.startswith("phone: Số điện thoại không hợp lệ") for d in error_descriptions(response, "xml"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_or_unknown_service_code(client: Client, api_key: str, fmt: str) -> None:
    missing = post(client, fmt, form(api_key, service_code=""))
    assert missing.status_code == 400 and error_descriptions(missing, fmt)[0].startswith("service_code:")
    unknown = post(client, fmt, form(api_key, service_code="potholes"))
    assert unknown.status_code == 404 and "potholes" in error_descriptions(unknown, fmt)[0]


def test_posting_to_another_jurisdiction_is_not_found(client: Client, api_key: str) -> None:
    response = post(client, "json", form(api_key, jurisdiction_id="city.gov"))
    assert response.status_code == 404 and not Feedback.objects.exists()


# --- GET requests, GET requests/{id}, tokens ------------------------------------------------------------------------


PERSONAL = [
    "Nguyễn Văn An",
    "0912",
    "an.nguyen@example.vn",
    "Đội Cấn",
    "thiet-bi-7",
    "tk-123",
    "anh.example.vn",
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unpublished_request_shows_no_text_of_the_sender_nor_personal_data(
    client: Client, api_key: str, fmt: str
) -> None:
    (answer,) = requests_of(post(client, "json", form(api_key, address_id="01")), "json")
    response = client.get(f"{BASE}requests/{answer['service_request_id']}.{fmt}")
    (shown,) = requests_of(response, fmt)
    assert list(shown) == REQUEST_FIELDS
    body = response.content.decode()
    for secret in [*PERSONAL, "Hồ sơ khai sinh trả chậm", "hai tuần chưa có kết quả", "Bộ phận một cửa"]:
        assert secret not in body
    assert shown["status"] == "open" and shown["status_notes"] == "Mới tiếp nhận"
    assert shown["description"] is None and shown["media_url"] is None
    assert shown["lat"] is None and shown["long"] is None
    assert shown["service_code"] == "delay_harassment"
    assert (shown["address"], shown["address_id"]) == ("Thành phố Hà Nội", "01")
    assert W3C_LOCAL.match(shown["requested_datetime"]) and W3C_LOCAL.match(shown["expected_datetime"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_published_request_shows_the_published_texts_and_place_only(client: Client, fmt: str) -> None:
    feedback = published_feedback(
        latitude=Decimal("21.034123"), longitude=Decimal("105.814205"), unit_code="01"
    )
    response = client.get(f"{BASE}requests/{feedback.code.lower()}.{fmt}")
    (shown,) = requests_of(response, fmt)
    assert shown["status"] == "closed"
    assert shown["description"] == f"{feedback.public_title}\n\n{feedback.public_content}"
    assert shown["status_notes"] == feedback.public_answer
    assert shown["agency_responsible"] == "Ủy ban nhân dân thành phố Hà Nội"
    assert str(shown["lat"]) == "21.034123" and str(shown["long"]) == "105.814205"
    assert shown["media_url"] is None
    assert shown["updated_datetime"] == "2026-11-04T09:00:00+07:00"  # published two days after receipt
    for secret in PERSONAL:
        assert secret not in response.content.decode()


def test_refusal_reasons_are_shown_only_without_personal_data(client: Client) -> None:
    clean, personal = make_feedback(), make_feedback()
    services.refuse(
        feedback_id=clean.pk, actor=operator(), reason="Nội dung là khiếu nại, không thuộc phạm vi."
    )
    services.refuse(feedback_id=personal.pk, actor=operator(), reason="Ông Nguyễn Văn An gửi đơn khiếu nại.")
    shown = requests_of(
        client.get(f"{BASE}requests.json", {"service_request_id": f"{clean.code},{personal.code}"}), "json"
    )
    notes = {r["service_request_id"]: r["status_notes"] for r in shown}
    assert notes == {
        clean.code: "Không tiếp nhận: Nội dung là khiếu nại, không thuộc phạm vi.",
        personal.code: "Không tiếp nhận",
    }


def test_a_merged_request_points_to_the_one_it_joined(client: Client) -> None:
    kept, duplicate = make_feedback(), make_feedback()
    services.merge(feedback_id=duplicate.pk, into_code=kept.code, actor=operator())
    (shown,) = requests_of(client.get(f"{BASE}requests/{duplicate.code}.xml"), "xml")
    assert shown["status"] == "closed" and kept.code in (shown["status_notes"] or "")


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_request_or_token_is_not_found(client: Client, fmt: str) -> None:
    for path in ("requests/PAKN-261102-ZZZZZZ", "tokens/PAKN-261102-ZZZZZZ"):
        response = client.get(f"{BASE}{path}.{fmt}")
        assert response.status_code == 404 and "PAKN-261102-ZZZZZZ" in error_descriptions(response, fmt)[0]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_token_gives_the_service_request_id(client: Client, fmt: str) -> None:
    feedback = make_feedback()
    (shown,) = requests_of(client.get(f"{BASE}tokens/{feedback.code}.{fmt}"), fmt)
    assert shown == {"service_request_id": feedback.code, "token": feedback.code}


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_are_filtered_by_dates_kind_and_status_newest_first(client: Client, fmt: str) -> None:
    older = forwarded_feedback(now=MONDAY_9AM - dt.timedelta(days=3))
    newer = make_feedback(now=MONDAY_9AM, kind="unfit_rule", topic="regulation")
    before = make_feedback(now=MONDAY_9AM - dt.timedelta(days=40))  # before the window
    published = published_feedback(now=MONDAY_9AM - dt.timedelta(days=1))

    def codes(**params: str) -> list[str]:
        return [
            r["service_request_id"] for r in requests_of(client.get(f"{BASE}requests.{fmt}", params), fmt)
        ]

    assert codes(**WINDOW) == [newer.code, published.code, older.code]
    assert codes(**WINDOW, status="open") == [newer.code, older.code]
    assert codes(**WINDOW, status="closed") == [published.code]
    assert codes(**WINDOW, status="open,closed", service_code="unfit_rule") == [newer.code]
    assert codes(**WINDOW, service_code="delay_harassment,unfit_rule", page_size="2", page="2") == [
        older.code
    ]
    assert codes(start_date="2026-11-02", end_date="2026-11-02T23:59:59+07:00") == [newer.code]
    assert codes(start_date="2026-10-30T00:00:00Z") == [newer.code, published.code, older.code]
    assert codes(end_date="2026-10-01") == [before.code]  # the 90 days before
    assert codes(end_date="2026-09-01") == []


def test_without_dates_the_last_90_days_are_listed_and_ids_override_every_filter(client: Client) -> None:
    recent = make_feedback(now=timezone.now() - dt.timedelta(days=2))
    old = make_feedback(now=timezone.now() - dt.timedelta(days=100))
    listed = requests_of(client.get(f"{BASE}requests.json"), "json")
    assert [r["service_request_id"] for r in listed] == [recent.code]
    by_id = client.get(
        f"{BASE}requests.json", {"service_request_id": f"{old.code}, {recent.code}", "status": "closed"}
    )
    assert [r["service_request_id"] for r in requests_of(by_id, "json")] == [recent.code, old.code]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start_date": "23/11/2026"}, "start_date"),
        ({"end_date": "2026-11-02T10:00:00"}, "end_date"),  # a time needs its zone
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "start_date, end_date"),
        ({"start_date": "2026-06-01", "end_date": "2026-05-01"}, "end_date"),
        ({"status": "pending"}, "status"),
        ({"service_code": "potholes"}, "service_code"),
        ({"page_size": "5000"}, "page_size"),
    ],
)
def test_bad_search_parameters_are_refused(
    client: Client, fmt: str, params: dict[str, str], field: str
) -> None:
    response = client.get(f"{BASE}requests.{fmt}", params)
    assert response.status_code == 400
    assert error_descriptions(response, fmt)[0].startswith(f"{field}:")


def test_listing_requests_takes_the_same_queries_however_many(client: Client) -> None:
    for days in range(2):
        forwarded_feedback(now=MONDAY_9AM - dt.timedelta(days=days), unit_code="00004")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{BASE}requests.xml", WINDOW).status_code == 200
        return len(queries)

    few = count()
    for days in range(2, 6):
        forwarded_feedback("UBND-79", now=MONDAY_9AM - dt.timedelta(days=days), unit_code="79")
    assert count() == few


def test_xml_escapes_markup_and_drops_what_xml_cannot_carry(client: Client) -> None:
    public = {
        "public_title": "Phí <b>đo đạc</b> & lệ phí",
        "public_content": 'Người dân phản ánh mức phí \x0bghi "sai" trên biểu mẫu.',
        "public_answer": "Đã sửa biểu mẫu: 5 < 6 & 7 > 6.",
    }
    feedback = published_feedback(public=public)
    (shown,) = requests_of(client.get(f"{BASE}requests/{feedback.code}.xml"), "xml")
    assert (
        shown["description"]
        == 'Phí <b>đo đạc</b> & lệ phí\n\nNgười dân phản ánh mức phí ghi "sai" trên biểu mẫu.'
    )
    assert shown["status_notes"] == "Đã sửa biểu mẫu: 5 < 6 & 7 > 6."
