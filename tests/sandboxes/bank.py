"""sandbox-bank as a real subprocess for any test (its SQLite file in a temporary directory), a stand-in portal
that records the IPNs it receives and answers what the test wants, and a payer's browser going through the
sandbox's pages with `requests`.

Waiting for another process is a bounded poll (`wait_for` of tests.sandboxes.onestop), never a fixed sleep."""

from __future__ import annotations

import json
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import requests

from tests.sandboxes.processes import sandbox

VNPAY_TMN = "DVCQG001"
VNPAY_SECRET = "SANDBOXVNPAYSECRET2026DVCQG00001"
MOMO_PARTNER = "MOMODVCQG2026"
MOMO_ACCESS_KEY = "sandboxMomoAccessKey"
MOMO_SECRET = "sandboxMomoSecretKey2026DVCQG"
OTP = "123456"
CARD_OK = "9704198526191432198"
CARD_NO_MONEY = "9704195798459170488"
CARD_LOCKED = "9704192181368742"
WALLET_OK = "0912345678"
WALLET_EMPTY = "0987654321"
LABEL = "sandbox-bank — Ngân hàng và ví điện tử thử nghiệm"


@dataclass
class BankServer:
    url: str
    process: subprocess.Popen[str]
    db: Path
    log: Path

    def control(self, **values: Any) -> dict[str, Any]:
        response = requests.post(f"{self.url}/_sandbox/controls", json=values, timeout=10)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def release(self) -> int:
        response = requests.post(f"{self.url}/_sandbox/release", json={}, timeout=10)
        assert response.status_code == 200, response.text
        return int(response.json()["released"])

    def reset(self, *, data: bool = True) -> None:
        assert requests.post(f"{self.url}/_sandbox/reset", json={"data": data}, timeout=10).status_code == 200

    def ipns(self, order: str = "") -> list[dict[str, Any]]:
        response = requests.get(f"{self.url}/_sandbox/ipns", params={"order": order}, timeout=10)
        assert response.status_code == 200, response.text
        return list(response.json()["ipns"])

    def payments(self) -> dict[str, dict[str, Any]]:
        response = requests.get(f"{self.url}/_sandbox/payments", timeout=10)
        assert response.status_code == 200, response.text
        return {p["order"]: p for p in response.json()["payments"]}

    def statement(self, merchant: str, day: str) -> requests.Response:
        return requests.get(
            f"{self.url}/_sandbox/statement", params={"merchant": merchant, "day": day}, timeout=10
        )

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8")


@contextmanager
def running_bank(directory: Path, name: str = "bank", **env: str) -> Iterator[BankServer]:
    """sandbox-bank on a free port with its database in `directory` (the same directory: the same data)."""
    directory.mkdir(parents=True, exist_ok=True)
    db = directory / f"{name}.sqlite3"
    log = directory / f"{name}.log"
    environment = {
        "SANDBOX_BANK_DB": str(db),
        "SANDBOX_BANK_PORTAL_URL": "http://127.0.0.1:9",
        "SANDBOX_BANK_IPN_RETRY_CAP": "2",
        **env,
    }
    with sandbox("sandboxes.bank", environment, log_file=log) as (process, url):
        assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
        yield BankServer(url, process, db, log)


# --- the portal's side, without the portal ---------------------------------------------------------------------


def vnpay_provider(bank_url: str, code: str = "sandbox-vnpay") -> Any:
    """A Provider as the portal's demo data registers it (unsaved unless the test saves it)."""
    from dichvucong.payments.models import Provider

    return Provider(
        code=code,
        name="VNPAY (sandbox)",
        protocol="vnpay",
        merchant_code=VNPAY_TMN,
        secret=VNPAY_SECRET,
        endpoint_url=bank_url,
    )


def momo_provider(bank_url: str, code: str = "sandbox-momo") -> Any:
    from dichvucong.payments.models import Provider

    return Provider(
        code=code,
        name="Ví MoMo (sandbox)",
        protocol="momo",
        merchant_code=MOMO_PARTNER,
        access_key=MOMO_ACCESS_KEY,
        secret=MOMO_SECRET,
        endpoint_url=bank_url,
    )


def unsaved_order(amount: int = 2_000_000) -> Any:
    """An order that lives only in memory: the plugins sign and query with its fields, no database needed."""
    from django.utils import timezone

    from dichvucong.payments.models import PaymentOrder

    created = timezone.now().replace(microsecond=0)
    return PaymentOrder(
        reference="TT" + uuid.uuid4().hex[:16].upper(),
        amount=amount,
        created_at=created,
        expires_at=created + timedelta(minutes=15),
    )


def checkout_url(provider: Any, order: Any, portal_url: str) -> str:
    """The plugin's checkout with the portal's callback routes at `portal_url`."""
    from dichvucong.payments.providers import plugin_for

    return (
        plugin_for(provider)
        .checkout(
            order,
            description=f"Thanh toan phat vi pham ma {order.reference}",
            return_url=f"{portal_url}/thanh-toan/tb/ve/{provider.code}/",
            notify_url=f"{portal_url}/thanh-toan/tb/ipn/{provider.code}/",
            client_ip="127.0.0.1",
            language="vi",
        )
        .url
    )


# --- a payer's browser -----------------------------------------------------------------------------------------


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form" and not self.action:
            self.action = dict(attrs).get("action") or ""


def form_action(page: requests.Response) -> str:
    parser = _Form()
    parser.feed(page.text)
    assert parser.action, page.text
    return urljoin(page.url, parser.action)


def _open(browser: requests.Session, url: str) -> requests.Response:
    """Open a payment URL and follow the sandbox's own redirects to its payment page."""
    page = browser.get(url, timeout=10)
    assert page.status_code == 200, page.text
    return page


def pay_vnpay(
    url: str,
    *,
    card: str = CARD_OK,
    otp: str = OTP,
    holder: str = "Nguyen Van A",
    action: str = "pay",
    browser: requests.Session | None = None,
) -> requests.Response:
    """Fill in the card form and the OTP form of a VNPAY-like payment URL; returns the last answer, not
    followed (a 303 to the merchant's return URL once the payment is over)."""
    browser = browser or requests.Session()
    page = _open(browser, url)
    card_form = {
        "bank": "NCB",
        "card_number": card,
        "card_holder": holder,
        "issued": "07/15",
        "action": action,
    }
    answer = browser.post(form_action(page), data=card_form, allow_redirects=False, timeout=10)
    if answer.status_code != 303 or answer.headers["Location"].startswith("http"):
        return answer  # refused, or cancelled: back to the merchant
    otp_page = browser.get(urljoin(answer.url, answer.headers["Location"]), timeout=10)
    assert otp_page.status_code == 200, otp_page.text
    return browser.post(
        form_action(otp_page), data={"otp": otp, "action": "pay"}, allow_redirects=False, timeout=10
    )


def pay_momo(
    pay_url: str,
    *,
    phone: str = WALLET_OK,
    otp: str = OTP,
    action: str = "pay",
    browser: requests.Session | None = None,
) -> requests.Response:
    """Log in to a test wallet on the MoMo-like page and confirm (or cancel); the answer, not followed."""
    browser = browser or requests.Session()
    page = _open(browser, pay_url)
    data = {"phone": phone, "otp": otp, "action": action}
    return browser.post(form_action(page), data=data, allow_redirects=False, timeout=10)


def returned_fields(answer: requests.Response) -> dict[str, str]:
    """The signed result the browser carries back to the merchant."""
    assert answer.status_code == 303, answer.text
    return dict(parse_qsl(urlsplit(answer.headers["Location"]).query, keep_blank_values=True))


# --- a stand-in portal -------------------------------------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def order(self) -> str:
        return self.query.get("vnp_TxnRef") or str(self.json().get("orderId"))


def acknowledge_all(received: Received) -> tuple[int, bytes]:
    """What the portal answers to an IPN it takes: VNPAY's RspCode 00 to a GET, MoMo's 204 to a POST."""
    if received.method == "POST":
        return 204, b""
    return 200, b'{"RspCode": "00", "Message": "Confirm Success"}'


@dataclass
class FakePortal:
    """Records every IPN; answers with `answer(received)` → (status, body) (acknowledged by default)."""

    url: str = ""
    answer: Callable[[Received], tuple[int, bytes]] = acknowledge_all
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ipns(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    @property
    def vnpay_ipn_url(self) -> str:
        return f"{self.url}/thanh-toan/tb/ipn/sandbox-vnpay/"


@contextmanager
def fake_portal() -> Iterator[FakePortal]:
    portal = FakePortal()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            received = Received(
                self.command, parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)), body
            )
            with portal.lock:
                portal.received.append(received)
            status, content = portal.answer(received)
            self.send_response(status)
            if status != 204:
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if status != 204:
                self.wfile.write(content)

        do_GET = do_POST = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    portal.url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield portal
    finally:
        server.shutdown()
        server.server_close()
