"""sandbox-onestop: "Hệ thống một cửa điện tử — sandbox", an agency's one-stop system (Hà Nội's by default).

It receives the dossiers the portal delivers (Standard Webhooks signatures, each dossier stored once however many
times it comes), lets an officer move them through the national statuses, takes dossiers at the counter, and
pushes every status change and result file back to the portal through a persistent queue. Test controls under
``/_sandbox/`` simulate an outage or a slow system. Run it with ``python -m sandboxes.onestop``; see
``__main__.py`` for the options and environment variables."""

from .app import create_app
from .config import Settings

__all__ = ["Settings", "create_app"]
