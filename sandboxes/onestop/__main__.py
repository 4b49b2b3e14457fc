"""Start the one-stop sandbox: ``python -m sandboxes.onestop [--host 127.0.0.1] [--port 8103]``.

Environment (all optional): SANDBOX_ONESTOP_HOST, SANDBOX_ONESTOP_PORT, SANDBOX_ONESTOP_BASE_URL (default
http://{host}:{port}), SANDBOX_ONESTOP_PORTAL_URL (where status events and results go, default
http://127.0.0.1:8000), SANDBOX_ONESTOP_KEY_ID (sandbox-onestop-hn) and SANDBOX_ONESTOP_SECRET (a demo whsec_…
value that the portal's demo data registers too), SANDBOX_ONESTOP_DB (SQLite file kept across restarts, default
var/sandbox-onestop.sqlite3), SANDBOX_ONESTOP_AUTO (true: each new dossier goes 2 → 4 → 9 → 10 on its own) and
SANDBOX_ONESTOP_AUTO_DELAY (seconds between those steps, default 5), SANDBOX_ONESTOP_AGENCY_CODE (UBND-01),
SANDBOX_ONESTOP_AGENCY_IDENTIFICATION_CODE (the prefix of counter dossier codes when set),
SANDBOX_ONESTOP_AGENCY_NAME, SANDBOX_ONESTOP_OFFICER_NAME, SANDBOX_ONESTOP_OFFICER_TITLE, SANDBOX_ONESTOP_UNIT.
``--port 0`` picks a free port; the "listening on" line printed at start names the real one. The portal must
have an agency integration with this key id, secret and the sandbox's address (`loaddemo` registers one)."""

from __future__ import annotations

import sys

from sandboxes.serve import run

from .app import create_app
from .config import ConfigError, Settings


def main(argv: list[str] | None = None) -> int:
    """Bind, build the app, announce, serve until stopped."""
    return run(
        name="sandbox-onestop",
        title="Hệ thống một cửa điện tử — sandbox",
        env_prefix="SANDBOX_ONESTOP_",
        default_port=8103,
        settings_from_env=Settings.from_env,
        config_error=ConfigError,
        create_app=create_app,
        public_url=lambda settings: str(settings.base_url),
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
