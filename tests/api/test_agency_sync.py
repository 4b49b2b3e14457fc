"""The agency API (`/api/v1/agency/…`): HMAC and OAuth client-credentials authentication, the bulk status sync,
dossiers in the national names, result uploads and document downloads."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.hashers import make_password
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone

from dichvucong.core import signing
from dichvucong.dossiers import links, services
from dichvucong.dossiers.models import AgencyIntegration, Dossier, DossierDocument, DossierEvent
from dichvucong.organisations.models import Agency

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/agency/status-events"
T0 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)  # Monday 08:00 in Hà Nội
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_integration(
    root: str = "UBND-01", key_id: str = "ha-noi-mot-cua", **extra: Any
) -> AgencyIntegration:
    return AgencyIntegration.objects.create(
        agency=Agency.objects.get(code=root),
        name=f"Hệ thống một cửa {root}",
        key_id=key_id,
        secret=signing.new_secret(),
        legacy_username=extra.pop("legacy_username", None),
        legacy_password=make_password(extra.pop("legacy_password", "x")),
        **extra,
    )


def signed_post(
    client: Any,
    path: str,
    body: bytes,
    integration: AgencyIntegration,
    *,
    content_type: str = "application/json",
    timestamp: int | None = None,
    secret: str | None = None,
) -> Any:
    headers = signing.sign(secret or integration.secret, f"msg_{uuid.uuid4().hex}", body, timestamp=timestamp)
    return client.generic(
        "POST", path, body, content_type=content_type, headers={"x-dvc-key-id": integration.key_id, **headers}
    )


def signed_get(client: Any, path: str, integration: AgencyIntegration) -> Any:
    headers = signing.sign(integration.secret, f"msg_{uuid.uuid4().hex}", b"")
    return client.get(path, headers={"x-dvc-key-id": integration.key_id, **headers})


def event(n: int, code: str, status: int, minutes: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"ev-{n}",
        "dossier_code": code,
        "status": status,
        "occurred_at": (T0 + dt.timedelta(minutes=minutes)).isoformat(),
        **extra,
    }


def post_events(client: Any, integration: AgencyIntegration, events: list[Any]) -> Any:
    return signed_post(client, EVENTS, json.dumps({"events": events}).encode(), integration)


def commune_of(root: str) -> Agency:
    return Agency.objects.filter(parent__code=root).order_by("code").first()  # type: ignore[return-value]


# --- authentication ------------------------------------------------------------------------------------------


def test_a_signed_batch_is_applied(client: Any) -> None:
    integration = make_integration()
    response = post_events(client, integration, [event(1, "H01-1", 2)])
    assert response.status_code == 200, response.content
    assert response.json()["applied"] == 1
    assert Dossier.objects.get(code="H01-1").status == 2


def test_a_bad_signature_is_refused_with_a_problem(client: Any) -> None:
    integration = make_integration()
    body = json.dumps({"events": [event(1, "H01-1", 2)]}).encode()
    response = signed_post(client, EVENTS, body, integration, secret=signing.new_secret())
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert "không khớp" in response.json()["detail"]
    assert not Dossier.objects.exists()


def test_a_body_changed_after_signing_is_refused(client: Any) -> None:
    integration = make_integration()
    body = json.dumps({"events": [event(1, "H01-1", 2)]}).encode()
    headers = signing.sign(integration.secret, "msg_1", body)
    response = client.generic(
        "POST",
        EVENTS,
        body.replace(b'"status": 2', b'"status": 9'),
        content_type="application/json",
        headers={"x-dvc-key-id": integration.key_id, **headers},
    )
    assert response.status_code == 401


def test_an_unknown_key_is_refused(client: Any) -> None:
    integration = make_integration()
    integration.key_id = "khong-ton-tai"
    response = post_events(client, integration, [event(1, "H01-1", 2)])
    assert response.status_code == 401
    assert "khong-ton-tai" in response.json()["detail"]


def test_a_stale_timestamp_is_refused(client: Any) -> None:
    integration = make_integration()
    body = json.dumps({"events": [event(1, "H01-1", 2)]}).encode()
    response = signed_post(client, EVENTS, body, integration, timestamp=int(time.time()) - 301)
    assert response.status_code == 401
    assert "5 phút" in response.json()["detail"]


def test_a_deactivated_integration_is_refused(client: Any) -> None:
    integration = make_integration(is_active=False)
    assert post_events(client, integration, [event(1, "H01-1", 2)]).status_code == 401


def test_no_credentials_is_a_401_problem(client: Any) -> None:
    response = client.post(EVENTS, {"events": []}, content_type="application/json")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def _client_credentials_token(client: Any, agency: Agency | None, scope: str = "dossiers.sync") -> str:
    from dichvucong.accounts import services as account_services
    from dichvucong.accounts.models import RelyingParty

    party, secret = account_services.register_relying_party(
        actor=None,
        request=None,
        name="Hệ thống một cửa Hà Nội (OAuth)",
        agency=agency,
        redirect_uris=[],
        post_logout_redirect_uris=[],
        grant_types=RelyingParty.GRANT_CLIENT_CREDENTIALS,
    )
    basic = base64.b64encode(f"{party.client_id}:{secret}".encode()).decode()
    response = client.post(
        "/oidc/token/",
        {"grant_type": "client_credentials", "scope": scope},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])


def test_oauth_client_credentials_from_the_token_endpoint_write_for_the_partys_agency(client: Any) -> None:
    token = _client_credentials_token(client, Agency.objects.get(code="UBND-01"))
    commune = commune_of("UBND-01")
    body = {"events": [event(1, "H01-2", 2, dossier={"DonViXuLy": commune.code, "ChuHoSo": "Lê Thị Hoa"})]}
    response = client.post(
        EVENTS, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 200, response.content
    assert response.json()["applied"] == 1
    dossier = Dossier.objects.get(code="H01-2")
    assert dossier.agency == commune
    assert DossierEvent.objects.get().agency.code == "UBND-01"


def test_a_token_without_the_sync_scope_is_forbidden(client: Any) -> None:
    token = _client_credentials_token(client, Agency.objects.get(code="UBND-01"), scope="openid")
    response = client.post(
        EVENTS, {"events": []}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 403
    assert "dossiers.sync" in response.json()["detail"]


def test_a_token_of_a_party_without_an_agency_is_forbidden(client: Any) -> None:
    token = _client_credentials_token(client, None)
    response = client.post(
        EVENTS, {"events": []}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 403


def test_an_unknown_token_is_refused(client: Any) -> None:
    response = client.post(
        EVENTS, {"events": []}, content_type="application/json", HTTP_AUTHORIZATION="Bearer khong-hop-le"
    )
    assert response.status_code == 401


# --- the bulk status sync -------------------------------------------------------------------------------------


def test_a_batch_of_a_thousand_events_is_applied_in_one_request(client: Any) -> None:
    integration = make_integration()
    events = [event(n, f"H01-{n // 4}", 1 + n % 4, n) for n in range(1000)]
    response = post_events(client, integration, events)
    assert response.status_code == 200
    answer = response.json()
    assert (answer["applied"], answer["duplicates"], answer["rejected"]) == (1000, 0, 0)
    assert [r["index"] for r in answer["results"]] == list(range(1000))
    assert DossierEvent.objects.count() == 1000
    assert Dossier.objects.count() == 250


def test_more_than_a_thousand_events_is_413(client: Any) -> None:
    integration = make_integration()
    response = post_events(client, integration, [event(n, "H01-1", 2, n) for n in range(1001)])
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    assert "1.000" in response.json()["detail"]
    assert not DossierEvent.objects.exists()


def test_each_event_gets_its_result_and_malformed_ones_do_not_stop_the_batch(client: Any) -> None:
    integration = make_integration()
    events = [
        event(1, "H01-1", 2),
        {"dossier_code": "H01-1", "status": 4, "occurred_at": T0.isoformat()},
        event(3, "H01-1", 11),
        {**event(4, "H01-1", 4), "occurred_at": "2026-11-02T08:00:00"},
        {**event(5, "H01-1", 4), "occurred_at": "hôm qua"},
        event(6, "H01-1", 4, dossier={"LoaiDoiTuong": 7}),
        "không phải đối tượng",
        event(8, "H01-1", 4, 30, step={"actor_name": "Nguyễn Văn Bình", "unit": "Phòng Tư pháp"}),
        {**event(9, "H01-1", 9, 60), "occurred_at": "20261102093000"},
    ]
    response = post_events(client, integration, events)
    answer = response.json()
    outcomes = [(r["index"], r["outcome"]) for r in answer["results"]]
    assert outcomes == [
        (0, "applied"),
        (1, "rejected"),
        (2, "rejected"),
        (3, "rejected"),
        (4, "rejected"),
        (5, "rejected"),
        (6, "rejected"),
        (7, "applied"),
        (8, "applied"),
    ]
    messages = [r["message"] for r in answer["results"]]
    assert "id" in messages[1]
    assert "1 đến 10" in messages[2]
    assert "múi giờ" in messages[3]
    assert "định dạng" in messages[4]
    assert "LoaiDoiTuong" in messages[5]
    assert (answer["applied"], answer["rejected"]) == (3, 6)
    dossier = Dossier.objects.get(code="H01-1")
    assert dossier.status == 9
    assert dossier.finished_at == dt.datetime(2026, 11, 2, 2, 30, tzinfo=dt.UTC)  # 09:30 in Hà Nội
    step = DossierEvent.objects.get(event_id="ev-8")
    assert (step.actor_name, step.unit) == ("Nguyễn Văn Bình", "Phòng Tư pháp")


def test_an_event_sent_again_is_a_duplicate(client: Any) -> None:
    integration = make_integration()
    batch = [event(1, "H01-1", 2), event(2, "H01-1", 4, 10)]
    post_events(client, integration, batch)
    answer = post_events(client, integration, [*reversed(batch), event(2, "H01-1", 4, 10)]).json()
    assert [r["outcome"] for r in answer["results"]] == ["duplicate"] * 3
    assert answer["duplicates"] == 3
    assert DossierEvent.objects.count() == 2


def test_an_agency_cannot_write_or_read_another_provinces_dossier(client: Any) -> None:
    ha_noi = make_integration()
    ho_chi_minh = make_integration("UBND-79", "hcm-mot-cua")
    post_events(client, ha_noi, [event(1, "H01-1", 2)])
    answer = post_events(client, ho_chi_minh, [event(1, "H01-1", 9, 5)]).json()
    assert answer["results"][0]["outcome"] == "rejected"
    assert Dossier.objects.get(code="H01-1").status == 2
    assert signed_get(client, "/api/v1/agency/dossiers/H01-1", ho_chi_minh).status_code == 404
    assert signed_get(client, "/api/v1/agency/dossiers/H01-1", ha_noi).status_code == 200


def test_a_counter_dossier_is_created_from_its_first_event(client: Any) -> None:
    integration = make_integration()
    commune = commune_of("UBND-01")
    record = {
        "MaTTHC": "1.001193",
        "TenTTHC": "Đăng ký khai sinh",
        "ChuHoSo": "Trần Văn Bình",
        "LoaiDoiTuong": "1",
        "MaDoiTuong": "001085012345",
        "NgayTiepNhan": "20261102080000",
        "NgayHenTra": "20261102170000",
        "TrangThaiHoSo": "2",
        "HinhThuc": "1",
        "DonViXuLy": commune.code,
        "TaiLieuNop": [{"TenTepDinhKem": "To khai.pdf"}],
    }
    answer = post_events(
        client, integration, [event(1, f"{commune.code}-261102-0001", 2, dossier=record)]
    ).json()
    assert answer["applied"] == 1, answer
    dossier = Dossier.objects.get(code=f"{commune.code}-261102-0001")
    assert (dossier.origin, dossier.channel, dossier.agency) == ("agency", 1, commune)
    assert (dossier.procedure_code, dossier.applicant_name, dossier.applicant_id_number) == (
        "1.001193",
        "Trần Văn Bình",
        "001085012345",
    )
    assert dossier.due_at == dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
    assert dossier.details["TaiLieuNop"] == [{"TenTepDinhKem": "To khai.pdf"}]


def test_last_synced_at_is_recorded_at_most_once_a_minute(client: Any) -> None:
    integration = make_integration()
    post_events(client, integration, [event(1, "H01-1", 2)])
    first = AgencyIntegration.objects.get(pk=integration.pk).last_synced_at
    assert first is not None
    post_events(client, integration, [event(2, "H01-1", 4, 5)])
    assert AgencyIntegration.objects.get(pk=integration.pk).last_synced_at == first


def test_the_problem_for_a_body_that_is_not_json(client: Any) -> None:
    integration = make_integration()
    response = signed_post(client, EVENTS, b"{events: [", integration)
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


# --- dossiers, results, documents -----------------------------------------------------------------------------


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _portal_dossier_with_document(integration: AgencyIntegration) -> tuple[Dossier, DossierDocument]:
    dossier = Dossier.objects.create(
        code="H01-261102-0009",
        agency=integration.agency,
        origin="portal",
        status=1,
        status_at=T0,
        applicant_name="Nguyễn Văn An",
        applicant_id_number="001085012345",
    )
    stored = services.store_document(
        owner=None, title="Tờ khai", content=PDF, filename="to-khai.pdf", content_type="application/pdf"
    )
    document = DossierDocument.objects.create(
        dossier=dossier, kind=DossierDocument.Kind.SUBMITTED, slot="TK01", name="Tờ khai", document=stored
    )
    return dossier, document


def test_a_dossier_is_read_in_the_national_names_with_download_links(client: Any, media: Any) -> None:
    integration = make_integration()
    dossier, _document = _portal_dossier_with_document(integration)
    response = signed_get(client, f"/api/v1/agency/dossiers/{dossier.code}", integration)
    assert response.status_code == 200
    body = response.json()
    assert (body["MaHoSo"], body["ChuHoSo"], body["TrangThaiHoSo"]) == (dossier.code, "Nguyễn Văn An", 1)
    url = body["TaiLieuNop"][0]["DuongDanTaiTep"]
    assert url.startswith("http") and "/api/v1/agency/documents/" in url
    download = client.get(urlsplit(url).path)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF


def test_a_download_link_that_was_altered_or_expired_does_not_work(
    client: Any, media: Any, settings: Any, monkeypatch: Any
) -> None:
    integration = make_integration()
    _dossier, document = _portal_dossier_with_document(integration)
    path = urlsplit(links.document_url(document)).path
    assert client.get(path).status_code == 200
    assert client.get(path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")).status_code == 404
    settings.ONESTOP_DOCUMENT_URL_SECONDS = 3600
    now = time.time()
    monkeypatch.setattr("django.core.signing.time.time", lambda: now - 3601)  # made an hour and a second ago
    old = urlsplit(links.document_url(document)).path
    monkeypatch.undo()
    response = client.get(old)
    assert response.status_code == 410
    assert "hết hạn" in response.json()["detail"]


def _multipart(fields: dict[str, Any]) -> bytes:
    return encode_multipart(BOUNDARY, fields)


def test_a_result_document_is_checked_by_content_and_kept(client: Any, media: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    integration = make_integration()
    post_events(client, integration, [event(1, "H01-1", 9)])
    path = "/api/v1/agency/dossiers/H01-1/results"
    fake = _multipart(
        {"name": "Giấy khai sinh", "file": SimpleUploadedFile("kq.pdf", b"just text, not a pdf")}
    )
    refused = signed_post(client, path, fake, integration, content_type=MULTIPART_CONTENT)
    assert refused.status_code == 415
    assert "nội dung" in refused.json()["detail"]
    body = _multipart(
        {"name": "Giấy khai sinh", "code": "KQ.G15.000001", "file": SimpleUploadedFile("kq.bin", PDF)}
    )
    accepted = signed_post(client, path, body, integration, content_type=MULTIPART_CONTENT)
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["content_type"] == "application/pdf"
    again = signed_post(client, path, body, integration, content_type=MULTIPART_CONTENT)
    assert again.json()["id"] == accepted.json()["id"]
    result = DossierDocument.objects.get(kind=DossierDocument.Kind.RESULT)
    assert (result.name, result.code, result.dossier.code) == ("Giấy khai sinh", "KQ.G15.000001", "H01-1")


def test_a_result_over_the_size_limit_is_413(client: Any, media: Any, settings: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DOSSIER_MAX_FILE_BYTES = 1000
    integration = make_integration()
    post_events(client, integration, [event(1, "H01-1", 9)])
    body = _multipart({"name": "Kết quả", "file": SimpleUploadedFile("kq.pdf", PDF + b"0" * 1000)})
    response = signed_post(
        client, "/api/v1/agency/dossiers/H01-1/results", body, integration, content_type=MULTIPART_CONTENT
    )
    assert response.status_code == 413


def test_a_result_for_another_provinces_dossier_is_404(client: Any, media: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    post_events(client, make_integration(), [event(1, "H01-1", 9)])
    other = make_integration("UBND-79", "hcm-mot-cua")
    body = _multipart({"name": "Kết quả", "file": SimpleUploadedFile("kq.pdf", PDF)})
    response = signed_post(
        client, "/api/v1/agency/dossiers/H01-1/results", body, other, content_type=MULTIPART_CONTENT
    )
    assert response.status_code == 404
    assert not DossierDocument.objects.exists()


def test_events_are_recorded_at_the_time_given(client: Any) -> None:
    integration = make_integration()
    post_events(client, integration, [event(1, "H01-1", 2)])
    recorded = DossierEvent.objects.get()
    assert recorded.occurred_at == T0
    assert recorded.recorded_at <= timezone.now()
    assert recorded.source == "api"


def test_an_event_with_a_nul_character_is_rejected_alone(client: Any) -> None:
    integration = make_integration()
    answer = post_events(
        client, integration, [event(1, "H01-1", 2, step={"content": "a\u0000b"}), event(2, "H01-2", 2)]
    ).json()
    assert [r["outcome"] for r in answer["results"]] == ["rejected", "applied"]
    assert "NUL" in answer["results"][0]["message"]
