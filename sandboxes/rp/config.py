"""Settings of the relying-party sandbox, read once from environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from sandboxes.serve import listen_address

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8102
DEFAULT_ISSUER = "http://127.0.0.1:8000/oidc"
DEFAULT_CLIENT_ID = "cong-dvc-tinh-mau"
DEFAULT_CLIENT_SECRET = "sandbox-rp-secret"
DEFAULT_SCOPES = "openid profile citizen_id phone email address"
HTTP_TIMEOUT = 10.0
LOGIN_TTL = 600  # seconds a started sign-in may take (consent page included)
LOGOUT_TOKEN_MAX_AGE = 300  # a logout token issued longer ago than this is refused
CLOCK_SKEW = 60


class ConfigError(ValueError):
    """A setting has a value the sandbox cannot work with."""


def _http_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"{name} must be an http(s) URL without query or fragment, not {value!r}")
    return value.rstrip("/")


@dataclass(frozen=True)
class Settings:
    """Everything the running sandbox needs to know, fixed at start-up."""

    host: str
    port: int
    issuer: str
    client_id: str
    client_secret: str
    base_url: str
    scopes: str

    @classmethod
    def from_env(cls, env: Mapping[str, str], host: str | None = None, port: int | None = None) -> Settings:
        """Build the settings from ``env``; ``host``/``port`` (command line, or the bound port) win over it."""
        host, port, base_url = listen_address(
            env,
            "SANDBOX_RP_",
            host=host,
            port=port,
            default_host=DEFAULT_HOST,
            default_port=DEFAULT_PORT,
            error=ConfigError,
        )
        scopes = " ".join(env.get("SANDBOX_RP_SCOPES", "").split()) or DEFAULT_SCOPES
        if "openid" not in scopes.split():
            raise ConfigError("SANDBOX_RP_SCOPES must include openid")
        client_secret = env.get("SANDBOX_RP_CLIENT_SECRET", DEFAULT_CLIENT_SECRET)
        if not client_secret:
            raise ConfigError("SANDBOX_RP_CLIENT_SECRET must not be empty")
        return cls(
            host=host,
            port=port,
            issuer=_http_url("SANDBOX_RP_ISSUER", env.get("SANDBOX_RP_ISSUER", "").strip() or DEFAULT_ISSUER),
            client_id=env.get("SANDBOX_RP_CLIENT_ID", "").strip() or DEFAULT_CLIENT_ID,
            client_secret=client_secret,
            base_url=_http_url("SANDBOX_RP_BASE_URL", base_url),
            scopes=scopes,
        )

    @property
    def redirect_uri(self) -> str:
        """Where the provider sends the browser back with the authorization code."""
        return f"{self.base_url}/callback"

    @property
    def post_logout_redirect_uri(self) -> str:
        """Where the provider sends the browser back after RP-initiated logout."""
        return f"{self.base_url}/"

    @property
    def backchannel_logout_uri(self) -> str:
        """Where the provider posts logout tokens (registered with the provider)."""
        return f"{self.base_url}/backchannel-logout"

    @property
    def secure_cookies(self) -> bool:
        """Cookies get the Secure attribute when the sandbox is served over HTTPS."""
        return self.base_url.startswith("https://")
