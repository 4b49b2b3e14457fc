"""What the sandbox sends and fetches: status events and result files pushed to the portal (signed like the portal
signs its deliveries, plus ``x-dvc-key-id``), attachments downloaded from the portal, and the background thread
that drains the push queue in order, retrying with back-off while the portal is down, and takes the automatic
steps."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import requests

from dichvucong.core import signing

from . import workflow
from .config import HTTP_TIMEOUT, MAX_ATTACHMENT_BYTES, Settings
from .store import Attachment, Dossier, Push, Store, backoff

log = logging.getLogger("sandboxes.onestop")

STATUS_EVENTS_PATH = "/api/v1/agency/status-events"
RESULTS_PATH = "/api/v1/agency/dossiers/{code}/results"
RETRY_STATUSES = frozenset({408, 425, 429})
IDLE_SECONDS = 1.0


class PushRefused(Exception):
    """The portal refused a push for good (a 4xx other than 408, 409, 425, 429)."""


class PushDeferred(Exception):
    """The portal cannot take a push now (down, 5xx, 408/425/429): the queue waits and tries again."""


class PortalClient:
    """Signed requests to the portal's agency API."""

    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        self.settings = settings
        self.session = session or requests.Session()

    def _headers(self, request_id: str, body: bytes) -> dict[str, str]:
        return {**signing.sign(self.settings.secret, request_id, body), "x-dvc-key-id": self.settings.key_id}

    def send(self, push: Push, result_pdf: bytes | None) -> None:
        """Send one push; returns when the portal took it (2xx, or 409: it has it already)."""
        if push.kind == "event":
            url = self.settings.portal_endpoint(STATUS_EVENTS_PATH)
            body = json.dumps({"events": [push.body]}, ensure_ascii=False).encode("utf-8")
            headers = {
                **self._headers(push.request_id, body),
                "content-type": "application/json; charset=utf-8",
            }
            prepared = requests.Request("POST", url, data=body, headers=headers).prepare()
        else:
            if result_pdf is None:
                raise PushRefused("the result file is missing")
            url = self.settings.portal_endpoint(RESULTS_PATH.format(code=push.code))
            prepared = requests.Request(
                "POST",
                url,
                data={"name": push.body["name"], "code": push.body["code"]},
                files={"file": (f"{push.code}.pdf", result_pdf, "application/pdf")},
            ).prepare()
            body = prepared.body if isinstance(prepared.body, bytes) else str(prepared.body or "").encode()
            prepared.headers.update(self._headers(push.request_id, body))  # signed over the exact bytes sent
        try:
            response = self.session.send(prepared, timeout=HTTP_TIMEOUT, allow_redirects=False)
        except requests.RequestException as exc:
            raise PushDeferred(describe(exc)) from exc
        status = response.status_code
        if 200 <= status < 300:
            rejected = _rejected(response) if push.kind == "event" else []
            if rejected:
                raise PushRefused("; ".join(rejected)[:500])
            return
        if status == 409:
            return
        answer = f"{status}: {' '.join(response.text.split())[:300]}"
        if status in RETRY_STATUSES or status >= 500:
            raise PushDeferred(answer)
        raise PushRefused(answer)

    def download(self, url: str) -> bytes:
        """An attachment's bytes (relative addresses are the portal's)."""
        if url.startswith("/"):
            url = self.settings.portal_url + url
        with self.session.get(url, timeout=HTTP_TIMEOUT, stream=True) as response:
            response.raise_for_status()
            content = bytearray()
            for chunk in response.iter_content(64 * 1024):
                content += chunk
                if len(content) > MAX_ATTACHMENT_BYTES:
                    raise ValueError(f"larger than {MAX_ATTACHMENT_BYTES} bytes")
        return bytes(content)


class Background:
    """One thread: drains the push queue (strictly in order: a status must not overtake the one before it) and
    takes the automatic steps; woken when something is queued, else every second. Attachments are fetched in
    threads of their own, so that a large file does not hold the queue."""

    def __init__(
        self,
        store: Store,
        client: PortalClient,
        auto_step: Callable[[Dossier], None],
        clock: Callable[[], datetime] = workflow.now,
    ) -> None:
        self.store = store
        self.client = client
        self.auto_step = auto_step
        self.clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        for attachment in self.store.pending_attachments():  # downloads a restart interrupted
            self.fetch([attachment])
        self._thread = threading.Thread(target=self._run, name="onestop-background", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("background step failed")
            now = self.clock()
            wait = (self.store.next_wake(now + timedelta(seconds=IDLE_SECONDS)) - now).total_seconds()
            self._wake.wait(timeout=min(max(wait, 0.05), IDLE_SECONDS))
            self._wake.clear()

    def run_once(self) -> None:
        self.drain()
        for dossier in self.store.auto_due(self.clock()):
            self.auto_step(dossier)
        self.drain()

    def drain(self) -> int:
        """Send the pushes that are due, oldest first; stop at the first that must wait. Returns how many went."""
        sent = 0
        for push in self.store.pending_pushes():
            now = self.clock()
            if push.next_attempt_at > now:
                break
            pdf = self.store.result_pdf(push.code) if push.kind == "result" else None
            try:
                self.client.send(push, pdf)
            except PushDeferred as exc:
                log.warning("push %s of %s deferred: %s", push.kind, push.code, exc)
                self.store.push_failed(push.id, error=str(exc), retry_at=now + backoff(push.attempts + 1))
                break
            except PushRefused as exc:
                log.warning("push %s of %s refused: %s", push.kind, push.code, exc)
                self.store.push_failed(push.id, error=str(exc), retry_at=None)
                continue
            self.store.push_sent(push.id, self.clock())
            sent += 1
        return sent

    def fetch(self, attachments: list[Attachment]) -> None:
        """Download attachments in a thread; each outcome (size and SHA-256, or the error) is recorded."""

        def run() -> None:
            for attachment in attachments:
                if not attachment.url:
                    continue
                try:
                    content = self.client.download(attachment.url)
                except (requests.RequestException, ValueError) as exc:
                    self.store.record_attachment(
                        attachment.id, at=self.clock(), content=None, sha256=None, error=describe(exc)
                    )
                    continue
                digest = hashlib.sha256(content).hexdigest()
                self.store.record_attachment(
                    attachment.id, at=self.clock(), content=content, sha256=digest, error=None
                )

        threading.Thread(target=run, name="onestop-download", daemon=True).start()


def _rejected(response: requests.Response) -> list[str]:
    """The portal takes a batch of events whole but answers per event: those it rejected, with its reasons."""
    try:
        results = response.json().get("results", [])
    except (ValueError, AttributeError):
        return []
    return [
        f"{item.get('dossier_code', '')}: {item.get('message', '')}"
        for item in results
        if isinstance(item, dict) and item.get("outcome") == "rejected"
    ]


def describe(exc: Exception) -> str:
    """A network failure in a line an officer can read (requests' own messages run to several lines)."""
    name = type(exc).__name__
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, requests.Timeout):
        return f"không có trả lời kịp thời ({name})"
    if isinstance(exc, requests.ConnectionError):
        url = exc.request.url if exc.request is not None else ""
        return f"không kết nối được {url} ({name})".replace("  ", " ")
    return f"{name}: {exc}"[:300]
