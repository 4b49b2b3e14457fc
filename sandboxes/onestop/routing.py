"""Request plumbing the shared `sandboxes.idp.web` layer lacks: the raw body of JSON and multipart requests (the
signature covers its exact bytes), and routes with a dossier code or an id in the path."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from wsgiref.types import WSGIEnvironment

from sandboxes.idp.web import BadRequest, Request, Response, json_response

from .config import MAX_BODY_BYTES

CODE = r"(?P<code>[A-Za-z0-9.\-_]{1,60})"
ID = r"(?P<id>\d+)"
CONTROLS_PREFIX = "/_sandbox/"


@dataclass
class Incoming:
    """A request with its raw body (JSON and multipart bodies are not parsed by `Request`) and the values its
    path matched."""

    request: Request
    body: bytes
    match: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest("the body is not JSON") from exc


Handler = Callable[[Incoming], Response]


class Routes:
    """(method, path pattern) → handler; answers 405 itself, and 404 with `not_found`."""

    def __init__(self, routes: Iterable[tuple[str, str, Handler]], not_found: Callable[[], Response]) -> None:
        self.patterns = [(method, re.compile(path + r"\Z"), handler) for method, path, handler in routes]
        self.not_found = not_found

    def dispatch(self, request: Request, body: bytes) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        allowed = []
        for wanted, pattern, handler in self.patterns:
            match = pattern.match(request.path)
            if match is None:
                continue
            if wanted == method:
                # A form on another site can post text/plain to the test controls, not JSON (that needs CORS).
                is_json = request.headers.get("content-type", "").startswith("application/json")
                if request.path.startswith(CONTROLS_PREFIX) and method == "POST" and not is_json:
                    return json_response({"error": "application/json required"}, 415)
                return handler(Incoming(request, body, match.groupdict()))
            allowed.append(wanted)
        if allowed:
            return Response(
                b"Method not allowed\n", 405, headers=[("Allow", ", ".join(sorted(set(allowed))))]
            )
        return self.not_found()


def raw_body(environ: WSGIEnvironment) -> bytes:
    """The body of a request that is not a urlencoded form (those `Request.from_environ` reads itself)."""
    content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if (
        environ.get("REQUEST_METHOD", "GET").upper() != "POST"
        or content_type == "application/x-www-form-urlencoded"
    ):
        return b""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise BadRequest("invalid Content-Length") from exc
    if length > MAX_BODY_BYTES:
        raise BadRequest("request body too large")
    return environ["wsgi.input"].read(length) if length > 0 else b""
