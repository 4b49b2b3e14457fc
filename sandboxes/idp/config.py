"""Settings of the VNeID sandbox, read from environment variables, and the redirect-URI rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sandboxes.serve import url_host

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8101
DEFAULT_CLIENT_ID = "dichvucong-portal"
DEFAULT_CLIENT_SECRET = "sandbox-idp-secret"
DEFAULT_REDIRECT_URIS = (
    "http://127.0.0.1:8000/tai-khoan/vneid/callback/,http://localhost:8000/tai-khoan/vneid/callback/"
)
DEFAULT_KEY_FILE = "var/sandbox-idp/signing-key.pem"
DEFAULT_CODE_TTL = 60
ACCESS_TOKEN_TTL = 600
ID_TOKEN_TTL = 300
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class ConfigError(ValueError):
    """A setting has a value the sandbox cannot work with."""


def _split_list(value: str) -> tuple[str, ...]:
    """Split a comma-separated setting into its non-empty, stripped items."""
    return tuple(item.strip() for item in value.split(",") if item.strip())


def _int_setting(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    """Read an integer setting, rejecting values that are not integers or are below ``minimum``."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, not {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    return value


def is_loopback(url: str) -> bool:
    """Whether the URL points to a loopback host (127.0.0.1, localhost or [::1])."""
    return (urlsplit(url).hostname or "") in LOOPBACK_HOSTS


def _parts_without_port(url: str) -> tuple[str, str, str, str]:
    """The parts of a URL that must match when the port of a loopback redirect URI is ignored."""
    parts = urlsplit(url)
    return parts.scheme, parts.hostname or "", parts.path, parts.query


@dataclass(frozen=True)
class Settings:
    """Everything the running sandbox needs to know, fixed at start-up."""

    host: str
    port: int
    issuer: str
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    key_file: Path
    code_ttl: int
    access_token_ttl: int = ACCESS_TOKEN_TTL
    id_token_ttl: int = ID_TOKEN_TTL

    @classmethod
    def from_env(cls, env: Mapping[str, str], host: str | None = None, port: int | None = None) -> Settings:
        """Build the settings from ``env``; ``host``/``port`` (command line, or the bound port) win over it."""
        host = host or env.get("SANDBOX_IDP_HOST", "").strip() or DEFAULT_HOST
        if port is None:
            port = _int_setting(env, "SANDBOX_IDP_PORT", DEFAULT_PORT)
        issuer = env.get("SANDBOX_IDP_ISSUER", "").strip().rstrip("/") or f"http://{url_host(host)}:{port}"
        issuer_parts = urlsplit(issuer)
        if issuer_parts.scheme not in {"http", "https"} or issuer_parts.query or issuer_parts.fragment:
            raise ConfigError("SANDBOX_IDP_ISSUER must be an http(s) URL without query or fragment")
        redirect_uris = _split_list(env.get("SANDBOX_IDP_REDIRECT_URIS", DEFAULT_REDIRECT_URIS))
        for uri in redirect_uris:
            parts = urlsplit(uri)
            if parts.scheme not in {"http", "https"} or not parts.hostname or parts.fragment:
                raise ConfigError(f"invalid redirect URI in SANDBOX_IDP_REDIRECT_URIS: {uri!r}")
        client_secret = env.get("SANDBOX_IDP_CLIENT_SECRET", DEFAULT_CLIENT_SECRET)
        if not client_secret:
            raise ConfigError("SANDBOX_IDP_CLIENT_SECRET must not be empty")
        return cls(
            host=host,
            port=port,
            issuer=issuer,
            client_id=env.get("SANDBOX_IDP_CLIENT_ID", "").strip() or DEFAULT_CLIENT_ID,
            client_secret=client_secret,
            redirect_uris=redirect_uris,
            post_logout_redirect_uris=_split_list(env.get("SANDBOX_IDP_POST_LOGOUT_REDIRECT_URIS", "")),
            key_file=Path(env.get("SANDBOX_IDP_KEY_FILE", "").strip() or DEFAULT_KEY_FILE),
            code_ttl=_int_setting(env, "SANDBOX_IDP_CODE_TTL", DEFAULT_CODE_TTL),
        )

    @property
    def path_prefix(self) -> str:
        """The path of the issuer URL (empty when the sandbox is served at the root)."""
        return urlsplit(self.issuer).path.rstrip("/")

    @property
    def secure_cookies(self) -> bool:
        """Cookies get the Secure attribute when the issuer is served over HTTPS."""
        return self.issuer.startswith("https://")

    def endpoint(self, path: str) -> str:
        """The absolute URL of one of the sandbox's endpoints."""
        return self.issuer + path

    def redirect_uri_allowed(self, uri: str) -> bool:
        """Exact match with a registered redirect URI, except that the port of loopback URIs is ignored
        (RFC 8252 §7.3), so clients started on random ports are accepted."""
        if not uri or "#" in uri:
            return False
        if uri in self.redirect_uris:
            return True
        if not is_loopback(uri):
            return False
        try:
            wanted = _parts_without_port(uri)
        except ValueError:
            return False
        return any(is_loopback(reg) and _parts_without_port(reg) == wanted for reg in self.redirect_uris)

    def post_logout_redirect_allowed(self, uri: str) -> bool:
        """A post-logout redirect URI is allowed when it is listed in SANDBOX_IDP_POST_LOGOUT_REDIRECT_URIS or
        when it is on a loopback host with the scheme and host of a registered redirect URI (any port)."""
        if not uri or "#" in uri:
            return False
        if uri in self.post_logout_redirect_uris:
            return True
        if not is_loopback(uri):
            return False
        try:
            parts = urlsplit(uri)
        except ValueError:
            return False
        origins = {
            (urlsplit(reg).scheme, urlsplit(reg).hostname) for reg in self.redirect_uris if is_loopback(reg)
        }
        return (parts.scheme, parts.hostname) in origins
