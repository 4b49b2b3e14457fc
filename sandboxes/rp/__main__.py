"""Start the relying-party sandbox: ``python -m sandboxes.rp [--host 127.0.0.1] [--port 8102]``.

Environment: SANDBOX_RP_HOST, SANDBOX_RP_PORT, SANDBOX_RP_ISSUER (the portal's issuer, default
http://127.0.0.1:8000/oidc), SANDBOX_RP_CLIENT_ID (cong-dvc-tinh-mau), SANDBOX_RP_CLIENT_SECRET
(sandbox-rp-secret), SANDBOX_RP_BASE_URL (default http://{host}:{port}), SANDBOX_RP_SCOPES (see
``config.py``). ``--port 0`` picks a free port; the "listening on" line printed at start names the real one.
The portal must have this relying party registered with the redirect URI <base>/callback, the post-logout
redirect URI <base>/ and the back-channel logout URI <base>/backchannel-logout."""

from __future__ import annotations

import sys

from sandboxes.serve import run

from .app import create_app
from .config import ConfigError, Settings


def main(argv: list[str] | None = None) -> int:
    """Bind, build the app, announce, serve until stopped."""
    return run(
        name="sandbox-rp",
        title="Cổng DVC tỉnh mẫu",
        env_prefix="SANDBOX_RP_",
        default_port=8102,
        settings_from_env=Settings.from_env,
        config_error=ConfigError,
        create_app=create_app,
        public_url=lambda settings: str(settings.base_url),
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
