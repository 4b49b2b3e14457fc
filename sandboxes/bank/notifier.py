"""The IPN sender: one background thread drains the queue in the order the IPNs are due (so that a release of
held IPNs "last first" is sent in that order), and sends each again with back-off until the portal
acknowledges it, as the real providers do: VNPAY wants HTTP 200 with RspCode 00 or 02, MoMo HTTP 204. After
`ipn_max_attempts` attempts an IPN is given up (only a status query can then settle the order)."""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta

import requests

from .config import HTTP_TIMEOUT, Settings
from .records import Ipn, now
from .store import Store

log = logging.getLogger("sandboxes.bank")

IDLE_SECONDS = 1.0
VNPAY_ACKNOWLEDGED = frozenset({"00", "02"})


def backoff(attempts: int, cap: float) -> timedelta:
    """Wait after failed attempt `attempts`: 1 s, 2 s, 4 s … at most `cap`."""
    return timedelta(seconds=min(cap, 2.0 ** max(attempts - 1, 0)))


class Notifier:
    """Sends the due IPNs; woken when one is queued or released, else every second."""

    def __init__(self, settings: Settings, store: Store, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.store = store
        self.session = session or requests.Session()
        self._wake = threading.Event()
        self._stop = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._run, name="bank-ipn", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.drain()
            except Exception:
                log.exception("IPN sender step failed")
            due = self.store.next_due()
            wait = IDLE_SECONDS if due is None else (due - now()).total_seconds()
            self._wake.wait(timeout=min(max(wait, 0.02), IDLE_SECONDS))
            self._wake.clear()

    def drain(self) -> int:
        """Send every IPN due now, in order; returns how many were acknowledged."""
        acknowledged = 0
        for ipn in self.store.due_ipns(now()):
            status, answer, ok = self.send(ipn)
            retry_at = None
            if not ok and ipn.attempts + 1 < self.settings.ipn_max_attempts:
                retry_at = now() + backoff(ipn.attempts + 1, self.settings.ipn_retry_cap)
            self.store.attempted(ipn.id, status=status, answer=answer, acknowledged=ok, retry_at=retry_at)
            log.info(
                "IPN %s (copy %s) → %s %s",
                ipn.id,
                ipn.copy,
                status,
                "acknowledged" if ok else "not acknowledged",
            )
            acknowledged += ok
        return acknowledged

    def send(self, ipn: Ipn) -> tuple[int | None, str, bool]:
        """One attempt: the HTTP status (None if unreachable), the answer's text, and whether it acknowledges."""
        try:
            if ipn.method == "GET":
                separator = "&" if "?" in ipn.url else "?"
                response = self.session.get(
                    ipn.url + separator + ipn.payload, timeout=HTTP_TIMEOUT, allow_redirects=False
                )
            else:
                response = self.session.post(
                    ipn.url,
                    data=ipn.payload.encode("utf-8"),
                    headers={"Content-Type": "application/json; charset=UTF-8"},
                    timeout=HTTP_TIMEOUT,
                    allow_redirects=False,
                )
        except requests.RequestException as exc:
            return None, f"{type(exc).__name__}: không kết nối được", False
        text = response.text[:2000]
        if ipn.method == "POST":
            return response.status_code, text, response.status_code == 204
        try:
            code = str(json.loads(text).get("RspCode"))
        except (ValueError, AttributeError):
            code = ""
        return response.status_code, text, response.status_code == 200 and code in VNPAY_ACKNOWLEDGED
