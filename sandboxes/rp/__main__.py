"""Start the relying-party sandbox: ``python -m sandboxes.rp [--host 127.0.0.1] [--port 8102]``.

Environment: SANDBOX_RP_HOST, SANDBOX_RP_PORT, SANDBOX_RP_ISSUER (the portal's issuer, default
http://127.0.0.1:8000/oidc), SANDBOX_RP_CLIENT_ID (cong-dvc-tinh-mau), SANDBOX_RP_CLIENT_SECRET
(sandbox-rp-secret), SANDBOX_RP_BASE_URL (default http://{host}:{port}), SANDBOX_RP_SCOPES (see
``config.py``). ``--port 0`` picks a free port; the "listening on" line printed at start names the real one.
The portal must have this relying party registered with the redirect URI <base>/callback, the post-logout
redirect URI <base>/ and the back-channel logout URI <base>/backchannel-logout."""

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
    address_family = socket.AF_INET6


class QuietHandler(WSGIRequestHandler):
    """One short line per request on stderr, without the query string (it carries codes and tokens)."""

    def address_string(self) -> str:
        return str(self.client_address[0])

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.log_message('"%s %s" %s %s', self.command, self.path.split("?", 1)[0], code, size)

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write("sandbox-rp: " + (format % args) + "\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sandboxes.rp", description="Cổng DVC tỉnh mẫu (OpenID Connect relying party sandbox)"
    )
    parser.add_argument(
        "--host", default=None, help="address to listen on (default $SANDBOX_RP_HOST or 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=None, help="port (default $SANDBOX_RP_PORT or 8102; 0: any)"
    )
    return parser.parse_args(argv)


def _stop(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends serve_forever like Ctrl-C does."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Bind, build the app, announce, serve until stopped. The provider is not contacted before first use."""
    logging.basicConfig(level=logging.INFO, format="sandbox-rp: %(levelname)s %(message)s")
    args = parse_args(argv)
    try:
        wanted = Settings.from_env(os.environ, host=args.host, port=args.port)
    except ConfigError as exc:
        print(f"sandbox-rp: configuration error: {exc}", file=sys.stderr)
        return 2
    server_class = IPv6ThreadingWSGIServer if ":" in wanted.host else ThreadingWSGIServer
    with make_server(wanted.host, wanted.port, lambda e, s: [], server_class, QuietHandler) as server:
        settings = Settings.from_env(os.environ, host=wanted.host, port=server.server_port)
        server.set_app(create_app(settings))
        signal.signal(signal.SIGTERM, _stop)
        print(f"sandbox-rp (Cổng DVC tỉnh mẫu) listening on {settings.base_url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
