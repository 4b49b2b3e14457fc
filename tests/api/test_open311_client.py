"""Third-party Open311 GeoReport v2 clients against the portal running live: `civicbot` (its Open311Client lists
services, reads a service definition, checks and files a request in JSON, reads it back) and `georeport` (reads
services, definitions and requests in XML and JSON, parsing the XML with xmltodict). Neither was written for this
portal, so they check that it speaks the specification as other servers do, not as our own tests read it.

Neither client files a request in XML (civicbot speaks JSON only; georeport does not file at all), so the XML
POST is sent as the specification's example request is written, with `requests`."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import xmltodict
from civicbot import Endpoint, HttpError, HttpTransport, Open311Client
from civicbot.http import RateLimiter
from django.conf import settings
from georeport import GeoReport

from dichvucong.feedback import services
from dichvucong.feedback.models import Channel, Feedback

JURISDICTION = settings.OPEN311_JURISDICTION_ID
ATTRIBUTES = {
    "topic": "procedure",
    "title": "Hồ sơ khai sinh trả chậm",
    "sender_address": "12 phố Đội Cấn, phường Ba Đình, Hà Nội",
    "consent_to_publish": "false",
}
SENDER = {
    "first_name": "Văn An",
    "last_name": "Nguyễn",
    "phone": "0912 345 678",
    "email": "an.nguyen@example.vn",
    "description": "Hồ sơ đăng ký khai sinh hẹn trả sau một ngày nhưng hai tuần chưa có kết quả.",
}


@pytest.fixture
def base(live_server: Any) -> str:
    return f"{live_server.url}/{settings.OPEN311_PATH}".rstrip("/")


@pytest.fixture
def api_key(transactional_db: None) -> str:
    _client, key = services.create_open311_client(name="Ứng dụng thử nghiệm", actor=None)
    return key


def civicbot_client(base: str) -> Open311Client:
    # No pause between calls: civicbot is polite to real cities by default (half a second per host).
    transport = HttpTransport(rate_limiter=RateLimiter(min_interval=0))
    endpoint = Endpoint(id="dichvucong", name="Cổng Dịch vụ công", base_url=base, write=True)
    return Open311Client(endpoint, transport=transport, jurisdiction_id=JURISDICTION)


def test_civicbot_lists_services_files_a_request_and_reads_it_back(base: str, api_key: str) -> None:
    client = civicbot_client(base)
    codes = [s["service_code"] for s in client.list_services()]
    assert "delay_harassment" in codes and len(codes) == 9
    # validate_remote: civicbot reads the service list and the definition, and checks the required attributes
    # and the values of the lists before it sends anything.
    prepared = client.create_request(
        "delay_harassment",
        dry_run=False,
        confirm="SEND",
        api_key=api_key,
        validate_remote=True,
        lat=21.0341234,
        lng=105.8142051,
        address_string="Bộ phận một cửa, phường Ba Đình, Hà Nội",
        attributes=ATTRIBUTES,
        device_id="dien-thoai-1",
        account_id="tk-42",
        **SENDER,
    )
    (answer,) = prepared.response
    code = answer["service_request_id"]
    assert answer["account_id"] == "tk-42" and answer["service_notice"]

    feedback = Feedback.objects.get(code=code)
    assert feedback.channel == Channel.OPEN311 and feedback.sender_name == "Nguyễn Văn An"
    assert str(feedback.latitude) == "21.034123" and feedback.title == ATTRIBUTES["title"]

    read = client.get_request(code)
    assert read is not None
    assert (read["service_request_id"], read["status"], read["service_code"]) == (
        code,
        "open",
        "delay_harassment",
    )
    assert read["description"] is None and read["lat"] is None  # not published: nothing of the sender's
    assert [r["service_request_id"] for r in client.list_requests(service_request_ids=[code])] == [code]
    assert [r["service_request_id"] for r in client.list_requests(status="open")] == [code]
    assert client.get_token(code) == [{"service_request_id": code, "token": code}]


def test_civicbot_gets_the_specification_errors(base: str, api_key: str) -> None:
    client = civicbot_client(base)
    with pytest.raises(HttpError) as refused:
        client.create_request(
            "delay_harassment",
            dry_run=False,
            confirm="SEND",
            api_key="khong-phai-khoa",
            address_string="Hà Nội",
            attributes=ATTRIBUTES,
            **SENDER,
        )
    assert refused.value.status == 403
    with pytest.raises(HttpError) as missing:
        client.create_request(
            "delay_harassment",
            dry_run=False,
            confirm="SEND",
            api_key=api_key,
            address_id="01",
            attributes=ATTRIBUTES,
        )
    assert missing.value.status == 400 and "phone:" in missing.value.body
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_georeport_reads_services_definitions_and_requests(base: str, api_key: str, fmt: str) -> None:
    client = civicbot_client(base)
    filed = client.create_request(
        "unfit_rule",
        dry_run=False,
        confirm="SEND",
        api_key=api_key,
        address_id="01",
        attributes=ATTRIBUTES,
        **SENDER,
    )
    code = filed.response[0]["service_request_id"]

    reader = GeoReport(base, jurisdiction=JURISDICTION, output_format=fmt)
    listed = reader.get_service_list()
    assert {s["service_code"] for s in listed} >= {"unfit_rule", "initiative"}
    definition = reader.get_service_definition("unfit_rule")
    attributes = definition["attributes"]["attribute"] if fmt == "xml" else definition["attributes"]
    assert {a["code"] for a in attributes} >= {"topic", "title", "sender_address"}
    request = reader.get_service_request(code)
    assert (request["service_request_id"], request["status"]) == (code, "open")
    assert request["address_id"] == "01" and request["address"] == "Thành phố Hà Nội"
    found = reader.get_service_requests(service_code="unfit_rule", status="open")
    # xmltodict gives one repeated element as a dict, several as a list.
    found = [found] if isinstance(found, dict) else found
    assert [r["service_request_id"] for r in found] == [code]


def test_a_request_filed_in_xml_as_the_specification_example_is_read_back(base: str, api_key: str) -> None:
    # GeoReport v2, POST Service Request: "Format sent: Content-Type: application/x-www-form-urlencoded";
    # "Example Request: POST /dev/v2/requests.xml … api_key=xyz&jurisdiction_id=city.gov&service_code=001&lat=…
    # &long=…&address_string=…&email=…&device_id=…&account_id=…&first_name=john&last_name=smith&phone=…
    # &description=…&media_url=…&attribute[WHISPAWN]=123456&attribute[WHISDORN]=COISL001".
    form = {
        "api_key": api_key,
        "jurisdiction_id": JURISDICTION,
        "service_code": "initiative",
        "lat": "10.776889",
        "long": "106.700806",
        **SENDER,
        **{f"attribute[{code}]": value for code, value in ATTRIBUTES.items()},
    }
    response = requests.post(
        f"{base}/requests.xml",
        data=form,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        timeout=20,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    # Response: service_requests ⇊ request ↴ service_request_id, service_notice, account_id.
    request = xmltodict.parse(response.content)["service_requests"]["request"]
    assert set(request) == {"service_request_id", "service_notice", "account_id"}
    assert request["account_id"] is None
    code = request["service_request_id"]
    read = GeoReport(base, output_format="xml").get_service_request(code)
    assert (read["service_request_id"], read["service_code"], read["status"]) == (code, "initiative", "open")
