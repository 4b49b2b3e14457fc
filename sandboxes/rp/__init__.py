"""sandbox-rp: "Cổng DVC tỉnh mẫu", a province's portal that signs its users in with the national portal.

It is a relying party of the portal's OpenID Connect provider, so that single sign-on and single sign-out
(back-channel logout) can be seen and tested end to end. Run it with ``python -m sandboxes.rp``; see
``__main__.py`` for the options and environment variables."""

from .app import create_app
from .config import Settings

__all__ = ["Settings", "create_app"]
