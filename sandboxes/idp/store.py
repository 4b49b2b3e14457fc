"""In-memory state of the sandbox (it is a sandbox: a restart forgets it): pending sign-ins, IdP sessions,
authorization codes, access tokens and failed sign-in attempts. One lock guards all of it."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

PENDING_TTL = 600
SESSION_TTL = 8 * 3600
MAX_FAILURES = 5
FAILURE_WINDOW = 15 * 60
LOCK_DURATION = 15 * 60


def new_secret() -> str:
    """A random, URL-safe value with 256 bits of entropy."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class AuthRequest:
    """A validated authorization request, kept until the citizen has signed in."""

    client_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    state: str
    nonce: str
    code_challenge: str
    prompt: frozenset[str] = frozenset()
    required_level: int = 1
    max_age: int | None = None
    login_hint: str = ""


@dataclass
class Pending:
    """A sign-in form shown to a browser; ``csrf_token`` and ``browser_id`` tie the form post to it."""

    id: str
    csrf_token: str
    browser_id: str
    request: AuthRequest
    expires_at: float


@dataclass
class Session:
    """A citizen signed in at the IdP (single sign-on across authorization requests)."""

    id: str
    citizen_id: str
    auth_time: int
    expires_at: float


@dataclass
class Code:
    """A one-time authorization code and what it was issued for."""

    value: str
    request: AuthRequest
    citizen_id: str
    auth_time: int
    expires_at: float
    used: bool = False
    access_tokens: list[str] = field(default_factory=list)


@dataclass
class AccessToken:
    """An opaque bearer token for the userinfo endpoint."""

    value: str
    client_id: str
    scope: tuple[str, ...]
    citizen_id: str
    expires_at: float


class CodeError(Exception):
    """An authorization code cannot be redeemed; the message says why (for error_description)."""


class Store:
    """Thread-safe in-memory storage of everything the sandbox issues."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._pending: dict[str, Pending] = {}
        self._sessions: dict[str, Session] = {}
        self._codes: dict[str, Code] = {}
        self._tokens: dict[str, AccessToken] = {}
        self._failures: dict[str, list[float]] = {}
        self._locked_until: dict[str, float] = {}

    def _prune(self, now: float) -> None:
        """Forget expired entries (called with the lock held). Used codes are kept a while to detect replays;
        failed attempts and locks are forgotten once they no longer count."""
        for table in (self._pending, self._sessions, self._tokens):
            for key in [k for k, v in table.items() if v.expires_at <= now]:
                del table[key]
        grace = 600
        for key in [k for k, c in self._codes.items() if c.expires_at + grace <= now]:
            del self._codes[key]
        for key in [k for k, times in self._failures.items() if times[-1] <= now - FAILURE_WINDOW]:
            del self._failures[key]
        for key in [k for k, until in self._locked_until.items() if until <= now]:
            del self._locked_until[key]

    # Pending sign-ins -------------------------------------------------------------------------------------

    def new_pending(self, request: AuthRequest, browser_id: str) -> Pending:
        """Remember an authorization request while its sign-in form is shown."""
        with self._lock:
            now = self.clock()
            self._prune(now)
            pending = Pending(new_secret(), new_secret(), browser_id, request, now + PENDING_TTL)
            self._pending[pending.id] = pending
            return pending

    def get_pending(self, pending_id: str) -> Pending | None:
        """The pending sign-in with this id, unless it has expired."""
        with self._lock:
            pending = self._pending.get(pending_id)
            return pending if pending and pending.expires_at > self.clock() else None

    def drop_pending(self, pending_id: str) -> None:
        """Forget a pending sign-in (it succeeded or was cancelled)."""
        with self._lock:
            self._pending.pop(pending_id, None)

    # IdP sessions ------------------------------------------------------------------------------------------

    def new_session(self, citizen_id: str, auth_time: int) -> Session:
        """Open a new IdP session (always a fresh id, so a planted cookie cannot be reused)."""
        with self._lock:
            session = Session(new_secret(), citizen_id, auth_time, self.clock() + SESSION_TTL)
            self._sessions[session.id] = session
            return session

    def get_session(self, session_id: str) -> Session | None:
        """The live session with this id, if any."""
        with self._lock:
            session = self._sessions.get(session_id)
            return session if session and session.expires_at > self.clock() else None

    def drop_session(self, session_id: str) -> None:
        """End an IdP session (logout)."""
        with self._lock:
            self._sessions.pop(session_id, None)

    # Authorization codes and access tokens ------------------------------------------------------------------

    def new_code(self, request: AuthRequest, citizen_id: str, auth_time: int, ttl: int) -> str:
        """Issue a one-time authorization code valid for ``ttl`` seconds (0: already expired, for tests)."""
        with self._lock:
            now = self.clock()
            self._prune(now)
            code = Code(new_secret(), request, citizen_id, auth_time, now + ttl)
            self._codes[code.value] = code
            return code.value

    def redeem_code(self, value: str) -> Code:
        """Mark a code used and return it. A second use revokes the tokens issued for the first one
        (RFC 6749 §4.1.2); unknown, used and expired codes raise :class:`CodeError`."""
        with self._lock:
            code = self._codes.get(value)
            if code is None:
                raise CodeError("authorization code is unknown")
            if code.used:
                for token in code.access_tokens:
                    self._tokens.pop(token, None)
                raise CodeError("authorization code has already been used")
            code.used = True
            if code.expires_at <= self.clock():
                raise CodeError("authorization code has expired")
            return code

    def new_access_token(self, code: Code, ttl: int) -> AccessToken:
        """Issue an access token for a redeemed code."""
        with self._lock:
            token = AccessToken(
                new_secret(), code.request.client_id, code.request.scope, code.citizen_id, self.clock() + ttl
            )
            self._tokens[token.value] = token
            code.access_tokens.append(token.value)
            return token

    def get_access_token(self, value: str) -> AccessToken | None:
        """The unexpired, unrevoked access token with this value, if any."""
        with self._lock:
            token = self._tokens.get(value)
            return token if token and token.expires_at > self.clock() else None

    # Failed sign-ins and lock-out ------------------------------------------------------------------------

    def locked_for(self, citizen_id: str) -> float:
        """Seconds left before this number may sign in again (0 when it is not locked)."""
        with self._lock:
            return max(0.0, self._locked_until.get(citizen_id, 0.0) - self.clock())

    def record_failure(self, citizen_id: str) -> int:
        """Count a failed sign-in for this number and return how many attempts are left before the lock;
        at the fifth failure within 15 minutes the number is locked for 15 minutes (and 0 is returned)."""
        with self._lock:
            now = self.clock()
            recent = [t for t in self._failures.get(citizen_id, []) if t > now - FAILURE_WINDOW]
            recent.append(now)
            if len(recent) >= MAX_FAILURES:
                self._locked_until[citizen_id] = now + LOCK_DURATION
                self._failures.pop(citizen_id, None)
                return 0
            self._failures[citizen_id] = recent
            return MAX_FAILURES - len(recent)

    def clear_failures(self, citizen_id: str) -> None:
        """Forget the failed attempts of a number after a successful sign-in."""
        with self._lock:
            self._failures.pop(citizen_id, None)
