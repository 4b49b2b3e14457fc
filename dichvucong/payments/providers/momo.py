"""The JSON API of MoMo's payment gateway (AIO v2, `requestType` "captureWallet"), merchant side.

- Payment: POST `<endpoint>/v2/gateway/api/create`; the answer's `payUrl` is where the payer goes.
- IPN: MoMo POSTs JSON to the `ipnUrl` given at creation; the merchant answers HTTP 204. The browser comes back
  to `redirectUrl` with the same fields in the query string.
- Status query `/v2/gateway/api/query` and refund `/v2/gateway/api/refund`.

Every request and notification is signed with HMAC-SHA256 (hex) with the secret key over a "raw signature":
`key=value` pairs of a documented field list, sorted by name, joined with `&`, values as they are (not
URL-encoded), the access key first. The field lists below follow MoMo's developer documentation
(developers.momo.vn/v3, "One-Time Payments", "Check Transaction Status", "Refund"). The documentation shows no
signature on the answers to create, query and refund, so they are not checked (they come back on the TLS
connection we opened); their partnerCode, orderId and amount are. MoMo does not document what it does with an
IPN answered otherwise than 204: we answer 503 to ERROR (our fault, send it again) and 400 with the outcome
to a message we refuse; sandbox-bank sends again anything not answered 204.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from dichvucong.payments.models import PaymentOrder
from dichvucong.payments.providers.base import (
    CallbackOutcome,
    CallbackRejected,
    Checkout,
    PaymentProvider,
    ProviderReport,
    ProviderUnavailable,
    RefundResult,
    ReportedStatus,
)

CREATE_PATH = "/v2/gateway/api/create"
QUERY_PATH = "/v2/gateway/api/query"
REFUND_PATH = "/v2/gateway/api/refund"
REQUEST_TYPE = "captureWallet"
MAX_BODY = 64 * 1024

CREATE_SIGNED = (
    "accessKey",
    "amount",
    "extraData",
    "ipnUrl",
    "orderId",
    "orderInfo",
    "partnerCode",
    "redirectUrl",
    "requestId",
    "requestType",
)
IPN_SIGNED = (
    "accessKey",
    "amount",
    "extraData",
    "message",
    "orderId",
    "orderInfo",
    "orderType",
    "partnerCode",
    "payType",
    "requestId",
    "responseTime",
    "resultCode",
    "transId",
)
QUERY_SIGNED = ("accessKey", "orderId", "partnerCode", "requestId")
REFUND_SIGNED = ("accessKey", "amount", "description", "orderId", "partnerCode", "requestId", "transId")

# resultCode: 0 paid; 9000 authorised (held, not captured), 1000 waiting for the payer, 7000/7002/8000 being
# processed: pending. Codes about the request itself (bad signature, format, duplicate …) are not a payment's
# result: a query answering one of them is ProviderUnavailable.
PENDING_CODES = frozenset({1000, 7000, 7002, 8000, 9000})
REQUEST_ERROR_CODES = frozenset({10, 11, 12, 13, 20, 21, 22, 40, 41, 43, 45, 47, 98, 99})
ORDER_NOT_FOUND = 42
# Refund answers that leave the refund undecided: processing, or retry later.
REFUND_RETRY_CODES = frozenset({7000, 7002, 1080, 10, 40, 99})


def raw_signature(fields: Mapping[str, Any], names: tuple[str, ...]) -> str:
    """MoMo's raw signature: `name=value` for each listed field in the given (alphabetical) order."""
    return "&".join(f"{name}={'' if fields.get(name) is None else fields.get(name)}" for name in names)


def sign(secret: str, raw: str) -> str:
    """HMAC-SHA256 of the raw signature with the secret key, lowercase hex."""
    return hmac.new(secret.encode("utf-8"), raw.encode("utf-8"), hashlib.sha256).hexdigest()


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("ascii", "replace"))


def _whole(value: Any) -> int | None:
    """An integer from JSON (a number or digits), or None: 1000.0 is not accepted, it would sign differently."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def status_of(result_code: int) -> ReportedStatus:
    if result_code == 0:
        return ReportedStatus.PAID
    if result_code in PENDING_CODES:
        return ReportedStatus.PENDING
    return ReportedStatus.FAILED


class MomoProvider(PaymentProvider):
    """MoMo AIO v2: `merchant_code` is partnerCode, `access_key` the accessKey, `secret` the secretKey."""

    def _signed(self, fields: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
        data = {"accessKey": self.provider.access_key, **fields}
        fields["signature"] = sign(self.provider.secret, raw_signature(data, names))
        return fields

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = post_json(self.provider.endpoint_url.rstrip("/") + path, body)
        if str(answer.get("partnerCode", self.provider.merchant_code)) != self.provider.merchant_code:
            raise ProviderUnavailable(f"{path} answered for another partnerCode")
        return answer

    # --- Payment ----------------------------------------------------------------------------------------

    def checkout(
        self,
        order: PaymentOrder,
        *,
        description: str,
        return_url: str,
        notify_url: str,
        client_ip: str,
        language: str,
    ) -> Checkout:
        """Create the payment at MoMo and return its payUrl. The requestId is the order's reference: MoMo
        answers a repeated requestId with its first answer, so pressing "Pay" twice (the same order) gets the
        same payment page rather than "duplicate orderId"."""
        body = self._signed(
            {
                "partnerCode": self.provider.merchant_code,
                "requestId": order.reference,
                "amount": order.amount,
                "orderId": order.reference,
                "orderInfo": description[:255],
                "redirectUrl": return_url,
                "ipnUrl": notify_url,
                "requestType": REQUEST_TYPE,
                "extraData": "",
                "lang": "vi" if language.lower().startswith("vi") else "en",
            },
            CREATE_SIGNED,
        )
        answer = self._post(CREATE_PATH, body)
        code = _whole(answer.get("resultCode"))
        if code != 0:
            raise ProviderUnavailable(
                f"create answered resultCode {answer.get('resultCode')}: {answer.get('message', '')}"
            )
        if str(answer.get("orderId")) != order.reference or _whole(answer.get("amount")) != order.amount:
            raise ProviderUnavailable("create answered for another order or amount")
        pay_url = str(answer.get("payUrl") or "")
        if not pay_url.startswith(("https://", "http://")):
            raise ProviderUnavailable("create answered without a payUrl")
        return Checkout(url=pay_url)

    def parse_notification(self, request: HttpRequest) -> ProviderReport:
        """The IPN: a POST of JSON."""
        if request.method != "POST":
            raise CallbackRejected(CallbackOutcome.MALFORMED, "MoMo's IPN is a POST")
        if len(request.body) > MAX_BODY:
            raise CallbackRejected(CallbackOutcome.MALFORMED, "body too large")
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise CallbackRejected(CallbackOutcome.MALFORMED, "body is not JSON") from exc
        if not isinstance(data, dict):
            raise CallbackRejected(CallbackOutcome.MALFORMED, "body is not a JSON object")
        return self._verified(data)

    def parse_return(self, request: HttpRequest) -> ProviderReport:
        """The browser's return to redirectUrl: the IPN's fields in the query string."""
        params = request.GET
        reference = params.get("orderId", "")[:100]
        if any(len(params.getlist(name)) > 1 for name in params):
            raise CallbackRejected(
                CallbackOutcome.MALFORMED, "a field given twice", order_reference=reference
            )
        return self._verified({name: params[name] for name in params})

    def _verified(self, data: Mapping[str, Any]) -> ProviderReport:
        reference = str(data.get("orderId") or "")[:100]

        def reject(outcome: CallbackOutcome, reason: str) -> CallbackRejected:
            return CallbackRejected(outcome, reason, order_reference=reference)

        given = data.get("signature")
        expected = sign(
            self.provider.secret, raw_signature({**data, "accessKey": self.provider.access_key}, IPN_SIGNED)
        )
        if not isinstance(given, str) or not _same(expected, given):
            raise reject(CallbackOutcome.BAD_SIGNATURE, "signature does not match")
        if not hmac.compare_digest(
            str(data.get("partnerCode", "")).encode(), self.provider.merchant_code.encode()
        ):
            raise reject(CallbackOutcome.MALFORMED, "partnerCode is not this merchant's")
        amount, result_code = _whole(data.get("amount")), _whole(data.get("resultCode"))
        response_time = _whole(data.get("responseTime"))
        if not reference or amount is None or amount <= 0 or result_code is None:
            raise reject(
                CallbackOutcome.MALFORMED, "orderId, amount or resultCode missing or not whole numbers"
            )
        status = status_of(result_code)
        if status == ReportedStatus.PAID and response_time is None:
            raise reject(CallbackOutcome.MALFORMED, "a payment without a responseTime")
        return ProviderReport(
            order_reference=reference,
            status=status,
            amount=amount,
            currency="VND",  # MoMo pays in đồng only
            transaction_id=str(data.get("transId") or ""),
            paid_at=_from_millis(response_time) if status == ReportedStatus.PAID else None,
            bank_code=str(data.get("payType") or "")[:40],
            message=f"resultCode={result_code} {data.get('message', '')}".strip(),
            raw={k: str(v) for k, v in data.items() if k != "signature"},
        )

    def acknowledge(self, outcome: CallbackOutcome) -> HttpResponse:
        """204 No Content when the notification is taken (MoMo's documented answer). Otherwise 503 for ERROR,
        so that it is sent again, and 400 naming the outcome for a message we refuse."""
        if outcome in (
            CallbackOutcome.APPLIED,
            CallbackOutcome.DUPLICATE,
            CallbackOutcome.IGNORED,
            CallbackOutcome.LATE,
        ):
            return HttpResponse(status=204)
        status = 503 if outcome == CallbackOutcome.ERROR else 400
        return JsonResponse({"outcome": outcome.value}, status=status)

    # --- Server-to-server API ---------------------------------------------------------------------------

    def query(self, order: PaymentOrder) -> ProviderReport:
        """The order's status. The payment time is the answer's `lastUpdated` (the transaction's last change),
        falling back to `responseTime` (the time of the answer, later than the payment: a query long after the
        deadline could then mistake a timely payment for a late one; MoMo's answers carry lastUpdated)."""
        body = self._signed(
            {
                "partnerCode": self.provider.merchant_code,
                "requestId": uuid.uuid4().hex,
                "orderId": order.reference,
                "lang": "vi",
            },
            QUERY_SIGNED,
        )
        answer = self._post(QUERY_PATH, body)
        code = _whole(answer.get("resultCode"))
        message = f"resultCode={answer.get('resultCode')} {answer.get('message', '')}".strip()
        if code == ORDER_NOT_FOUND:
            return ProviderReport(
                order_reference=order.reference,
                status=ReportedStatus.PENDING,
                amount=order.amount,
                message=message,
            )
        if code is None or code in REQUEST_ERROR_CODES:
            raise ProviderUnavailable(f"query answered {message}")
        if str(answer.get("orderId")) != order.reference:
            raise ProviderUnavailable("query answered for another order")
        amount = _whole(answer.get("amount"))
        if amount is None:
            raise ProviderUnavailable("query answered without an amount")
        status = status_of(code)
        moment = _whole(answer.get("lastUpdated")) or _whole(answer.get("responseTime"))
        if status == ReportedStatus.PAID and moment is None:
            raise ProviderUnavailable("query answered a payment without its time")
        return ProviderReport(
            order_reference=order.reference,
            status=status,
            amount=amount,
            transaction_id=str(answer.get("transId") or ""),
            paid_at=_from_millis(moment) if status == ReportedStatus.PAID else None,
            bank_code=str(answer.get("payType") or "")[:40],
            message=message,
            raw={k: str(v) for k, v in answer.items() if k != "refundTrans"},
        )

    def refund(
        self, order: PaymentOrder, *, amount: int, reference: str, reason: str, transaction_id: str = ""
    ) -> RefundResult:
        """Refund part or all of the payment `transId`. The refund's orderId and requestId are our refund
        reference (MoMo wants an orderId of its own for each refund; the same requestId sent again gets the
        first answer, never a second refund)."""
        paid_transaction = transaction_id or order.provider_transaction
        if not paid_transaction.isdigit():
            return RefundResult(False, "", "MoMo needs the payment's transId, which this order does not hold")
        body = self._signed(
            {
                "partnerCode": self.provider.merchant_code,
                "orderId": reference,
                "requestId": reference,
                "amount": amount,
                "transId": int(paid_transaction),
                "lang": "vi",
                "description": " ".join(reason.split())[:255],
            },
            REFUND_SIGNED,
        )
        answer = self._post(REFUND_PATH, body)
        code = _whole(answer.get("resultCode"))
        message = f"resultCode={answer.get('resultCode')} {answer.get('message', '')}".strip()
        if code == 0:
            if _whole(answer.get("amount")) not in (None, amount):
                raise ProviderUnavailable("refund answered another amount")
            return RefundResult(True, str(answer.get("transId") or ""), message)
        if code is None or code in REFUND_RETRY_CODES:
            raise ProviderUnavailable(message)
        return RefundResult(False, "", message)


def _from_millis(value: int | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def post_json(url: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """POST JSON and read a JSON object back; a network error, a 5xx, or a body that is not a JSON object is
    ProviderUnavailable. MoMo answers some refusals with 4xx and a JSON body holding the resultCode: those are
    read like a 200."""
    timeout = (settings.PAYMENT_CONNECT_TIMEOUT_SECONDS, settings.PAYMENT_READ_TIMEOUT_SECONDS)
    try:
        response = requests.post(url, json=dict(body), timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"{type(exc).__name__} calling {url}") from exc
    if not (200 <= response.status_code < 300 or 400 <= response.status_code < 500):
        raise ProviderUnavailable(f"HTTP {response.status_code} from {url}")
    try:
        answer = response.json()
    except ValueError as exc:
        raise ProviderUnavailable(f"HTTP {response.status_code} from {url}, not JSON") from exc
    if not isinstance(answer, dict) or "resultCode" not in answer:
        raise ProviderUnavailable(f"HTTP {response.status_code} from {url} without a resultCode")
    return answer
