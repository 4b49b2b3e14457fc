"""sandbox-billers: "Hệ thống thu của các cơ quan — sandbox", one process hosting six agency systems that issue
bills, under path prefixes: ``/csgt/`` (Hà Nội traffic police fines), ``/thue/`` (tax notices), ``/bhxh/`` (social
and health insurance contributions), ``/evn/`` (electricity bills), ``/toa-an/`` (court fee advances) and
``/mot-cua/`` (the one-stop system that collects the fees of dossiers).

Each answers the portal's signed bill look-ups (``GET /<system>/bills/<code>``) from its test bills
(``bills.json``) and takes the portal's signed webhooks for paid bills (``POST /<system>/webhooks``, recorded once
per webhook-id, the bill marked paid), in a SQLite file kept across restarts. Test controls under ``/_sandbox/``
simulate an outage or a slow system. Run it with ``python -m sandboxes.billers``; see ``__main__.py`` for the
options and environment variables."""

from .app import create_app
from .config import Settings

__all__ = ["Settings", "create_app"]
