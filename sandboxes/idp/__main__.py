"""Start the VNeID sandbox: ``python -m sandboxes.idp [--host 127.0.0.1] [--port 8101]``.

Environment: SANDBOX_IDP_HOST, SANDBOX_IDP_PORT, SANDBOX_IDP_ISSUER, SANDBOX_IDP_CLIENT_ID,
SANDBOX_IDP_CLIENT_SECRET, SANDBOX_IDP_REDIRECT_URIS, SANDBOX_IDP_POST_LOGOUT_REDIRECT_URIS,
SANDBOX_IDP_KEY_FILE, SANDBOX_IDP_CODE_TTL (see ``config.py``). ``--port 0`` picks a free port; the
"listening on" line printed at start names the real one."""

from __future__ import annotations

import sys

from sandboxes.serve import run

from .app import create_app
from .config import ConfigError, Settings


def main(argv: list[str] | None = None) -> int:
    """Bind, build the app, announce, serve until stopped."""
    return run(
        name="sandbox-idp",
        title="VNeID sandbox",
        env_prefix="SANDBOX_IDP_",
        default_port=8101,
        settings_from_env=Settings.from_env,
        config_error=ConfigError,
        create_app=create_app,
        public_url=lambda settings: str(settings.issuer),
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
