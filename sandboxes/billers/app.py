"""sandbox-billers as a WSGI application: six agency systems under their path prefixes, each with its signed bill
look-up and its signed webhook for paid bills, their pages, and the test controls under ``/_sandbox/`` (an
outage or a slow answer per system, what was received, a reset)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from dichvucong.core import signing
from sandboxes.idp.web import BadRequest, Request, Response, json_response, redirect
from sandboxes.onestop.routing import Incoming, Routes

from . import pages
from .config import MAX_BODY_BYTES, SIGNATURE_TOLERANCE_SECONDS, Settings, System
from .store import Store

log = logging.getLogger("sandboxes.billers")


@dataclass
class Outage:
    down: bool = False
    status: int = 503
    slow_seconds: float = 0.0


@dataclass
class Controls:
    """The test controls of each system: an outage (every look-up and webhook answered with `status`) and a
    delay before answering."""

    systems: dict[str, Outage] = field(default_factory=dict)
    webhooks_in_flight: int = 0  # being answered right now (a test kills the sender meanwhile)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def webhook(self) -> Iterator[None]:
        with self.lock:
            self.webhooks_in_flight += 1
        try:
            yield
        finally:
            with self.lock:
                self.webhooks_in_flight -= 1

    def of(self, slug: str) -> Outage:
        with self.lock:
            current = self.systems.get(slug, Outage())
            return Outage(current.down, current.status, current.slow_seconds)

    def update(self, slugs: list[str], **changes: Any) -> None:
        with self.lock:
            for slug in slugs:
                outage = self.systems.setdefault(slug, Outage())
                for name, value in changes.items():
                    setattr(outage, name, value)

    def clear(self) -> None:
        with self.lock:
            self.systems.clear()


def now() -> datetime:
    return datetime.now(UTC)


class Billers:
    """The sandbox's state and its endpoints."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings.db_path)
        self.controls = Controls()

    def _system(self, incoming: Incoming) -> System:
        return self.settings.systems[incoming.match["system"]]

    def _outage(self, system: System) -> Response | None:
        """The answer of a system the controls made fail, after the delay they ask for; None when it works."""
        outage = self.controls.of(system.slug)
        if outage.slow_seconds:
            time.sleep(outage.slow_seconds)
        if outage.down:
            return json_response(
                {"error": "unavailable", "message": "Hệ thống đang bảo trì (sandbox: sự cố giả lập)."},
                outage.status,
            )
        return None

    def _verify(self, system: System, incoming: Incoming) -> tuple[str, str]:
        """The webhook-id of a request signed by the portal for this system, and the key id it named; raises
        SignatureError."""
        headers = incoming.request.headers
        key_id = headers.get("x-dvc-key-id", "")
        if key_id != system.key_id:
            raise signing.SignatureError(f"unknown key id {key_id!r} (this system's is {system.key_id!r})")
        message_id = signing.verify(
            system.secret, headers, incoming.body, tolerance=SIGNATURE_TOLERANCE_SECONDS
        )
        return message_id, key_id

    # --- the portal's requests --------------------------------------------------------------------------------

    def lookup(self, incoming: Incoming) -> Response:
        """GET /<system>/bills/<code>: the bill, signed request only."""
        system = self._system(incoming)
        code = incoming.match["code"]
        failed = self._outage(system)
        if failed is not None:
            return failed
        try:
            self._verify(system, incoming)
        except signing.SignatureError as exc:
            log.warning("%s: look-up refused: %s", system.slug, exc)
            self.store.record_lookup(system=system.slug, code=code, at=now(), verified=False, found="")
            return json_response({"error": "bad_signature", "message": f"Chữ ký không hợp lệ: {exc}"}, 401)
        bill = self.store.find(system.slug, code)
        self.store.record_lookup(
            system=system.slug, code=code, at=now(), verified=True, found=bill.reference if bill else ""
        )
        if bill is None:
            return json_response(
                {"error": "not_found", "message": f"Không có khoản phải nộp với mã {code}."}, 404
            )
        return json_response(bill.answer())

    def webhook(self, incoming: Incoming) -> Response:
        """POST /<system>/webhooks: a paid bill, signed; recorded once per webhook-id."""
        with self.controls.webhook():
            return self._webhook(incoming)

    def _webhook(self, incoming: Incoming) -> Response:
        system = self._system(incoming)
        failed = self._outage(system)
        if failed is not None:
            return failed
        headers = incoming.request.headers
        at = now()
        try:
            webhook_id, key_id = self._verify(system, incoming)
        except signing.SignatureError as exc:
            log.warning("%s: webhook refused: %s", system.slug, exc)
            self.store.record_refused(
                system=system.slug,
                webhook_id=headers.get("webhook-id", ""),
                key_id=headers.get("x-dvc-key-id", ""),
                error=str(exc),
                body=incoming.body,
                at=at,
            )
            return json_response({"error": "bad_signature", "message": f"Chữ ký không hợp lệ: {exc}"}, 401)
        try:
            data = json.loads(incoming.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return json_response({"error": "bad_request", "message": "Nội dung không phải JSON."}, 400)
        kind, reference, amount = _paid_bill(data)
        first, outcome = self.store.record_paid(
            system=system.slug,
            webhook_id=webhook_id,
            key_id=key_id,
            kind=kind,
            bill_reference=reference,
            amount=amount,
            body=incoming.body,
            at=at,
        )
        log.info(
            "%s: webhook %s %s: %s", system.slug, webhook_id, "received" if first else "repeated", outcome
        )
        return json_response(
            {"received": True, "webhook_id": webhook_id, "duplicate": not first, "outcome": outcome}
        )

    # --- pages ------------------------------------------------------------------------------------------------

    def home(self, incoming: Incoming) -> Response:
        counts = {slug: len(self.store.bills(slug)) for slug in self.settings.systems}
        received = {slug: len(self.store.webhooks(slug)) for slug in self.settings.systems}
        return pages.home_page(list(self.settings.systems.values()), counts, received, self.settings.base_url)

    def system_page(self, incoming: Incoming) -> Response:
        system = self._system(incoming)
        return pages.system_page(
            system,
            self.store.bills(system.slug),
            self.store.webhooks(system.slug),
            self.store.lookups(system.slug),
            self.controls.of(system.slug).down,
            self.settings.base_url,
        )

    def system_redirect(self, incoming: Incoming) -> Response:
        return redirect(f"/{incoming.match['system']}/", 301)

    def healthz(self, incoming: Incoming) -> Response:
        return Response(b"ok\n")

    # --- test controls ----------------------------------------------------------------------------------------

    def _targets(self, data: dict[str, Any]) -> list[str]:
        wanted = data.get("system")
        if wanted in (None, "", "*"):
            return list(self.settings.systems)
        if wanted not in self.settings.systems:
            raise BadRequest(f"unknown system {wanted!r}")
        return [str(wanted)]

    def down(self, incoming: Incoming) -> Response:
        """POST /_sandbox/down {"system": "csgt" (all when absent), "down": true|false, "status": 503}."""
        data = _object(incoming)
        status = int(data.get("status", 503))
        if not 400 <= status <= 599:
            raise BadRequest("status must be a 4xx or 5xx code")
        targets = self._targets(data)
        self.controls.update(targets, down=bool(data.get("down", True)), status=status)
        return json_response({"systems": targets, "down": bool(data.get("down", True)), "status": status})

    def slow(self, incoming: Incoming) -> Response:
        """POST /_sandbox/slow {"system": "csgt" (all when absent), "seconds": n}."""
        data = _object(incoming)
        seconds = float(data.get("seconds", 0))
        if not 0 <= seconds <= 600:
            raise BadRequest("seconds must be between 0 and 600")
        targets = self._targets(data)
        self.controls.update(targets, slow_seconds=seconds)
        return json_response({"systems": targets, "seconds": seconds})

    def reset(self, incoming: Incoming) -> Response:
        """POST /_sandbox/reset: the test bills as shipped, no webhook, every system up and quick."""
        self.store.reset()
        self.controls.clear()
        return json_response({"reset": True})

    def webhooks_json(self, incoming: Incoming) -> Response:
        """GET /_sandbox/webhooks[?system=csgt]: every webhook received, verified or not."""
        system = incoming.request.param("system") or None
        return json_response({"webhooks": [w.as_json() for w in self.store.webhooks(system)]})

    def bills_json(self, incoming: Incoming) -> Response:
        """GET /_sandbox/bills[?system=csgt]: the bills and their current status."""
        system = incoming.request.param("system") or None
        return json_response(
            {
                "bills": [
                    {"system": b.system, **b.answer(), "paid_by": b.paid_by} for b in self.store.bills(system)
                ]
            }
        )

    def state_json(self, incoming: Incoming) -> Response:
        """GET /_sandbox/state: the systems, their addresses, key ids and controls."""
        base = self.settings.base_url
        systems = []
        for slug, system in self.settings.systems.items():
            outage = self.controls.of(slug)
            systems.append(
                {
                    "system": slug,
                    "name": system.name,
                    "agency": system.agency,
                    "group": system.spec.group,
                    "key_id": system.key_id,
                    "lookup_url": f"{base}/{slug}/bills/{quote('<code>')}",
                    "webhook_url": f"{base}/{slug}/webhooks",
                    "down": outage.down,
                    "status": outage.status,
                    "slow_seconds": outage.slow_seconds,
                }
            )
        return json_response({"systems": systems, "webhooks_in_flight": self.controls.webhooks_in_flight})


def _object(incoming: Incoming) -> dict[str, Any]:
    data = incoming.json() if incoming.body else {}
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data


def _paid_bill(data: Any) -> tuple[str, str, int | None]:
    """What a webhook says was paid: (kind, bill reference, amount). Our event (`bill.paid`) or the national
    platform's confirmation message (MaThamChieu, SoTien)."""
    if not isinstance(data, dict):
        return "unknown", "", None
    if data.get("type") == "bill.paid" and isinstance(data.get("data"), dict):
        event = data["data"]
        amount = event.get("amount")
        return (
            "bill.paid",
            str(event.get("bill_reference") or ""),
            amount if isinstance(amount, int) else None,
        )
    if "LoaiBanTin" in data:
        raw = data.get("SoTien")
        amount = int(raw) if isinstance(raw, int | str) and str(raw).isdigit() else None
        return "paygov", str(data.get("MaThamChieu") or ""), amount
    return "unknown", "", None


def routes(app: Billers) -> Routes:
    systems = "|".join(app.settings.systems)
    system = f"/(?P<system>{systems})"
    return Routes(
        [
            ("GET", "/", app.home),
            ("GET", "/healthz", app.healthz),
            ("GET", system, app.system_redirect),
            ("GET", f"{system}/", app.system_page),
            # The code may hold a slash (123/QĐ-XPHC): the server has decoded %2F before routing.
            ("GET", f"{system}/bills/(?P<code>.{{1,200}})", app.lookup),
            ("POST", f"{system}/webhooks", app.webhook),
            ("POST", "/_sandbox/down", app.down),
            ("POST", "/_sandbox/slow", app.slow),
            ("POST", "/_sandbox/reset", app.reset),
            ("GET", "/_sandbox/webhooks", app.webhooks_json),
            ("GET", "/_sandbox/bills", app.bills_json),
            ("GET", "/_sandbox/state", app.state_json),
        ],
        not_found=lambda: pages.error_page("Không có trang này.", 404),
    )


def _raw_body(environ: WSGIEnvironment) -> bytes:
    """The body of a POST (the signature covers its exact bytes)."""
    if environ.get("REQUEST_METHOD", "GET").upper() != "POST":
        return b""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise BadRequest("invalid Content-Length") from exc
    if length > MAX_BODY_BYTES:
        raise BadRequest("request body too large")
    return environ["wsgi.input"].read(length) if length > 0 else b""


def create_app(settings: Settings) -> WSGIApplication:
    """The WSGI application of the six systems configured by ``settings``."""
    billers = Billers(settings)
    router = routes(billers)

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        try:
            environ = dict(environ)
            # Content-Type is not an HTTP_* variable; the /_sandbox/ checks need it.
            if environ.get("CONTENT_TYPE"):
                environ["HTTP_CONTENT_TYPE"] = environ["CONTENT_TYPE"]
            body = _raw_body(environ)
            # Request.from_environ would read a urlencoded body itself; ours is JSON, read above.
            environ["CONTENT_TYPE"] = "application/json" if body else environ.get("CONTENT_TYPE", "")
            response = router.dispatch(Request.from_environ(environ), body)
        except BadRequest as exc:
            response = json_response({"error": f"bad request: {exc}"}, 400)
        except Exception:
            log.exception("unhandled error in sandbox-billers")
            response = Response(b"Internal server error\n", 500)
        return response(start_response)

    return application
