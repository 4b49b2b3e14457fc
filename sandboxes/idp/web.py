"""A very small request/response layer over WSGI, and a router: just what the sandbox's endpoints need."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from wsgiref.types import StartResponse, WSGIEnvironment

MAX_BODY = 64 * 1024
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)


class BadRequest(Exception):
    """The request cannot be parsed (too large, malformed form, ...)."""


def _multi_dict(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Group query or form pairs by name, keeping every value (OAuth forbids repeated parameters)."""
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


@dataclass
class Request:
    """An incoming HTTP request: method, path, query and form parameters, headers and cookies."""

    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: dict[str, str]
    cookies: dict[str, str]

    @classmethod
    def from_environ(cls, environ: WSGIEnvironment) -> Request:
        """Parse a WSGI environment; form bodies are read only for urlencoded POSTs."""
        method = environ.get("REQUEST_METHOD", "GET").upper()
        raw_path = environ.get("PATH_INFO", "/") or "/"
        path = raw_path.encode("latin-1").decode("utf-8", "replace")
        query = _multi_dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        form: dict[str, list[str]] = {}
        content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if method == "POST" and content_type == "application/x-www-form-urlencoded":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError as exc:
                raise BadRequest("invalid Content-Length") from exc
            if length > MAX_BODY:
                raise BadRequest("request body too large")
            body = environ["wsgi.input"].read(length) if length > 0 else b""
            try:
                form = _multi_dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            except UnicodeDecodeError as exc:
                raise BadRequest("form body is not UTF-8") from exc
        cookies: dict[str, str] = {}
        try:
            jar = SimpleCookie(headers.get("cookie", ""))
            cookies = {name: morsel.value for name, morsel in jar.items()}
        except CookieError:
            cookies = {}
        return cls(method, path, query, form, headers, cookies)

    @property
    def params(self) -> dict[str, list[str]]:
        """The query parameters for GET, the form parameters for POST."""
        return self.form if self.method == "POST" else self.query

    def param(self, name: str) -> str:
        """The single value of a GET/POST parameter ("" when absent; the first one when repeated)."""
        values = self.params.get(name)
        return values[0] if values else ""

    def repeated(self) -> list[str]:
        """Names of parameters sent more than once (an error for OAuth requests, RFC 6749 §3.1)."""
        return sorted(name for name, values in self.params.items() if len(values) > 1)


@dataclass
class Response:
    """An outgoing HTTP response."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/plain; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)

    def set_cookie(self, name: str, value: str, *, secure: bool, max_age: int | None = None) -> None:
        """Add an HttpOnly, SameSite=Lax cookie for the whole sandbox; ``max_age=0`` deletes it."""
        parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if secure:
            parts.append("Secure")
        self.headers.append(("Set-Cookie", "; ".join(parts)))

    def __call__(self, start_response: StartResponse) -> list[bytes]:
        """Send the status line and headers through WSGI and return the body."""
        phrase = HTTPStatus(self.status).phrase
        headers = [
            ("Content-Type", self.content_type),
            ("Content-Length", str(len(self.body))),
            *SECURITY_HEADERS,
            *self.headers,
        ]
        start_response(f"{self.status} {phrase}", headers)
        return [self.body]


def json_response(data: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> Response:
    """A JSON response that is never cached (tokens and claims must not be stored by intermediaries)."""
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    all_headers = [("Cache-Control", "no-store"), ("Pragma", "no-cache"), *(headers or [])]
    return Response(body, status, "application/json; charset=utf-8", all_headers)


def add_query(url: str, params: dict[str, str]) -> str:
    """Append parameters to a URL's query string, keeping the parameters already there."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [(k, v) for k, v in params.items() if v]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def redirect(location: str, status: int = 302) -> Response:
    """A redirect that no cache keeps (it may carry an authorization code)."""
    return Response(b"", status, headers=[("Location", location), ("Cache-Control", "no-store")])


Handler = Callable[[Request], Response]


class Router:
    """Maps (method, path) to a handler; answers 404 and 405 itself."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.routes: dict[str, dict[str, Handler]] = {}

    def add(self, path: str, handler: Handler, methods: Iterable[str] = ("GET",)) -> None:
        """Register ``handler`` for ``path`` and each of ``methods``."""
        for method in methods:
            self.routes.setdefault(path, {})[method] = handler

    def dispatch(self, request: Request) -> Response:
        """Find the handler for the request and run it."""
        path = request.path
        if self.prefix and path.startswith(self.prefix):
            path = path[len(self.prefix) :] or "/"
        handlers = self.routes.get(path)
        if handlers is None:
            return Response(b"Not found\n", 404)
        method = "GET" if request.method == "HEAD" else request.method
        handler = handlers.get(method)
        if handler is None:
            return Response(b"Method not allowed\n", 405, headers=[("Allow", ", ".join(sorted(handlers)))])
        return handler(request)
