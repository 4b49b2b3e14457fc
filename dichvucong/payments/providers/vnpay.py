"""The redirect gateway protocol of VNPAY (Cổng thanh toán VNPAY, API version 2.1.0), merchant side.

- Payment: the payer is sent to `<endpoint>/paymentv2/vpcpay.html?<vnp_* fields>&vnp_SecureHash=<hash>`; the
  hash is HMAC-SHA512 (hex) with the hash secret over the fields sorted by name, each written `name=value` with
  the value URL-encoded as VNPAY's own demo code does (spaces as `+`), joined with `&`. Empty values are left
  out, as VNPAY's Java and .NET libraries do (its PHP demo keeps them: our fields are never empty).
- The IPN (a server-to-server GET to the IPN URL registered at VNPAY, so `notify_url` is not sent) and the
  browser's return carry the same signed `vnp_*` fields; the merchant answers the IPN with JSON
  `{"RspCode", "Message"}`.
- Status query (`querydr`) and refund (`refund`): JSON POSTs to `<endpoint>/merchant_webapi/api/transaction`,
  signed over their fields joined with `|` in the documented order; the answers are signed the same way.

Field lists, hash orders and codes were checked against VNPAY's published documentation
(sandbox.vnpayment.vn/apis/docs: "Thanh toán PAY", "API querydr, refund") and public client libraries.
Where the documentation is silent we chose, and say so: which transaction statuses count as pending; that
`vnp_TransactionNo` "0" is sent in a refund when the payment's number is unknown; which answers to retry.
Times are GMT+7 (`yyyyMMddHHmmss`), amounts are đồng × 100.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote_plus

import requests
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone as dj_timezone

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

VERSION = "2.1.0"
PAY_PATH = "/paymentv2/vpcpay.html"
API_PATH = "/merchant_webapi/api/transaction"
GMT7 = timezone(timedelta(hours=7))  # VNPAY's clock: Vietnam's time, no daylight saving
HASH_FIELDS = ("vnp_SecureHash", "vnp_SecureHashType")
# The IP address VNPAY sees for our server's API calls (a required field it only records).
SERVER_IP = "127.0.0.1"

QUERY_HASH_ORDER = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
REFUND_HASH_ORDER = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TransactionType",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_TransactionNo",
    "vnp_TransactionDate",
    "vnp_CreateBy",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
# The answers: the same fields for both commands, querydr adding the promotion's two at the end.
ANSWER_HASH_ORDER = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
)
QUERY_ANSWER_HASH_ORDER = (*ANSWER_HASH_ORDER, "vnp_PromotionCode", "vnp_PromotionAmount")

# vnp_TransactionStatus: 00 paid; 01 not finished yet; 07 money taken but held as suspicious until VNPAY and
# the merchant decide; 05/06/09 are states of a refund of a payment that was made. Anything else failed.
PAID_STATES = frozenset({"00", "05", "06", "09"})
PENDING_STATES = frozenset({"01", "07"})

# What we answer to an IPN. 00 and 02 tell VNPAY to stop; the others make it send again (ERROR: our fault).
ACKNOWLEDGEMENTS: dict[CallbackOutcome, tuple[str, str]] = {
    CallbackOutcome.APPLIED: ("00", "Confirm Success"),
    CallbackOutcome.LATE: ("00", "Confirm Success"),  # the money is recorded (for refund): nothing to resend
    CallbackOutcome.DUPLICATE: ("02", "Order already confirmed"),
    CallbackOutcome.IGNORED: ("02", "Order already confirmed"),
    CallbackOutcome.UNKNOWN_ORDER: ("01", "Order not found"),
    CallbackOutcome.AMOUNT_MISMATCH: ("04", "Invalid amount"),
    CallbackOutcome.BAD_SIGNATURE: ("97", "Invalid signature"),
    CallbackOutcome.OUT_OF_WINDOW: ("99", "Payment time out of the order's window"),
    CallbackOutcome.MALFORMED: ("99", "Invalid request"),
    CallbackOutcome.ERROR: ("99", "Unknown error"),
}


# --- Signing ----------------------------------------------------------------------------------------------


def sign(secret: str, data: str) -> str:
    """HMAC-SHA512 of `data` with the hash secret, lowercase hex."""
    return hmac.new(secret.encode("utf-8"), data.encode("utf-8"), hashlib.sha512).hexdigest()


def encode(value: str) -> str:
    """A value URL-encoded as VNPAY's demo code encodes it (PHP urlencode / Java URLEncoder): spaces as `+`, and
    `~` escaped too (Python leaves it as is)."""
    return quote_plus(value, safe="").replace("~", "%7E")


def query_string(fields: Mapping[str, str]) -> str:
    """The fields sorted by name, `name=value` URL-encoded, joined with `&`: both the signed data of a payment
    URL, IPN or return, and the query string sent."""
    return "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(fields.items()) if v != "")


def piped(fields: Mapping[str, Any], order: tuple[str, ...]) -> str:
    """The signed data of an API request or answer: the listed fields' values joined with `|` (absent: '')."""
    return "|".join("" if fields.get(name) is None else str(fields.get(name)) for name in order)


def same_hash(expected: str, given: str) -> bool:
    """Compare two hex hashes in constant time, whatever the case of the hex digits."""
    return hmac.compare_digest(
        expected.lower().encode("ascii"), given.strip().lower().encode("ascii", "replace")
    )


def vnp_time(moment: datetime) -> str:
    return moment.astimezone(GMT7).strftime("%Y%m%d%H%M%S")


def parse_vnp_time(value: str) -> datetime | None:
    """An aware UTC time from VNPAY's `yyyyMMddHHmmss` (GMT+7), or None if it is not one."""
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=GMT7).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def _status(response_code: str, state: str) -> ReportedStatus:
    """The payment's status from vnp_ResponseCode and vnp_TransactionStatus (a querydr answer's response code,
    which is the request's, is passed as ''). Older messages carry the response code only."""
    state = state or response_code
    if state == "00":
        return ReportedStatus.PAID if response_code in ("00", "") else ReportedStatus.FAILED
    if state in PAID_STATES:
        return ReportedStatus.PAID
    if state in PENDING_STATES or not state:
        return ReportedStatus.PENDING
    return ReportedStatus.FAILED


def _ascii_text(text: str, limit: int = 255) -> str:
    """Free text VNPAY accepts: without diacritics (its demo code encodes in US-ASCII; case kept), printable, and
    without `|` (the API's separator)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    kept = "".join(ch for ch in plain if ch.isascii() and ch.isprintable() and ch != "|")
    return " ".join(kept.split())[:limit]


class VnpayProvider(PaymentProvider):
    """VNPAY 2.1.0: `merchant_code` is vnp_TmnCode, `secret` is the hash secret (vnp_HashSecret)."""

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
        """The signed payment URL (no network call). vnp_CreateDate is the order's creation time, which a
        status query later names as vnp_TransactionDate; vnp_ExpireDate is the order's deadline."""
        fields = {
            "vnp_Version": VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.provider.merchant_code,
            "vnp_Amount": str(order.amount * 100),
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": order.reference,
            "vnp_OrderInfo": _ascii_text(description) or f"Thanh toan {order.reference}",
            "vnp_OrderType": "billpayment",
            "vnp_Locale": "vn" if language.lower().startswith("vi") else "en",
            "vnp_ReturnUrl": return_url,
            "vnp_IpAddr": client_ip or SERVER_IP,
            "vnp_CreateDate": vnp_time(order.created_at),
            "vnp_ExpireDate": vnp_time(order.expires_at),
        }
        data = query_string(fields)
        signature = sign(self.provider.secret, data)
        return Checkout(
            url=f"{self.provider.endpoint_url.rstrip('/')}{PAY_PATH}?{data}&vnp_SecureHash={signature}"
        )

    def parse_notification(self, request: HttpRequest) -> ProviderReport:
        """The IPN: a GET whose query holds the signed vnp_* fields."""
        return self._parse_signed(request)

    def parse_return(self, request: HttpRequest) -> ProviderReport:
        """The browser's return carries the same signed fields as the IPN (shown only, never applied)."""
        return self._parse_signed(request)

    def _parse_signed(self, request: HttpRequest) -> ProviderReport:
        params = request.GET
        reference = params.get("vnp_TxnRef", "")[:100]
        repeated = [name for name in params if len(params.getlist(name)) > 1]
        if repeated:
            raise CallbackRejected(
                CallbackOutcome.MALFORMED,
                f"fields given twice: {', '.join(repeated)}",
                order_reference=reference,
            )
        fields = {name: params[name] for name in params if name.startswith("vnp_")}
        given = fields.get("vnp_SecureHash", "")
        signed = {k: v for k, v in fields.items() if k not in HASH_FIELDS}
        if not given or not same_hash(sign(self.provider.secret, query_string(signed)), given):
            raise CallbackRejected(
                CallbackOutcome.BAD_SIGNATURE, "vnp_SecureHash does not match", order_reference=reference
            )
        if not hmac.compare_digest(
            signed.get("vnp_TmnCode", "").encode(), self.provider.merchant_code.encode()
        ):
            raise CallbackRejected(
                CallbackOutcome.MALFORMED, "vnp_TmnCode is not this merchant's", order_reference=reference
            )
        return self._report(signed, reference)

    def _report(self, fields: Mapping[str, str], reference: str) -> ProviderReport:
        """A report from signed fields (IPN, return, or a querydr answer)."""

        def reject(reason: str) -> CallbackRejected:
            return CallbackRejected(CallbackOutcome.MALFORMED, reason, order_reference=reference)

        if not reference:
            raise reject("no vnp_TxnRef")
        raw_amount = str(fields.get("vnp_Amount", ""))
        if not raw_amount.isdigit() or int(raw_amount) % 100:
            raise reject(f"vnp_Amount {raw_amount!r} is not a whole number of đồng × 100")
        response_code = str(fields.get("vnp_ResponseCode", ""))
        state = str(fields.get("vnp_TransactionStatus", ""))
        status = _status(response_code, state)
        paid_at = parse_vnp_time(str(fields.get("vnp_PayDate", "")))
        if status == ReportedStatus.PAID and paid_at is None:
            raise reject("a payment without a valid vnp_PayDate")
        return ProviderReport(
            order_reference=reference,
            status=status,
            amount=int(raw_amount) // 100,
            currency="VND",  # VNPAY pays in đồng only
            transaction_id=str(fields.get("vnp_TransactionNo", "") or ""),
            paid_at=paid_at if status == ReportedStatus.PAID else None,
            bank_code=str(fields.get("vnp_BankCode", "") or ""),
            message=f"vnp_ResponseCode={response_code} vnp_TransactionStatus={state}",
            raw={k: str(v) for k, v in fields.items() if k not in HASH_FIELDS},
        )

    def acknowledge(self, outcome: CallbackOutcome) -> HttpResponse:
        """VNPAY's IPN answer: always HTTP 200 with JSON {"RspCode", "Message"}."""
        code, message = ACKNOWLEDGEMENTS.get(outcome, ACKNOWLEDGEMENTS[CallbackOutcome.ERROR])
        return JsonResponse({"RspCode": code, "Message": message})

    # --- Server-to-server API ---------------------------------------------------------------------------

    def _api_fields(self, command: str, request_id: str) -> dict[str, str]:
        return {
            "vnp_RequestId": request_id,
            "vnp_Version": VERSION,
            "vnp_Command": command,
            "vnp_TmnCode": self.provider.merchant_code,
            "vnp_CreateDate": vnp_time(dj_timezone.now()),
            "vnp_IpAddr": SERVER_IP,
        }

    def _call(self, body: dict[str, str], answer_order: tuple[str, ...]) -> dict[str, Any]:
        """POST a signed command; the answer, its signature checked when it reports success (errors are not
        always signed, and change nothing)."""
        url = self.provider.endpoint_url.rstrip("/") + API_PATH
        answer = post_json(url, body)
        if str(answer.get("vnp_ResponseCode")) == "00":
            given = str(answer.get("vnp_SecureHash") or "")
            if not given or not same_hash(sign(self.provider.secret, piped(answer, answer_order)), given):
                raise CallbackRejected(
                    CallbackOutcome.BAD_SIGNATURE,
                    f"{body['vnp_Command']} answer: vnp_SecureHash does not match",
                    order_reference=body.get("vnp_TxnRef", ""),
                )
            if str(answer.get("vnp_TmnCode")) != self.provider.merchant_code or str(
                answer.get("vnp_TxnRef")
            ) != body.get("vnp_TxnRef"):
                raise CallbackRejected(
                    CallbackOutcome.MALFORMED,
                    f"{body['vnp_Command']} answer names another merchant or order",
                    order_reference=body.get("vnp_TxnRef", ""),
                )
        return answer

    def query(self, order: PaymentOrder) -> ProviderReport:
        """querydr. Answer 91 (no such transaction: the payer never reached VNPAY) reports PENDING; errors of
        the request itself (02, 03, 94, 97, 99) raise ProviderUnavailable. A success whose signature does not
        match raises CallbackRejected (the caller records it)."""
        body = {
            **self._api_fields("querydr", uuid.uuid4().hex),
            "vnp_TxnRef": order.reference,
            "vnp_OrderInfo": f"Truy van giao dich {order.reference}",
            "vnp_TransactionDate": vnp_time(order.created_at),
        }
        body["vnp_SecureHash"] = sign(self.provider.secret, piped(body, QUERY_HASH_ORDER))
        answer = self._call(body, QUERY_ANSWER_HASH_ORDER)
        code = str(answer.get("vnp_ResponseCode"))
        if code == "91":
            return ProviderReport(
                order_reference=order.reference,
                status=ReportedStatus.PENDING,
                amount=order.amount,
                message=f"vnp_ResponseCode=91 {answer.get('vnp_Message', '')}".strip(),
            )
        if code != "00":
            raise ProviderUnavailable(f"querydr answered {code}: {answer.get('vnp_Message', '')}")
        fields = {k: str(v) for k, v in answer.items() if v is not None}
        # The answer's vnp_ResponseCode is the request's; the payment's own result is its TransactionStatus.
        fields["vnp_ResponseCode"] = ""
        return self._report(fields, order.reference)

    def refund(
        self, order: PaymentOrder, *, amount: int, reference: str, reason: str, transaction_id: str = ""
    ) -> RefundResult:
        """refund, 02 (whole) or 03 (part). Our refund reference is the vnp_RequestId, so that sending it
        again is refused as a duplicate (94) rather than refunded twice. 94 and 99 (in progress, unknown)
        raise ProviderUnavailable: the refund stays requested; other refusals are final."""
        body = {
            **self._api_fields("refund", reference),
            "vnp_TransactionType": "02" if amount == order.amount else "03",
            "vnp_TxnRef": order.reference,
            "vnp_Amount": str(amount * 100),
            # Unknown for a payment the order could not keep (recorded for refund only); VNPAY finds the
            # payment by vnp_TxnRef and vnp_TransactionDate, and its libraries send "0" then.
            "vnp_TransactionNo": transaction_id or order.provider_transaction or "0",
            "vnp_TransactionDate": vnp_time(order.created_at),
            "vnp_CreateBy": "dichvucong",
            "vnp_OrderInfo": _ascii_text(f"Hoan tien {reference}: {reason}"),
        }
        body["vnp_SecureHash"] = sign(self.provider.secret, piped(body, REFUND_HASH_ORDER))
        try:
            answer = self._call(body, ANSWER_HASH_ORDER)
        except CallbackRejected as exc:
            raise ProviderUnavailable(f"refund answer not trusted: {exc.reason}") from exc
        code = str(answer.get("vnp_ResponseCode"))
        message = f"vnp_ResponseCode={code} {answer.get('vnp_Message', '')}".strip()
        if code == "00":
            return RefundResult(True, str(answer.get("vnp_TransactionNo") or ""), message)
        if code in ("94", "99"):
            raise ProviderUnavailable(message)
        return RefundResult(False, "", message)


def post_json(url: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """POST JSON and read a JSON object back; a network error, a non-2xx status or a body that is not a JSON
    object is ProviderUnavailable."""
    timeout = (settings.PAYMENT_CONNECT_TIMEOUT_SECONDS, settings.PAYMENT_READ_TIMEOUT_SECONDS)
    try:
        response = requests.post(url, json=dict(body), timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"{type(exc).__name__} calling {url}") from exc
    if not 200 <= response.status_code < 300:
        raise ProviderUnavailable(f"HTTP {response.status_code} from {url}")
    try:
        answer = response.json()
    except ValueError as exc:
        raise ProviderUnavailable(f"{url} did not answer JSON") from exc
    if not isinstance(answer, dict):
        raise ProviderUnavailable(f"{url} did not answer a JSON object")
    return answer
