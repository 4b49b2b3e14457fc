"""Settings of sandbox-billers, read once from environment variables (``SANDBOX_BILLERS_*``), and the six agency
systems it hosts, each under its own path prefix with its own key id and secret."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sandboxes.serve import listen_address

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8105
# A demo secret, public on purpose: the portal's demo data (dichvucong/payments/demo.py) registers the same one
# for the six systems. Each system may be given its own (SANDBOX_BILLERS_<SYSTEM>_SECRET).
DEFAULT_SECRET = "whsec_c2FuZGJveC1iaWxsZXJzLWRlbW8ta2V5LTIwMjYhIQ=="
DEFAULT_DB = "var/sandbox-billers.sqlite3"
SIGNATURE_TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 1024 * 1024


class ConfigError(ValueError):
    """A setting has a value the sandbox cannot work with."""


@dataclass(frozen=True)
class SystemSpec:
    """One agency system: its path prefix (`slug`), the suffix of its environment variables, what it is, and
    the key id the portal's demo biller uses for it (`<biller code>-key`)."""

    slug: str
    env: str
    name: str
    agency: str
    group: str
    code_label: str
    key_id: str


SPECS: tuple[SystemSpec, ...] = (
    SystemSpec(
        "csgt",
        "CSGT",
        "Hệ thống xử lý vi phạm hành chính về giao thông",
        "Công an thành phố Hà Nội",
        "fine",
        "Số quyết định xử phạt",
        "csgt-ha-noi-key",
    ),
    SystemSpec(
        "thue",
        "THUE",
        "Hệ thống quản lý thuế",
        "Thuế thành phố Hà Nội",
        "tax",
        "Mã thông báo nộp thuế",
        "thue-ha-noi-key",
    ),
    SystemSpec(
        "bhxh",
        "BHXH",
        "Hệ thống thu bảo hiểm xã hội, bảo hiểm y tế",
        "Bảo hiểm xã hội thành phố Hà Nội",
        "insurance",
        "Mã số bảo hiểm xã hội",
        "bhxh-ha-noi-key",
    ),
    SystemSpec(
        "evn",
        "EVN",
        "Hệ thống hóa đơn tiền điện",
        "Tổng công ty Điện lực TP Hà Nội",
        "electricity",
        "Mã khách hàng",
        "evn-ha-noi-key",
    ),
    SystemSpec(
        "toa-an",
        "TOA_AN",
        "Hệ thống thu tạm ứng án phí",
        "Tòa án nhân dân thành phố Hà Nội",
        "court",
        "Số thông báo nộp tạm ứng án phí hoặc số thụ lý",
        "toa-an-ha-noi-key",
    ),
    SystemSpec(
        "mot-cua",
        "MOT_CUA",
        "Hệ thống một cửa điện tử – phí, lệ phí",
        "Ủy ban nhân dân thành phố Hà Nội",
        "fee",
        "Mã hồ sơ hoặc số thông báo phí, lệ phí",
        "mot-cua-ha-noi-key",
    ),
)


@dataclass(frozen=True)
class System:
    """A system as configured: its spec with the key id and secret it checks signatures with."""

    spec: SystemSpec
    key_id: str
    secret: str

    @property
    def slug(self) -> str:
        return self.spec.slug

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def agency(self) -> str:
        return self.spec.agency


def _http_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"{name} must be an http(s) URL without query or fragment, not {value!r}")
    return value.rstrip("/")


def _secret(name: str, value: str) -> str:
    if not value.startswith("whsec_"):
        raise ConfigError(f"{name} must be a Standard Webhooks secret (whsec_…)")
    try:
        key = base64.b64decode(value.removeprefix("whsec_"), validate=True)
    except binascii.Error as exc:
        raise ConfigError(f"{name}: what follows whsec_ must be base64") from exc
    if len(key) < 24:
        raise ConfigError(f"{name} must hold at least 24 bytes")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the running sandbox needs to know, fixed at start-up."""

    host: str
    port: int
    base_url: str
    db_path: Path
    systems: dict[str, System]

    @classmethod
    def from_env(cls, env: Mapping[str, str], host: str | None = None, port: int | None = None) -> Settings:
        """Build the settings from ``env``; ``host``/``port`` (command line, or the bound port) win over it."""
        host, port, base_url = listen_address(
            env,
            "SANDBOX_BILLERS_",
            host=host,
            port=port,
            default_host=DEFAULT_HOST,
            default_port=DEFAULT_PORT,
            error=ConfigError,
        )
        shared = env.get("SANDBOX_BILLERS_SECRET", "").strip() or DEFAULT_SECRET
        systems: dict[str, System] = {}
        for spec in SPECS:
            prefix = f"SANDBOX_BILLERS_{spec.env}_"
            secret_name = (
                f"{prefix}SECRET" if env.get(f"{prefix}SECRET", "").strip() else "SANDBOX_BILLERS_SECRET"
            )
            systems[spec.slug] = System(
                spec=spec,
                key_id=env.get(f"{prefix}KEY_ID", "").strip() or spec.key_id,
                secret=_secret(secret_name, env.get(f"{prefix}SECRET", "").strip() or shared),
            )
        return cls(
            host=host,
            port=port,
            base_url=_http_url("SANDBOX_BILLERS_BASE_URL", base_url),
            db_path=Path(env.get("SANDBOX_BILLERS_DB", "").strip() or DEFAULT_DB),
            systems=systems,
        )
