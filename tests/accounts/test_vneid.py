"""Signing in with the national identity provider: the portal, as an OpenID Connect client (Authlib), against
`sandbox-idp` over HTTP — the test client plays the portal's side, `requests` the citizen's browser at the
provider."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import requests
from django.test import Client

from dichvucong.accounts.identity_providers import _client
from dichvucong.accounts.models import User
from dichvucong.core.models import AuditEvent
from tests.sandboxes.processes import sandbox

pytestmark = pytest.mark.django_db

LEVEL_2 = ("001085012345", "Nguyễn Văn An")
LEVEL_1 = ("048203001234", "Lê Hoàng Minh")
IDP_PASSWORD = "VNeID@2026"


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and a.get("method", "").lower() == "post" and not self.action:
            self.action = a.get("action") or ""
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.fields[str(a["name"])] = a.get("value") or ""


@pytest.fixture(scope="module")
def idp_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    key = tmp_path_factory.mktemp("idp") / "key.pem"
    with sandbox("sandboxes.idp", {"SANDBOX_IDP_KEY_FILE": str(key)}) as (_process, url):
        yield url


@pytest.fixture
def portal(client: Client, settings: Any, idp_url: str) -> str:
    """The portal pointed at the sandbox, as reached on a loopback address (the sandbox accepts redirect URIs on
    loopback hosts only, and the test client's default host is "testserver")."""
    settings.IDP_ISSUER = idp_url
    _client.cache_clear()
    client.defaults["HTTP_HOST"] = "127.0.0.1:8000"
    return idp_url


def sign_in_at_provider(client: Client, citizen_id: str, **params: str) -> Any:
    """Portal → provider (as a browser) → back to the portal's callback; returns the callback's response."""
    start = client.get("/dang-nhap/vneid/", params)
    assert start.status_code == 302, start.content[:300]
    browser = requests.Session()
    page = browser.get(start["Location"], timeout=10)
    assert page.status_code == 200, page.text[:300]
    form = _Form()
    form.feed(page.text)
    answer = browser.post(
        requests.compat.urljoin(page.url, form.action or urlparse(page.url).path),
        data={**form.fields, "citizen_id": citizen_id, "password": IDP_PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code in (302, 303), answer.text[:500]
    callback = urlparse(answer.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def test_a_citizen_signs_in_with_vneid_at_level_2(client: Client, portal: str) -> None:
    response = sign_in_at_provider(client, LEVEL_2[0])
    assert response.status_code == 302 and response["Location"] == "/tai-khoan/"
    user = User.objects.get(citizen_id=LEVEL_2[0])
    assert user.full_name == LEVEL_2[1] and user.assurance_level == 2 and user.citizen_id_verified
    assert user.identity_source == "vneid" and user.address_unit is not None
    page = client.get("/tai-khoan/").content.decode()
    assert "Mức 2" in page and LEVEL_2[0] not in page
    assert AuditEvent.objects.filter(
        action="auth.signed_in", actor_id=user.pk, detail__method="vneid"
    ).exists()


def test_the_level_the_provider_vouches_for_is_recorded(client: Client, portal: str) -> None:
    sign_in_at_provider(client, LEVEL_1[0])
    assert User.objects.get(citizen_id=LEVEL_1[0]).assurance_level == 1


def test_the_next_page_is_kept_across_the_provider(client: Client, portal: str) -> None:
    response = sign_in_at_provider(client, LEVEL_2[0], next="/thu-tuc/1.001456/")
    assert response["Location"] == "/thu-tuc/1.001456/"


def test_a_forged_callback_is_refused(client: Client, portal: str) -> None:
    client.get("/dang-nhap/vneid/")
    response = client.get("/tai-khoan/vneid/callback/?code=forged&state=forged")
    assert response.status_code == 400
    assert "Không xác thực được phản hồi" in response.content.decode()
    assert not User.objects.exists()


def test_a_refusal_at_the_provider_is_explained(client: Client, portal: str) -> None:
    client.get("/dang-nhap/vneid/")
    response = client.get("/tai-khoan/vneid/callback/?error=access_denied&state=x")
    assert response.status_code == 400
    assert "access_denied" in response.content.decode()


def test_an_unreachable_provider_gets_a_clear_message(client: Client, settings: Any, tmp_path: Path) -> None:
    settings.IDP_ISSUER = "http://127.0.0.1:9"  # nothing listens there
    _client.cache_clear()
    response = client.get("/dang-nhap/vneid/")
    assert response.status_code == 503
    assert "Không kết nối được với hệ thống định danh điện tử" in response.content.decode()
