"""The test console: an operator sends a sample message to an integration, through the same connector, signing and
timeouts as real traffic, and sees the request sent and what came back.

Samples are marked as tests twice, so that a receiver never takes one for real: the header ``x-dvc-test: 1`` and a
flag in the body (``"ThuNghiem": true`` in a dossier in the national field names, ``"test": true`` elsewhere);
their message ids start with ``test-`` and their dossier codes with ``TEST-``. What each kind is:

- one-stop system, sample dossier: ``POST {endpoint}/dossiers`` through the integration's connector
  (`dossiers.connectors`), exactly as a delivery;
- one-stop system, sample status event: ``POST {endpoint}/status-events``, a withdrawal request (status 7, the one
  status a citizen starts on the portal) in the format of the agency API's events, signed the same way;
- bill system, sample payment notice: a ``bill.paid`` event POSTed to the biller's webhook address, signed with
  its secret as `payments.notify` signs real ones.

Each send is recorded as a call (so a success counts towards the integration's recovery) and audited.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dichvucong.core import audit, signing
from dichvucong.core.calls import observe

from .models import Kind
from .selectors import Integration

TEST_HEADER = "x-dvc-test"
BODY_CHARS = 4000
SAMPLES: dict[str, list[tuple[str, Any]]] = {
    Kind.ONESTOP: [
        ("dossier", gettext_lazy("Hồ sơ mẫu")),
        ("status_event", gettext_lazy("Sự kiện trạng thái mẫu")),
    ],
    Kind.BILLER: [("payment", gettext_lazy("Thông báo thanh toán mẫu"))],
}


class UnknownSample(ValueError):
    """The sample kind is not one this integration takes."""


@dataclass
class Exchange:
    """What was sent and what came back (or the error, when nothing came back)."""

    sample: str
    method: str = "POST"
    url: str = ""
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: str = ""
    status: int | None = None
    response_body: str = ""
    duration_ms: int = 0
    ok: bool = False
    error: str = ""
    message_id: str = ""


def samples_for(kind: str) -> list[tuple[str, Any]]:
    return SAMPLES.get(kind, [])


def _text(raw: bytes | str | None) -> str:
    if raw is None:
        return ""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    with contextlib.suppress(ValueError):
        text = json.dumps(json.loads(text), ensure_ascii=False, indent=2)
    return text[:BODY_CHARS]


def _capture(exchange: Exchange, response: requests.Response) -> None:
    """Keep the request as it went on the wire and the answer (a `requests` response hook)."""
    prepared = response.request
    exchange.url = prepared.url or exchange.url
    exchange.request_headers = {k: v for k, v in prepared.headers.items() if k.lower() != "authorization"}
    exchange.request_body = _text(prepared.body)
    exchange.status = response.status_code
    exchange.response_body = _text(response.content)


def _session(exchange: Exchange) -> requests.Session:
    session = requests.Session()
    session.headers[TEST_HEADER] = "1"
    session.hooks["response"].append(lambda response, *args, **kwargs: _capture(exchange, response))
    return session


def _sample_code(target: Integration, now: Any) -> str:
    return f"TEST-{target.agency_code or 'DVC'}-{timezone.localtime(now):%y%m%d%H%M%S}"


def sample_dossier(target: Integration, now: Any) -> dict[str, Any]:
    """A dossier in the national field names, plainly a test."""
    local = timezone.localtime(now)
    return {
        "MaHoSo": _sample_code(target, now),
        "ThuNghiem": True,
        "MaTTHC": "1.001193",
        "TenTTHC": _("Hồ sơ thử nghiệm kết nối (không xử lý)"),
        "ChuHoSo": _("Dữ liệu thử nghiệm"),
        "LoaiDoiTuong": 1,
        "MaDoiTuong": "",
        "TrichYeuHoSo": _("Thông điệp thử nghiệm từ bảng điều khiển giám sát kết nối của Cổng"),
        "NgayTiepNhan": f"{local:%Y%m%d%H%M%S}",
        "HinhThuc": 2,
        "DonViXuLy": target.agency_code,
        "TaiLieuNop": [],
        "DanhSachLePhi": [],
    }


def sample_status_event(target: Integration, now: Any) -> dict[str, Any]:
    return {
        "test": True,
        "events": [
            {
                "id": f"test-{uuid.uuid4().hex[:16]}",
                "dossier_code": _sample_code(target, now),
                "status": 7,
                "occurred_at": timezone.localtime(now).isoformat(),
                "step": {"content": _("Thử nghiệm kết nối: công dân yêu cầu rút hồ sơ (không xử lý)")},
            }
        ],
    }


def sample_payment(target: Integration, now: Any) -> dict[str, Any]:
    local = timezone.localtime(now)
    return {
        "type": "bill.paid",
        "test": True,
        "data": {
            "bill_reference": f"TEST-{local:%y%m%d%H%M%S}",
            "biller_code": "",
            "group": "",
            "dossier_code": "",
            "amount": 1000,
            "currency": "VND",
            "order_reference": f"TEST-{uuid.uuid4().hex[:12].upper()}",
            "provider_code": "",
            "provider_transaction": "",
            "paid_at": local.isoformat(),
            "receipt_number": "",
            "receipt_verification_code": "",
            "receipt_url": "",
        },
    }


def _post_signed(
    exchange: Exchange, target: Integration, url: str, body: dict[str, Any], timeout: tuple[float, float]
) -> None:
    """POST `body` signed as the connectors sign (Standard Webhooks and `x-dvc-key-id`); raises on no answer
    or on an answer other than 2xx."""
    payload, headers = signing.signed_json(target.secret, target.key_id, exchange.message_id, body)
    exchange.url, exchange.request_body = url, _text(payload)
    exchange.request_headers = {**headers, TEST_HEADER: "1"}
    response = _session(exchange).post(
        url, data=payload, headers=headers, timeout=timeout, allow_redirects=False
    )
    if not 200 <= response.status_code < 300:
        raise RuntimeError(f"{url} answered {response.status_code}")


def _send_dossier(exchange: Exchange, target: Integration, now: Any) -> None:
    from dichvucong.dossiers import connectors
    from dichvucong.dossiers import selectors as dossier_selectors

    model = dossier_selectors.integration_by_id(target.integration_id)
    if model is None:  # removed since the page was opened
        raise LookupError(f"one-stop integration {target.integration_id} does not exist")
    connector = connectors.get_connector(model.connector)
    if isinstance(getattr(connector, "session", None), requests.Session):
        # The connector is used as it is; only its HTTP session is ours, to mark the test and see the answer.
        connector.session = _session(exchange)  # type: ignore[attr-defined]
    body = sample_dossier(target, now)
    exchange.url = model.endpoint_url.rstrip("/") + "/dossiers"
    exchange.request_body = _text(json.dumps(body, ensure_ascii=False))
    connector.deliver(model, body, exchange.message_id)


def _send(exchange: Exchange, target: Integration, now: Any) -> None:
    if exchange.sample == "dossier":
        _send_dossier(exchange, target, now)
    elif exchange.sample == "status_event":
        timeout = (settings.ONESTOP_CONNECT_TIMEOUT_SECONDS, settings.ONESTOP_READ_TIMEOUT_SECONDS)
        url = target.endpoint.rstrip("/") + "/status-events"
        _post_signed(exchange, target, url, sample_status_event(target, now), timeout)
    else:
        timeout = (settings.PAYMENT_CONNECT_TIMEOUT_SECONDS, settings.PAYMENT_READ_TIMEOUT_SECONDS)
        _post_signed(exchange, target, target.endpoint, sample_payment(target, now), timeout)


def send_sample(*, target: Integration, sample: str, request: HttpRequest) -> Exchange:
    """Send one sample of kind `sample` to `target`; return the exchange, failed or not (a failure is a result
    to show, not an error of the console). Recorded as a test call and audited."""
    if sample not in {key for key, _label in samples_for(target.kind)}:
        raise UnknownSample(sample)
    exchange = Exchange(sample=sample, message_id=f"test-{uuid.uuid4()}")
    now = timezone.now()
    started = time.monotonic()
    try:
        if not target.endpoint:
            raise RuntimeError(_("Kết nối chưa có địa chỉ tiếp nhận."))
        with observe(
            kind=target.kind, integration_id=target.integration_id, operation=f"test:{sample}", is_test=True
        ) as observation:
            try:
                _send(exchange, target, now)
            finally:
                observation.status_code = exchange.status
        exchange.ok = True
    except Exception as exc:  # every failure is shown to the operator: refused, no answer, misconfigured
        exchange.error = str(exc) or type(exc).__name__
    exchange.duration_ms = int((time.monotonic() - started) * 1000)
    audit.record(
        "monitoring.console_sent",
        request=request,
        target=_model(target),
        detail={
            "kind": target.kind,
            "sample": sample,
            "message_id": exchange.message_id,
            "url": exchange.url,
            "ok": exchange.ok,
            "status": exchange.status,
            "error": exchange.error[:500],
        },
    )
    return exchange


def _model(target: Integration) -> Any:
    """The integration's own row (the audit event's target), or None if it is gone."""
    from dichvucong.dossiers import selectors as dossier_selectors
    from dichvucong.payments import selectors as payment_selectors

    if target.kind == Kind.ONESTOP:
        return dossier_selectors.integration_by_id(target.integration_id)
    return payment_selectors.biller_by_id(target.integration_id)
