"""Settings of the one-stop sandbox, read once from environment variables (``SANDBOX_ONESTOP_*``)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sandboxes.serve import listen_address

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8103
DEFAULT_PORTAL_URL = "http://127.0.0.1:8000"
DEFAULT_KEY_ID = "sandbox-onestop-hn"
# A demo secret, public on purpose: the portal's demo data (dichvucong/dossiers/demo.py) registers the same one.
DEFAULT_SECRET = "whsec_c2FuZGJveC1vbmVzdG9wLWhhLW5vaS1kZW1vLWtleSE="
DEFAULT_DB = "var/sandbox-onestop.sqlite3"
DEFAULT_AUTO_DELAY = 5.0
DEFAULT_AGENCY_CODE = "UBND-01"
DEFAULT_AGENCY_NAME = "Ủy ban nhân dân thành phố Hà Nội"
DEFAULT_OFFICER_NAME = "Trần Thị Thu Hà"
DEFAULT_OFFICER_TITLE = "Chuyên viên Bộ phận Một cửa"
DEFAULT_UNIT = "Trung tâm Phục vụ hành chính công thành phố Hà Nội"
HTTP_TIMEOUT = (5.0, 30.0)  # connect, read: pushes to the portal and attachment downloads
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024
MAX_BODY_BYTES = 8 * 1024 * 1024


class ConfigError(ValueError):
    """A setting has a value the sandbox cannot work with."""


def _http_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"{name} must be an http(s) URL without query or fragment, not {value!r}")
    return value.rstrip("/")


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from exc
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value


def _secret(value: str) -> str:
    if not value.startswith("whsec_"):
        raise ConfigError("SANDBOX_ONESTOP_SECRET must be a Standard Webhooks secret (whsec_…)")
    try:
        key = base64.b64decode(value.removeprefix("whsec_"), validate=True)
    except binascii.Error as exc:
        raise ConfigError("SANDBOX_ONESTOP_SECRET: what follows whsec_ must be base64") from exc
    if len(key) < 24:
        raise ConfigError("SANDBOX_ONESTOP_SECRET must hold at least 24 bytes")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the running sandbox needs to know, fixed at start-up."""

    host: str
    port: int
    base_url: str
    portal_url: str
    key_id: str
    secret: str
    db_path: Path
    auto: bool
    auto_delay: float
    agency_code: str
    agency_identification_code: str
    agency_name: str
    officer_name: str
    officer_title: str
    unit: str

    @classmethod
    def from_env(cls, env: Mapping[str, str], host: str | None = None, port: int | None = None) -> Settings:
        """Build the settings from ``env``; ``host``/``port`` (command line, or the bound port) win over it."""
        host, port, base_url = listen_address(
            env,
            "SANDBOX_ONESTOP_",
            host=host,
            port=port,
            default_host=DEFAULT_HOST,
            default_port=DEFAULT_PORT,
            error=ConfigError,
        )
        key_id = env.get("SANDBOX_ONESTOP_KEY_ID", "").strip() or DEFAULT_KEY_ID
        return cls(
            host=host,
            port=port,
            base_url=_http_url("SANDBOX_ONESTOP_BASE_URL", base_url),
            portal_url=_http_url(
                "SANDBOX_ONESTOP_PORTAL_URL",
                env.get("SANDBOX_ONESTOP_PORTAL_URL", "").strip() or DEFAULT_PORTAL_URL,
            ),
            key_id=key_id,
            secret=_secret(env.get("SANDBOX_ONESTOP_SECRET", "").strip() or DEFAULT_SECRET),
            db_path=Path(env.get("SANDBOX_ONESTOP_DB", "").strip() or DEFAULT_DB),
            auto=env.get("SANDBOX_ONESTOP_AUTO", "").strip().lower() in {"1", "true", "yes", "on"},
            auto_delay=_number(env, "SANDBOX_ONESTOP_AUTO_DELAY", DEFAULT_AUTO_DELAY),
            agency_code=env.get("SANDBOX_ONESTOP_AGENCY_CODE", "").strip() or DEFAULT_AGENCY_CODE,
            agency_identification_code=env.get("SANDBOX_ONESTOP_AGENCY_IDENTIFICATION_CODE", "").strip(),
            agency_name=env.get("SANDBOX_ONESTOP_AGENCY_NAME", "").strip() or DEFAULT_AGENCY_NAME,
            officer_name=env.get("SANDBOX_ONESTOP_OFFICER_NAME", "").strip() or DEFAULT_OFFICER_NAME,
            officer_title=env.get("SANDBOX_ONESTOP_OFFICER_TITLE", "").strip() or DEFAULT_OFFICER_TITLE,
            unit=env.get("SANDBOX_ONESTOP_UNIT", "").strip() or DEFAULT_UNIT,
        )

    @property
    def code_prefix(self) -> str:
        """The first part of the codes of dossiers received at the counter (as the portal makes them)."""
        return self.agency_identification_code or self.agency_code

    def portal_endpoint(self, path: str) -> str:
        return self.portal_url + path
