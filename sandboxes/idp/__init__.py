"""sandbox-idp: an OpenID Connect identity provider standing in for VNeID, the national identity provider.

Run it with ``python -m sandboxes.idp``; see ``__main__.py`` for the options and environment variables."""

from .app import create_app
from .config import Settings

__all__ = ["Settings", "create_app"]
