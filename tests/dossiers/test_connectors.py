"""The signed-HTTP connector against the real sandbox-onestop process: what it answers decides between delivered,
retry later and refused for good; a repeat is stored once; a bad signature gets nowhere."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from dichvucong.core.outbox import PermanentFailure, RetryLater
from dichvucong.dossiers.connectors import SignedHttpConnector, UnknownConnector, get_connector
from dichvucong.dossiers.models import AgencyIntegration
from tests.sandboxes.onestop import KEY_ID, SECRET, OnestopServer, running_onestop
from tests.sandboxes.processes import free_port


@pytest.fixture(scope="module")
def onestop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OnestopServer]:
    with running_onestop(tmp_path_factory.mktemp("onestop")) as server:
        yield server


@pytest.fixture(autouse=True)
def _sandbox_back_to_normal(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "onestop" in request.fixturenames:
        server: OnestopServer = request.getfixturevalue("onestop")
        server.control("outage", down=False)
        server.control("slow", seconds=0)


def integration(url: str, **overrides: Any) -> AgencyIntegration:
    values: dict[str, Any] = {
        "name": "Một cửa Hà Nội",
        "endpoint_url": url,
        "key_id": KEY_ID,
        "secret": SECRET,
    }
    return AgencyIntegration(**(values | overrides))


def dossier(code: str | None = None) -> dict[str, Any]:
    return {
        "MaHoSo": code or f"UBND-01-261123-{uuid.uuid4().hex[:8]}",
        "MaTTHC": "1.001193",
        "TenTTHC": "Đăng ký khai sinh",
        "ChuHoSo": "Nguyễn Văn An",
        "TrangThaiHoSo": 1,
        "DuLieuBieuMau": {"ho_ten_tre": "Nguyễn Minh Khôi"},
    }


def test_a_dossier_is_delivered_signed_and_stored_as_sent(onestop: OnestopServer) -> None:
    body = dossier()
    SignedHttpConnector().deliver(integration(onestop.url), body, body["MaHoSo"])
    stored = onestop.dossiers()[body["MaHoSo"]]
    assert stored["national"] == body
    assert stored["webhook_ids"] == [body["MaHoSo"]] and stored["deliveries"] == 1


def test_delivering_the_same_dossier_again_stores_it_once(onestop: OnestopServer) -> None:
    body = dossier()
    connector = SignedHttpConnector()
    connector.deliver(integration(onestop.url), body, body["MaHoSo"])
    connector.deliver(integration(onestop.url), body, body["MaHoSo"])  # an outbox retry: no error
    connector.deliver(integration(onestop.url), body, "another-message-id")  # the same MaHoSo
    stored = onestop.dossiers()[body["MaHoSo"]]
    assert stored["deliveries"] == 3 and stored["national"] == body


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"secret": "whsec_" + "QUJD" * 11}, id="wrong-secret"),
        pytest.param({"key_id": "another-system"}, id="wrong-key-id"),
    ],
)
def test_a_badly_signed_delivery_is_refused_for_good(
    onestop: OnestopServer, overrides: dict[str, str]
) -> None:
    body = dossier()
    with pytest.raises(PermanentFailure, match="answered 401"):
        SignedHttpConnector().deliver(integration(onestop.url, **overrides), body, body["MaHoSo"])
    assert body["MaHoSo"] not in onestop.dossiers()


def test_an_unsigned_post_is_refused(onestop: OnestopServer) -> None:
    response = requests.post(f"{onestop.url}/dossiers", json=dossier(), timeout=5)
    assert response.status_code == 401 and response.json()["error_code"] == "01"


def test_during_an_outage_the_delivery_is_retried_and_goes_through_when_the_system_is_back(
    onestop: OnestopServer,
) -> None:
    body = dossier()
    onestop.control("outage", down=True, status=503)
    with pytest.raises(RetryLater, match="answered 503"):
        SignedHttpConnector().deliver(integration(onestop.url), body, body["MaHoSo"])
    assert body["MaHoSo"] not in onestop.dossiers()
    onestop.control("outage", down=False)
    SignedHttpConnector().deliver(integration(onestop.url), body, body["MaHoSo"])
    assert onestop.dossiers()[body["MaHoSo"]]["deliveries"] == 1


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 504])
def test_busy_or_failing_answers_are_retried(onestop: OnestopServer, status: int) -> None:
    onestop.control("outage", down=True, status=status)
    with pytest.raises(RetryLater, match=f"answered {status}"):
        SignedHttpConnector().deliver(integration(onestop.url), dossier(), "m-1")


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_other_refusals_are_permanent(onestop: OnestopServer, status: int) -> None:
    onestop.control("outage", down=True, status=status)
    with pytest.raises(PermanentFailure, match=f"answered {status}"):
        SignedHttpConnector().deliver(integration(onestop.url), dossier(), "m-1")


def test_a_refusal_keeps_the_systems_answer_for_operators(onestop: OnestopServer) -> None:
    body = dossier()
    del body["MaHoSo"]
    with pytest.raises(PermanentFailure) as refused:
        SignedHttpConnector().deliver(integration(onestop.url), body, "m-1")
    assert "answered 400" in str(refused.value) and "Thiếu MaHoSo" in str(refused.value)


def test_409_means_the_system_has_it_already(onestop: OnestopServer) -> None:
    onestop.control("outage", down=True, status=409)
    SignedHttpConnector().deliver(integration(onestop.url), dossier(), "m-1")  # no error


def test_a_system_too_slow_to_answer_is_retried(onestop: OnestopServer, settings: Any) -> None:
    settings.ONESTOP_READ_TIMEOUT_SECONDS = 0.3
    onestop.control("slow", seconds=1.5)
    with pytest.raises(RetryLater, match="no answer in time"):
        SignedHttpConnector().deliver(integration(onestop.url), dossier(), "m-1")


def test_a_system_that_is_not_listening_is_retried() -> None:
    with pytest.raises(RetryLater, match="ConnectionError"):
        SignedHttpConnector().deliver(integration(f"http://127.0.0.1:{free_port()}"), dossier(), "m-1")


def test_an_integration_without_an_address_waits_for_one() -> None:
    with pytest.raises(RetryLater, match="no endpoint address"):
        SignedHttpConnector().deliver(integration(""), dossier(), "m-1")


# --- the registry -----------------------------------------------------------------------------------------------


class RecordingConnector:
    sent: list[tuple[str, dict[str, Any], str]] = []

    def deliver(self, integration: AgencyIntegration, body: dict[str, Any], message_id: str) -> None:
        self.sent.append((integration.key_id, body, message_id))


def test_connectors_are_named_in_settings(settings: Any) -> None:
    assert isinstance(get_connector("signed_http"), SignedHttpConnector)
    settings.ONESTOP_CONNECTORS = {
        **settings.ONESTOP_CONNECTORS,
        "recording": f"{__name__}.RecordingConnector",
    }
    connector = get_connector("recording")
    connector.deliver(integration("http://x"), {"MaHoSo": "A"}, "A")
    assert RecordingConnector.sent == [(KEY_ID, {"MaHoSo": "A"}, "A")]


def test_an_unknown_connector_is_a_configuration_error() -> None:
    with pytest.raises(UnknownConnector, match=r"unknown one-stop connector 'fax'.*signed_http"):
        get_connector("fax")
