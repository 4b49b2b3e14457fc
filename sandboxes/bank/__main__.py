"""Start sandbox-bank: ``python -m sandboxes.bank [--host 127.0.0.1] [--port 8104]``.

Environment (all optional): SANDBOX_BANK_HOST, SANDBOX_BANK_PORT, SANDBOX_BANK_BASE_URL (default
http://{host}:{port}), SANDBOX_BANK_PORTAL_URL (default http://127.0.0.1:8000), SANDBOX_BANK_VNPAY_IPN_URL
(the IPN URL "registered" for the VNPAY-like merchant, default {portal}/thanh-toan/tb/ipn/sandbox-vnpay/; the
MoMo-like side posts to the ipnUrl of each payment), SANDBOX_BANK_DB (SQLite file kept across restarts, default
var/sandbox-bank.sqlite3), the merchant's credentials SANDBOX_BANK_VNPAY_TMN_CODE (DVCQG001),
SANDBOX_BANK_VNPAY_SECRET, SANDBOX_BANK_MOMO_PARTNER_CODE (MOMODVCQG2026), SANDBOX_BANK_MOMO_ACCESS_KEY,
SANDBOX_BANK_MOMO_SECRET_KEY (demo values the portal's demo providers use too), SANDBOX_BANK_IPN_MAX_ATTEMPTS
(10) and SANDBOX_BANK_IPN_RETRY_CAP (the longest wait between two attempts, 60 seconds).
``--port 0`` picks a free port; the "listening on" line printed at start names the real one."""

from __future__ import annotations

import sys

from sandboxes.serve import run

from .app import create_app
from .config import ConfigError, Settings


def main(argv: list[str] | None = None) -> int:
    """Bind, build the app, announce, serve until stopped."""
    return run(
        name="sandbox-bank",
        title="Ngân hàng và ví điện tử thử nghiệm — sandbox",
        env_prefix="SANDBOX_BANK_",
        default_port=8104,
        settings_from_env=Settings.from_env,
        config_error=ConfigError,
        create_app=create_app,
        public_url=lambda settings: str(settings.base_url),
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())
