"""Settings of sandbox-bank, read once from environment variables (``SANDBOX_BANK_*``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sandboxes.serve import listen_address

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8104
DEFAULT_PORTAL_URL = "http://127.0.0.1:8000"
DEFAULT_DB = "var/sandbox-bank.sqlite3"
# Demo credentials, public on purpose: the portal's demo Provider rows use the same values.
DEFAULT_VNPAY_TMN_CODE = "DVCQG001"
DEFAULT_VNPAY_SECRET = "SANDBOXVNPAYSECRET2026DVCQG00001"
DEFAULT_MOMO_PARTNER_CODE = "MOMODVCQG2026"
DEFAULT_MOMO_ACCESS_KEY = "sandboxMomoAccessKey"
DEFAULT_MOMO_SECRET_KEY = "sandboxMomoSecretKey2026DVCQG"
# VNPAY sends its IPN to the address the merchant registered with it (not one given per payment): by default
# the portal's callback route for its demo provider row `sandbox-vnpay`.
VNPAY_IPN_PATH = "/thanh-toan/tb/ipn/sandbox-vnpay/"
DEFAULT_IPN_MAX_ATTEMPTS = 10
DEFAULT_IPN_RETRY_CAP = 60.0  # seconds: a sandbox retries within a minute, not VNPAY's five
HTTP_TIMEOUT = (5.0, 20.0)  # connect, read: IPNs to the portal
MOMO_PAY_MINUTES = 100  # how long a MoMo payUrl stays valid


class ConfigError(ValueError):
    """A setting has a value the sandbox cannot work with."""


def _http_url(name: str, value: str, *, base: bool = True) -> str:
    """An http(s) URL; a base URL (to which paths are added) loses its trailing slash, an endpoint keeps it."""
    parts = urlsplit(value)
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.fragment
        or (base and parts.query)
    ):
        raise ConfigError(f"{name} must be an http(s) URL without fragment, not {value!r}")
    return value.rstrip("/") if base else value


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from exc
    if value <= 0:
        raise ConfigError(f"{name} must be positive")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the running sandbox needs to know, fixed at start-up."""

    host: str
    port: int
    base_url: str
    portal_url: str
    db_path: Path
    vnpay_tmn_code: str
    vnpay_secret: str
    vnpay_ipn_url: str
    momo_partner_code: str
    momo_access_key: str
    momo_secret_key: str
    ipn_max_attempts: int
    ipn_retry_cap: float

    @classmethod
    def from_env(cls, env: Mapping[str, str], host: str | None = None, port: int | None = None) -> Settings:
        """Build the settings from ``env``; ``host``/``port`` (command line, or the bound port) win over it."""
        host, port, base_url = listen_address(
            env,
            "SANDBOX_BANK_",
            host=host,
            port=port,
            default_host=DEFAULT_HOST,
            default_port=DEFAULT_PORT,
            error=ConfigError,
        )

        def get(name: str, default: str) -> str:
            return env.get(f"SANDBOX_BANK_{name}", "").strip() or default

        portal_url = _http_url("SANDBOX_BANK_PORTAL_URL", get("PORTAL_URL", DEFAULT_PORTAL_URL))
        return cls(
            host=host,
            port=port,
            base_url=_http_url("SANDBOX_BANK_BASE_URL", base_url),
            portal_url=portal_url,
            db_path=Path(get("DB", DEFAULT_DB)),
            vnpay_tmn_code=get("VNPAY_TMN_CODE", DEFAULT_VNPAY_TMN_CODE),
            vnpay_secret=get("VNPAY_SECRET", DEFAULT_VNPAY_SECRET),
            vnpay_ipn_url=_http_url(
                "SANDBOX_BANK_VNPAY_IPN_URL", get("VNPAY_IPN_URL", portal_url + VNPAY_IPN_PATH), base=False
            ),
            momo_partner_code=get("MOMO_PARTNER_CODE", DEFAULT_MOMO_PARTNER_CODE),
            momo_access_key=get("MOMO_ACCESS_KEY", DEFAULT_MOMO_ACCESS_KEY),
            momo_secret_key=get("MOMO_SECRET_KEY", DEFAULT_MOMO_SECRET_KEY),
            ipn_max_attempts=int(_positive(env, "SANDBOX_BANK_IPN_MAX_ATTEMPTS", DEFAULT_IPN_MAX_ATTEMPTS)),
            ipn_retry_cap=_positive(env, "SANDBOX_BANK_IPN_RETRY_CAP", DEFAULT_IPN_RETRY_CAP),
        )
