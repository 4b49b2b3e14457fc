"""What every endpoint shares: the settings, the in-memory store, the signing key and the test citizens,
plus the two ways an authorization request ends (a code, or an error sent back to the client)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .citizens import CitizenRegistry
from .config import Settings
from .keys import SigningKey
from .store import AuthRequest, Session, Store
from .web import Request, Response, add_query, redirect

SESSION_COOKIE = "vneid_sandbox_session"
BROWSER_COOKIE = "vneid_sandbox_browser"


@dataclass
class Provider:
    """The state of one running sandbox identity provider."""

    settings: Settings
    key: SigningKey
    registry: CitizenRegistry
    store: Store = field(default_factory=Store)
    clock: Callable[[], float] = time.time

    def now(self) -> int:
        """Current time in whole seconds, as used in JWT claims."""
        return int(self.clock())

    def current_session(self, request: Request) -> Session | None:
        """The IdP session named by the request's session cookie, if it is still open."""
        session_id = request.cookies.get(SESSION_COOKIE, "")
        return self.store.get_session(session_id) if session_id else None

    def issue_code(self, auth: AuthRequest, citizen_id: str, auth_time: int, status: int = 302) -> Response:
        """Create a one-time code for the request and send the browser back to the client with it."""
        code = self.store.new_code(auth, citizen_id, auth_time, self.settings.code_ttl)
        params = {"code": code, "state": auth.state, "iss": self.settings.issuer}
        return redirect(add_query(auth.redirect_uri, params), status)

    def error_redirect(
        self, redirect_uri: str, state: str, error: str, description: str, status: int = 302
    ) -> Response:
        """Send an OAuth error back to the client's (already validated) redirect URI (RFC 6749 §4.1.2.1)."""
        params = {
            "error": error,
            "error_description": description,
            "state": state,
            "iss": self.settings.issuer,
        }
        return redirect(add_query(redirect_uri, params), status)
