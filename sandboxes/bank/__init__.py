"""sandbox-bank: "Ngân hàng và ví điện tử thử nghiệm", one process speaking both payment providers' protocols as
the provider: a redirect gateway signed with HMAC-SHA512 like VNPAY's (card pages with test cards and OTP) and a
JSON API signed with HMAC-SHA256 like MoMo's (a wallet page with test wallets).

After each payment it sends the IPN to the portal from a persistent queue until acknowledged, and sends the
browser back with the signed result; it answers status queries and refunds, and serves its daily statement.
Test controls under ``/_sandbox/`` make payments fail and IPNs late, repeated, reordered or lost. Run it with
``python -m sandboxes.bank``; see ``__main__.py`` for the options and environment variables."""

from .app import create_app
from .config import Settings

__all__ = ["Settings", "create_app"]
