import pytest
from django.test import Client

from tests.conftest import make_faq, make_procedure

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_with_passport(client: Client) -> Client:
    make_procedure()
    make_faq()
    return client


def test_procedures_search_contract(client_with_passport: Client) -> None:
    response = client_with_passport.get("/api/v1/procedures", {"q": "cap lai ho chieu", "limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["code"] == "1.001456" and item["name"].startswith("Cấp hộ chiếu")
    assert "<mark>" in item["name_html"]
    assert item["summary"].startswith("Công dân Việt Nam")


def test_procedure_detail_has_every_section(client_with_passport: Client) -> None:
    body = client_with_passport.get("/api/v1/procedures/1.001456").json()
    assert body["methods"][1]["fees"][0]["amount"] == 160000
    assert body["documents"][0]["originals"] == 1
    assert body["fields"] == ["Quản lý xuất nhập cảnh"]
    assert body["versions"][0]["version"] == 1
    assert body["faqs"] == ["HD-XNC-001"]
    assert body["procedure_type"] == "1"


def test_old_version_is_readable(client_with_passport: Client) -> None:
    make_procedure(summary="Phiên bản 2.")
    assert client_with_passport.get("/api/v1/procedures/1.001456").json()["version"] == 2
    old = client_with_passport.get("/api/v1/procedures/1.001456", {"version": 1}).json()
    assert (old["version"], old["status"]) == (1, "superseded")


def test_unknown_procedure_is_a_problem_json_404(client: Client) -> None:
    response = client.get("/api/v1/procedures/1.999999")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["title"] == "Không tìm thấy"
    assert "1.999999" in body["detail"] and body["instance"] == "/api/v1/procedures/1.999999"


def test_bad_parameters_are_a_problem_json_422_in_vietnamese(client: Client) -> None:
    response = client.get("/api/v1/procedures", {"limit": 1000, "level": "district"})
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "/problems/invalid-parameters"
    locations = {e["location"]: e["message"] for e in body["errors"]}
    assert "tối đa" in locations["limit"] and "chỉ chấp nhận" in locations["level"]


def test_faqs_list_and_detail(client_with_passport: Client) -> None:
    listing = client_with_passport.get("/api/v1/faqs", {"q": "ho chieu"}).json()
    assert [i["code"] for i in listing["items"]] == ["HD-XNC-001"]
    detail = client_with_passport.get("/api/v1/faqs/HD-XNC-001").json()
    assert detail["procedures"] == ["1.001456"] and detail["agency"] == "XNC"


def test_search_and_suggestions(client_with_passport: Client) -> None:
    kinds = {i["kind"] for i in client_with_passport.get("/api/v1/search", {"q": "ho chieu"}).json()["items"]}
    assert kinds == {"procedure", "faq"}
    suggestions = client_with_passport.get("/api/v1/suggestions", {"q": "ho chi"}).json()
    assert suggestions[0]["code"] in {"1.001456", "HD-XNC-001"}


def test_fields(client_with_passport: Client) -> None:
    assert {
        "slug": "quan-ly-xuat-nhap-canh",
        "name": "Quản lý xuất nhập cảnh",
        "name_en": "",
    } in client_with_passport.get("/api/v1/fields").json()


def test_openapi_document_and_docs_page(client: Client) -> None:
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/procedures" in spec["paths"] and "/api/v1/procedures/{code}" in spec["paths"]
    assert client.get("/api/docs").status_code == 200
