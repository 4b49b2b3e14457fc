"""Start the VNeID sandbox: ``python -m sandboxes.idp [--host 127.0.0.1] [--port 8101]``.

Environment: SANDBOX_IDP_HOST, SANDBOX_IDP_PORT, SANDBOX_IDP_ISSUER, SANDBOX_IDP_CLIENT_ID,
SANDBOX_IDP_CLIENT_SECRET, SANDBOX_IDP_REDIRECT_URIS, SANDBOX_IDP_POST_LOGOUT_REDIRECT_URIS,
SANDBOX_IDP_KEY_FILE, SANDBOX_IDP_CODE_TTL (see ``config.py``). ``--port 0`` picks a free port; the
"listening on" line printed at start names the real one."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import sys
from socketserver import ThreadingMixIn
from types import FrameType
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .app import create_app
from .config import ConfigError, Settings


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """The standard-library WSGI server, one thread per request."""

    daemon_threads = True
    allow_reuse_address = True


class IPv6ThreadingWSGIServer(ThreadingWSGIServer):
    """The same, bound to an IPv6 address."""

    address_family = socket.AF_INET6


class QuietHandler(WSGIRequestHandler):
    """Logs one short line per request on stderr, without reverse DNS look-ups."""

    def address_string(self) -> str:
        """The client's IP address, as is."""
        return str(self.client_address[0])

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log method, path and status, but not the query string (it may carry a login_hint or a code)."""
        path = self.path.split("?", 1)[0]
        self.log_message('"%s %s" %s %s', self.command, path, code, size)

    def log_message(self, format: str, *args: object) -> None:
        """Write the log line to stderr, prefixed with the service name."""
        sys.stderr.write("sandbox-idp: " + (format % args) + "\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; they override SANDBOX_IDP_HOST and SANDBOX_IDP_PORT."""
    parser = argparse.ArgumentParser(
        prog="python -m sandboxes.idp", description="VNeID sandbox (OpenID Connect)"
    )
    parser.add_argument(
        "--host", default=None, help="address to listen on (default $SANDBOX_IDP_HOST or 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=None, help="port (default $SANDBOX_IDP_PORT or 8101; 0: any)"
    )
    return parser.parse_args(argv)


def _stop(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends serve_forever like Ctrl-C does."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Bind, build the app (creating the signing key on first start), announce, serve until stopped."""
    logging.basicConfig(level=logging.INFO, format="sandbox-idp: %(levelname)s %(message)s")
    args = parse_args(argv)
    try:
        wanted = Settings.from_env(os.environ, host=args.host, port=args.port)
    except ConfigError as exc:
        print(f"sandbox-idp: configuration error: {exc}", file=sys.stderr)
        return 2
    server_class = IPv6ThreadingWSGIServer if ":" in wanted.host else ThreadingWSGIServer
    with make_server(wanted.host, wanted.port, lambda e, s: [], server_class, QuietHandler) as server:
        settings = Settings.from_env(os.environ, host=wanted.host, port=server.server_port)
        server.set_app(create_app(settings))
        signal.signal(signal.SIGTERM, _stop)
        print(f"sandbox-idp (VNeID sandbox) listening on {settings.issuer}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
