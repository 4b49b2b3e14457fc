"""Start the VNeID sandbox (``python -m sandboxes.idp``) as a real subprocess on a free port, the way the
portal's own tests and ``make run`` do (with ``processes.start_sandbox``), and stop it afterwards; plus the
client side of the flow (a browser filling in the sign-in form, a relying party redeeming the code and checking
the ID token)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from tests.sandboxes.processes import start_sandbox, stop_sandbox


@dataclass
class IdpServer:
    """A running sandbox and what a client needs to talk to it."""

    issuer: str
    process: subprocess.Popen[str]
    key_file: Path
    log_file: Path
    client_id: str = "dichvucong-portal"
    client_secret: str = "sandbox-idp-secret"
    # Registered as http://127.0.0.1:8000/...; the port of loopback redirect URIs is ignored (RFC 8252).
    redirect_uri: str = "http://127.0.0.1:59999/tai-khoan/vneid/callback/"

    def url(self, path: str) -> str:
        return self.issuer + path


def start_idp(key_file: Path, log_file: Path, **env: str) -> IdpServer:
    """Start a sandbox on a free port (``--port 0``) and wait for its "listening on" line."""
    process, issuer = start_sandbox(
        "sandboxes.idp", {"SANDBOX_IDP_KEY_FILE": str(key_file), **env}, log_file=log_file
    )
    server = IdpServer(issuer, process, key_file, log_file)
    assert requests.get(server.url("/healthz"), timeout=5).status_code == 200
    return server


def stop_idp(process: subprocess.Popen[str]) -> None:
    """Terminate the sandbox (SIGTERM), killing it if it does not stop in time."""
    stop_sandbox(process)


@pytest.fixture(scope="session")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdpServer]:
    """One sandbox shared by the whole test session (its signing key lives in a temporary directory)."""
    directory = tmp_path_factory.mktemp("sandbox-idp")
    server = start_idp(directory / "signing-key.pem", directory / "idp.log")
    yield server
    stop_idp(server.process)


@pytest.fixture
def idp_factory(tmp_path: Path) -> Iterator[Callable[..., IdpServer]]:
    """Start extra sandboxes with their own settings (and fresh in-memory state) for one test."""
    started: list[IdpServer] = []

    def factory(key_file: Path | None = None, **env: str) -> IdpServer:
        index = len(started)
        server = start_idp(key_file or tmp_path / f"key-{index}.pem", tmp_path / f"idp-{index}.log", **env)
        started.append(server)
        return server

    yield factory
    for server in started:
        stop_idp(server.process)


# --- The client side of the flow ---------------------------------------------------------------------------

PASSWORD = "VNeID@2026"
LEVEL2 = "001085012345"  # Nguyễn Văn An, level 2, Hà Nội
LEVEL1 = "048203001234"  # Lê Hoàng Minh, level 1, Đà Nẵng
LOA1, LOA2 = "urn:vneid:loa:1", "urn:vneid:loa:2"
WRONG = "Số định danh cá nhân hoặc mật khẩu không đúng."
SCOPE = "openid profile email phone address citizen_id"


class FormParser(HTMLParser):
    """Collects the inputs of the page (name → value, and id → attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.by_id: dict[str, dict[str, str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            attributes = {k: v or "" for k, v in attrs}
            if attributes.get("type") == "hidden":
                self.fields[attributes["name"]] = attributes.get("value", "")
            if "id" in attributes:
                self.by_id[attributes["id"]] = attributes


def parse_form(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query_of(response: requests.Response) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}


def authorize(idp: IdpServer, browser: requests.Session, **overrides: str) -> requests.Response:
    """GET /authorize with a complete, valid request unless overridden ('' drops a parameter)."""
    params = {
        "client_id": idp.client_id,
        "redirect_uri": idp.redirect_uri,
        "response_type": "code",
        "scope": SCOPE,
        "state": "state-123",
        "nonce": "nonce-456",
        "code_challenge": overrides.pop("challenge", None) or pkce()[1],
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    query = {k: v for k, v in params.items() if v != ""}
    return browser.get(idp.url("/authorize"), params=query, allow_redirects=False, timeout=5)


def submit(
    idp: IdpServer,
    browser: requests.Session,
    page: requests.Response,
    citizen_id: str,
    password: str = PASSWORD,
) -> requests.Response:
    """Fill in and post the sign-in form of ``page``."""
    assert page.status_code == 200, page.text
    fields = {
        **parse_form(page.text).fields,
        "citizen_id": citizen_id,
        "password": password,
        "action": "login",
    }
    return browser.post(idp.url("/authorize"), data=fields, allow_redirects=False, timeout=5)


def sign_in(
    idp: IdpServer, browser: requests.Session, citizen_id: str = LEVEL2, **overrides: str
) -> tuple[str, str]:
    """The whole browser leg: returns (code, code_verifier)."""
    verifier, challenge = pkce()
    response = submit(idp, browser, authorize(idp, browser, challenge=challenge, **overrides), citizen_id)
    assert response.status_code == 303, response.text
    params = query_of(response)
    assert params["state"] == overrides.get("state", "state-123")
    assert params["iss"] == idp.issuer
    return params["code"], verifier


def exchange(idp: IdpServer, code: str, verifier: str, **overrides: Any) -> requests.Response:
    """POST /token with client_secret_basic."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": idp.redirect_uri}
    if verifier:
        data["code_verifier"] = verifier
    data.update(overrides.pop("data", {}))
    auth = overrides.pop("auth", (idp.client_id, idp.client_secret))
    return requests.post(idp.url("/token"), data=data, auth=auth, timeout=5)


def verify_id_token(idp: IdpServer, id_token: str, nonce: str, acr: str) -> dict[str, Any]:
    """Check the signature against /jwks and the claims a relying party must check."""
    keys = KeySet.import_key_set(requests.get(idp.url("/jwks"), timeout=5).json())
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    assert token.header["kid"] == keys.keys[0].kid
    JWTClaimsRegistry(
        iss={"essential": True, "value": idp.issuer},
        aud={"essential": True, "value": idp.client_id},
        nonce={"essential": True, "value": nonce},
        acr={"essential": True, "value": acr},
        exp={"essential": True},
        iat={"essential": True},
        auth_time={"essential": True},
    ).validate(token.claims)
    return dict(token.claims)
