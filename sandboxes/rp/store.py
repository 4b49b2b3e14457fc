"""What the sandbox remembers, in memory only: sign-ins under way, local sessions, logout tokens seen.

The server handles each request in its own thread, so every access goes through one lock."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PendingLogin:
    """A sign-in sent to the provider and not yet back: what the callback must check."""

    state: str
    nonce: str
    code_verifier: str
    created: float


@dataclass
class Session:
    """A person signed in here: the provider's subject and session id (`sid`), the ID token (for
    RP-initiated logout), and the claims received."""

    id: str
    sub: str
    sid: str
    id_token: str
    claims: dict[str, Any]
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    created: float = field(default_factory=time.time)


class Store:
    """Thread-safe in-memory state; nothing survives a restart (everyone is signed out)."""

    def __init__(self, login_ttl: int, clock: Callable[[], float] = time.time) -> None:
        self.login_ttl = login_ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._pending: dict[str, PendingLogin] = {}
        self._sessions: dict[str, Session] = {}
        self._seen_jti: dict[str, float] = {}

    def start_login(self) -> PendingLogin:
        """A fresh state, nonce and PKCE verifier, remembered until the callback or `login_ttl`."""
        now = self.clock()
        pending = PendingLogin(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            code_verifier=secrets.token_urlsafe(48),
            created=now,
        )
        with self._lock:
            self._pending = {k: v for k, v in self._pending.items() if now - v.created < self.login_ttl}
            self._pending[pending.state] = pending
        return pending

    def finish_login(self, state: str) -> PendingLogin | None:
        """The sign-in started with `state`, once: a replayed callback finds nothing."""
        with self._lock:
            pending = self._pending.pop(state, None)
        if pending is None or self.clock() - pending.created >= self.login_ttl:
            return None
        return pending

    def create_session(self, *, sub: str, sid: str, id_token: str, claims: dict[str, Any]) -> Session:
        session = Session(id=secrets.token_urlsafe(32), sub=sub, sid=sid, id_token=id_token, claims=claims)
        with self._lock:
            self._sessions[session.id] = session
        return session

    def session(self, session_id: str) -> Session | None:
        if not session_id:
            return None
        with self._lock:
            return self._sessions.get(session_id)

    def end_session(self, session_id: str) -> Session | None:
        with self._lock:
            return self._sessions.pop(session_id, None)

    def end_sessions(self, *, sid: str | None, sub: str | None) -> int:
        """Back-channel logout: end every session with `sid` (of `sub`, when given), or, without a `sid`,
        every session of `sub`. Returns how many ended."""
        with self._lock:
            ended = [
                key
                for key, s in self._sessions.items()
                if (sid and s.sid == sid and (not sub or s.sub == sub)) or (not sid and sub and s.sub == sub)
            ]
            for key in ended:
                del self._sessions[key]
        return len(ended)

    def first_use_of_jti(self, jti: str, keep_until: float) -> bool:
        """Remember a logout token's `jti` until `keep_until`; False if it was seen already (a replay)."""
        now = self.clock()
        with self._lock:
            self._seen_jti = {k: until for k, until in self._seen_jti.items() if until > now}
            if jti in self._seen_jti:
                return False
            self._seen_jti[jti] = keep_until
        return True
