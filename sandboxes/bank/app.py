"""sandbox-bank as a WSGI application: both providers' endpoints (VNPAY-like and MoMo-like), the end of a payment
shared by both (its result stored, its IPNs queued, the browser sent back), the daily statement, and the test
controls under ``/_sandbox/`` (JSON): fail the next payments, delay, repeat, hold and reorder, or drop IPNs,
take the APIs down, see what was sent, reset."""

from __future__ import annotations

import csv
import io
import logging
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from sandboxes.idp.web import BadRequest, Request, Response, json_response, redirect
from sandboxes.onestop.routing import Incoming, Routes, raw_body

from . import pages
from .config import Settings
from .momo import MomoGateway
from .notifier import Notifier
from .records import Delivery, Payment
from .signing import GMT7
from .store import Store
from .vnpay import VnpayGateway

log = logging.getLogger("sandboxes.bank")

TOKEN = r"(?P<token>[A-Za-z0-9_\-]{10,64})"
STATEMENT_HEADER = ["order_reference", "provider_transaction", "amount", "currency", "status", "paid_at"]
# The test controls: name → (type, lowest, highest) for numbers; booleans have no bounds.
CONTROLS: dict[str, tuple[type, float, float]] = {
    "fail_next": (int, 0, 1000),  # the next N payments fail whatever the card or wallet
    "ipn_delay_seconds": (float, 0, 3600),  # each new IPN is first sent after this long
    "ipn_repeat": (int, 1, 20),  # each new IPN is sent this many times (each copy until acknowledged)
    "ipn_hold": (bool, 0, 0),  # new IPNs wait; POST /_sandbox/release sends them, the last one first
    "ipn_drop": (bool, 0, 0),  # new IPNs are never sent (only a status query can settle the order)
    "api_down": (bool, 0, 0),  # the server-to-server APIs answer 503
}


class Gateway(Protocol):
    protocol: str
    failure_code: str

    def ipn(self, payment: Payment) -> tuple[str, str, str]: ...

    def return_location(self, payment: Payment) -> str: ...


class Bank:
    """The sandbox's state and the steps both protocols share."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self.store = store or Store(settings.db_path)
        self.notifier = Notifier(settings, self.store)
        self.vnpay = VnpayGateway(self)
        self.momo = MomoGateway(self)

    def api_down(self) -> bool:
        return bool(self.store.controls().get("api_down"))

    def finish(self, payment: Payment, gateway: Gateway, *, success: bool, code: str) -> Response:
        """End a payment: its result (a success turned into a failure if the controls ask for it) and its IPNs
        in one transaction, the sender woken, the payer sent back to the merchant with the signed result."""
        if success and self.store.take_failure():
            success, code = False, gateway.failure_code
        controls = self.store.controls()
        delivery = Delivery(
            copies=int(controls.get("ipn_repeat") or 1),
            delay=float(controls.get("ipn_delay_seconds") or 0),
            hold=bool(controls.get("ipn_hold")),
            drop=bool(controls.get("ipn_drop")),
        )
        done = self.store.finish(
            payment.id, success=success, result_code=code, make_ipn=gateway.ipn, delivery=delivery
        )
        if done is not None:
            log.info("%s %s finished: %s %s", payment.protocol, payment.order_ref, done.status, code)
        self.notifier.wake()
        final = done or self.store.payment_by_token(payment.token) or payment
        return redirect(gateway.return_location(final), 303)

    # --- pages and statement -------------------------------------------------------------------------------

    def home(self, incoming: Incoming) -> Response:
        return pages.home_page(self.store.payments(), self.store.ipn_log(), self.store.controls())

    def healthz(self, incoming: Incoming) -> Response:
        return Response(b"ok\n")

    def statement(self, incoming: Incoming) -> Response:
        """GET /_sandbox/statement?merchant=<code>&day=YYYY-MM-DD: the merchant's statement of a local day (the
        portal's agreed CSV): each payment finished that day, success or failed, and each refund."""
        merchant = incoming.request.param("merchant")
        if merchant not in (self.settings.vnpay_tmn_code, self.settings.momo_partner_code):
            return json_response({"error": "unknown merchant"}, 404)
        try:
            day = date.fromisoformat(incoming.request.param("day"))
        except ValueError:
            return json_response({"error": "day must be YYYY-MM-DD"}, 400)
        start = datetime.combine(day, time(), tzinfo=GMT7)
        end = start + timedelta(days=1)
        lines: list[tuple[datetime, list[str]]] = []
        for p in self.store.finished_between(merchant, start, end):
            assert p.finished_at is not None
            status = "success" if p.status == "success" else "failed"
            lines.append(
                (
                    p.finished_at,
                    [p.order_ref, p.transaction_no, str(p.amount), "VND", status, _local_iso(p.finished_at)],
                )
            )
        for refund, p in self.store.refunds_between(merchant, start, end):
            row = [
                p.order_ref,
                refund.transaction_no,
                str(refund.amount),
                "VND",
                "refund",
                _local_iso(refund.created_at),
            ]
            lines.append((refund.created_at, row))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(STATEMENT_HEADER)
        writer.writerows(row for _, row in sorted(lines, key=lambda item: item[0]))
        name = f"{merchant}-{day:%Y-%m-%d}.csv"
        headers = [("Content-Disposition", f'attachment; filename="{name}"'), ("Cache-Control", "no-store")]
        return Response(out.getvalue().encode("utf-8"), 200, "text/csv; charset=utf-8", headers)

    # --- test controls ------------------------------------------------------------------------------------

    def set_controls(self, incoming: Incoming) -> Response:
        """POST /_sandbox/controls {name: value, …} (see CONTROLS); answers every control's value."""
        data = incoming.json()
        if not isinstance(data, dict):
            raise BadRequest("a JSON object is expected")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name not in CONTROLS:
                raise BadRequest(f"unknown control {name!r}; known: {', '.join(CONTROLS)}")
            kind, low, high = CONTROLS[name]
            if kind is bool:
                if not isinstance(value, bool):
                    raise BadRequest(f"{name} must be true or false")
            elif isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise BadRequest(f"{name} must be a number from {low:g} to {high:g}")
            values[name] = kind(value)
        self.store.set_controls(values)
        return self.controls_json(incoming)

    def controls_json(self, incoming: Incoming) -> Response:
        return json_response(self.store.controls())

    def release(self, incoming: Incoming) -> Response:
        """POST /_sandbox/release: the held IPNs go, the last one first; new IPNs are no longer held."""
        self.store.set_controls({"ipn_hold": False})
        released = self.store.release_held()
        self.notifier.wake()
        return json_response({"released": released})

    def ipns(self, incoming: Incoming) -> Response:
        """GET /_sandbox/ipns[?order=<reference>]: every IPN queued, with each attempt and its answer."""
        wanted = incoming.request.param("order")
        items = [
            {
                "id": ipn.id,
                "order": p.order_ref,
                "protocol": p.protocol,
                "copy": ipn.copy,
                "method": ipn.method,
                "url": ipn.url,
                "payload": ipn.payload,
                "state": ipn.state,
                "created_at": _iso(ipn.created_at),
                "sent_at": _iso(ipn.sent_at),
                "attempts": [
                    {
                        "at": a["at"],
                        "status": a["status"],
                        "answer": a["answer"],
                        "acknowledged": bool(a["acknowledged"]),
                    }
                    for a in attempts
                ],
            }
            for ipn, p, attempts in self.store.ipn_log()
            if not wanted or p.order_ref == wanted
        ]
        return json_response({"ipns": items})

    def payments(self, incoming: Incoming) -> Response:
        """GET /_sandbox/payments: the payments (latest first) with their refunds."""
        items = [
            {
                "protocol": p.protocol,
                "merchant": p.merchant,
                "order": p.order_ref,
                "amount": p.amount,
                "status": p.status,
                "result_code": p.result_code,
                "transaction_no": p.transaction_no,
                "payer": p.payer,
                "finished_at": _iso(p.finished_at),
                "refunds": [
                    {"amount": r.amount, "transaction_no": r.transaction_no} for r in self.store.refunds(p.id)
                ],
            }
            for p in self.store.payments()
        ]
        return json_response({"payments": items})

    def reset(self, incoming: Incoming) -> Response:
        """POST /_sandbox/reset {"data": false}: every control back to normal (held IPNs released); with
        "data": true, every payment, refund and IPN forgotten too."""
        data = incoming.json() if incoming.body else {}
        self.store.reset(data=bool(isinstance(data, dict) and data.get("data")))
        self.notifier.wake()
        return json_response({"reset": True})


def _local_iso(moment: datetime) -> str:
    """ISO 8601 in Vietnam's time, to the second (as the statement's paid_at)."""
    return moment.astimezone(GMT7).replace(microsecond=0).isoformat()


def _iso(moment: datetime | None) -> str | None:
    return _local_iso(moment) if moment else None


def routes(bank: Bank) -> Routes:
    v, m = bank.vnpay, bank.momo
    return Routes(
        [
            ("GET", "/", bank.home),
            ("GET", "/healthz", bank.healthz),
            ("GET", "/paymentv2/vpcpay.html", v.pay_entry),
            ("GET", f"/paymentv2/thanh-toan/{TOKEN}", v.card_page),
            ("POST", f"/paymentv2/thanh-toan/{TOKEN}", v.card_submit),
            ("GET", f"/paymentv2/thanh-toan/{TOKEN}/otp", v.otp_page),
            ("POST", f"/paymentv2/thanh-toan/{TOKEN}/otp", v.otp_submit),
            ("POST", "/merchant_webapi/api/transaction", v.api),
            ("POST", "/v2/gateway/api/create", m.create),
            ("POST", "/v2/gateway/api/query", m.query),
            ("POST", "/v2/gateway/api/refund", m.refund),
            ("GET", f"/momo/thanh-toan/{TOKEN}", m.wallet_page),
            ("POST", f"/momo/thanh-toan/{TOKEN}", m.wallet_submit),
            ("GET", "/_sandbox/statement", bank.statement),
            ("GET", "/_sandbox/controls", bank.controls_json),
            ("POST", "/_sandbox/controls", bank.set_controls),
            ("POST", "/_sandbox/release", bank.release),
            ("GET", "/_sandbox/ipns", bank.ipns),
            ("GET", "/_sandbox/payments", bank.payments),
            ("POST", "/_sandbox/reset", bank.reset),
        ],
        not_found=lambda: pages.page("Không có trang này", "<h1>Không có trang này</h1>", 404),
    )


def create_app(settings: Settings, *, start_background: bool = True) -> WSGIApplication:
    """The WSGI application of sandbox-bank configured by ``settings`` (its IPN sender started)."""
    bank = Bank(settings)
    router = routes(bank)
    if start_background:
        bank.notifier.start()

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        try:
            environ = dict(environ)
            if environ.get("CONTENT_TYPE"):  # the /_sandbox/ JSON check reads it as a header
                environ["HTTP_CONTENT_TYPE"] = environ["CONTENT_TYPE"]
            body = raw_body(environ)
            response = router.dispatch(Request.from_environ(environ), body)
        except BadRequest as exc:
            response = json_response({"error": f"bad request: {exc}"}, 400)
        except Exception:
            log.exception("unhandled error in sandbox-bank")
            response = Response(b"Internal server error\n", 500)
        return response(start_response)

    return application
