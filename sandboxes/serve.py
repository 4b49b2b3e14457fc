"""What every sandbox process shares: options, a threaded standard-library WSGI server, quiet logging (no
query strings: they carry codes and tokens), SIGTERM handled like Ctrl-C, and the "listening on <url>" line
that `make run` and the tests wait for."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Mapping
from socketserver import ThreadingMixIn
from types import FrameType
from typing import Any, Protocol
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


def url_host(host: str) -> str:
    """Write a host for a URL: IPv6 literals go in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def listen_address(
    env: Mapping[str, str],
    prefix: str,
    *,
    host: str | None,
    port: int | None,
    default_host: str,
    default_port: int,
    error: type[Exception],
) -> tuple[str, int, str]:
    """Host, port and public base URL of a sandbox: the command line (or the bound port) wins over
    `<prefix>HOST` / `<prefix>PORT`; `<prefix>BASE_URL` defaults to http://host:port."""
    host = host or env.get(f"{prefix}HOST", "").strip() or default_host
    if port is None:
        raw = env.get(f"{prefix}PORT", "").strip()
        try:
            port = int(raw) if raw else default_port
        except ValueError as exc:
            raise error(f"{prefix}PORT must be an integer, not {raw!r}") from exc
    base_url = env.get(f"{prefix}BASE_URL", "").strip() or f"http://{url_host(host)}:{port}"
    return host, port, base_url


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """The standard-library WSGI server, one thread per request."""

    daemon_threads = True
    allow_reuse_address = True


class IPv6ThreadingWSGIServer(ThreadingWSGIServer):
    address_family = socket.AF_INET6


class SettingsFactory(Protocol):
    def __call__(self, env: Mapping[str, str], *, host: str | None, port: int | None) -> Any: ...


def _handler(name: str) -> type[WSGIRequestHandler]:
    class QuietHandler(WSGIRequestHandler):
        """One short line per request on stderr, without reverse DNS look-ups or the query string."""

        def address_string(self) -> str:
            return str(self.client_address[0])

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            self.log_message('"%s %s" %s %s', self.command, self.path.split("?", 1)[0], code, size)

        def log_message(self, format: str, *args: object) -> None:
            sys.stderr.write(f"{name}: " + (format % args) + "\n")

    return QuietHandler


def _stop(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends serve_forever like Ctrl-C does."""
    raise KeyboardInterrupt


def run(
    *,
    name: str,
    title: str,
    env_prefix: str,
    default_port: int,
    settings_from_env: SettingsFactory,
    config_error: type[Exception],
    create_app: Callable[[Any], Callable[..., Any]],
    public_url: Callable[[Any], str],
    argv: list[str] | None = None,
) -> int:
    """Parse `--host`/`--port` (overriding `<env_prefix>HOST`/`PORT`), bind (port 0: any), build the app with
    the settings of the bound port, print "<name> (<title>) listening on <url>", serve until stopped."""
    logging.basicConfig(level=logging.INFO, format=f"{name}: %(levelname)s %(message)s")
    parser = argparse.ArgumentParser(
        prog=f"python -m sandboxes.{name.removeprefix('sandbox-')}", description=title
    )
    parser.add_argument(
        "--host", default=None, help=f"address to listen on (default ${env_prefix}HOST or 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=None, help=f"port (default ${env_prefix}PORT or {default_port}; 0: any)"
    )
    args = parser.parse_args(argv)
    try:
        wanted = settings_from_env(os.environ, host=args.host, port=args.port)
    except config_error as exc:
        print(f"{name}: configuration error: {exc}", file=sys.stderr)
        return 2
    server_class = IPv6ThreadingWSGIServer if ":" in wanted.host else ThreadingWSGIServer
    with make_server(wanted.host, wanted.port, lambda e, s: [], server_class, _handler(name)) as server:
        settings = settings_from_env(os.environ, host=wanted.host, port=server.server_port)
        server.set_app(create_app(settings))
        signal.signal(signal.SIGTERM, _stop)
        print(f"{name} ({title}) listening on {public_url(settings)}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0
