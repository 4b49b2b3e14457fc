"""Start the agencies' bill systems sandbox: ``python -m sandboxes.billers [--host 127.0.0.1] [--port 8105]``.

Environment (all optional): SANDBOX_BILLERS_HOST, SANDBOX_BILLERS_PORT, SANDBOX_BILLERS_BASE_URL (default
http://{host}:{port}), SANDBOX_BILLERS_DB (SQLite file kept across restarts, default var/sandbox-billers.sqlite3),
SANDBOX_BILLERS_SECRET (the Standard Webhooks secret of every system; a demo whsec_… value that the portal's demo
data registers too), and per system (CSGT, THUE, BHXH, EVN, TOA_AN, MOT_CUA) SANDBOX_BILLERS_<SYSTEM>_KEY_ID
(default `<biller code>-key`, e.g. csgt-ha-noi-key) and SANDBOX_BILLERS_<SYSTEM>_SECRET. ``--port 0`` picks a
free port; the "listening on" line printed at start names the real one. The portal's billers must use the same
key ids and secrets (`loaddemo` registers them with `dichvucong.payments.demo`)."""

from __future__ import annotations

import sys

from sandboxes.serve import run

from .app import create_app
from .config import ConfigError, Settings


def main(argv: list[str] | None = None) -> int:
    """Bind, build the app, announce, serve until stopped."""
    return run(
        name="sandbox-billers",
        title="Hệ thống thu của các cơ quan — sandbox",
        env_prefix="SANDBOX_BILLERS_",
        default_port=8105,
        settings_from_env=Settings.from_env,
        config_error=ConfigError,
        create_app=create_app,
        public_url=lambda settings: str(settings.base_url),
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
