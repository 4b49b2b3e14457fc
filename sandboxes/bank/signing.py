"""The two protocols' signatures as the provider computes them, written here independently of the portal's
plugins (so that a mistake on one side shows up as a refused signature, not as two mistakes agreeing).

VNPAY: HMAC-SHA512 hex over the `vnp_*` fields sorted by name, URL-encoded (`+` for spaces), joined with `&`
(payment URL, IPN, return); over values joined with `|` in a fixed order (querydr, refund).
MoMo: HMAC-SHA256 hex over `name=value` pairs of a fixed field list joined with `&`, values unencoded."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

GMT7 = timezone(timedelta(hours=7))

VNPAY_QUERY_REQUEST = "vnp_RequestId vnp_Version vnp_Command vnp_TmnCode vnp_TxnRef vnp_TransactionDate vnp_CreateDate vnp_IpAddr vnp_OrderInfo"
VNPAY_REFUND_REQUEST = (
    "vnp_RequestId vnp_Version vnp_Command vnp_TmnCode vnp_TransactionType vnp_TxnRef vnp_Amount "
    "vnp_TransactionNo vnp_TransactionDate vnp_CreateBy vnp_CreateDate vnp_IpAddr vnp_OrderInfo"
)
VNPAY_ANSWER = (
    "vnp_ResponseId vnp_Command vnp_ResponseCode vnp_Message vnp_TmnCode vnp_TxnRef vnp_Amount vnp_BankCode "
    "vnp_PayDate vnp_TransactionNo vnp_TransactionType vnp_TransactionStatus vnp_OrderInfo"
)
VNPAY_QUERY_ANSWER = VNPAY_ANSWER + " vnp_PromotionCode vnp_PromotionAmount"

MOMO_CREATE = (
    "accessKey amount extraData ipnUrl orderId orderInfo partnerCode redirectUrl requestId requestType"
)
MOMO_RESULT = (
    "accessKey amount extraData message orderId orderInfo orderType partnerCode payType requestId responseTime "
    "resultCode transId"
)
MOMO_QUERY = "accessKey orderId partnerCode requestId"
MOMO_REFUND = "accessKey amount description orderId partnerCode requestId transId"


def equal(expected: str, given: Any) -> bool:
    """Hex signatures compared in constant time, whatever the case."""
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode("ascii", "replace"))


# --- VNPAY ----------------------------------------------------------------------------------------------------


def vnpay_data(fields: Mapping[str, str]) -> str:
    """The sorted, URL-encoded query string (without empty values and without the hash fields)."""
    kept = sorted(
        (k, v) for k, v in fields.items() if v != "" and k not in ("vnp_SecureHash", "vnp_SecureHashType")
    )
    return urlencode(kept).replace("~", "%7E")


def vnpay_hash(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


def vnpay_signed_query(secret: str, fields: Mapping[str, str]) -> str:
    """A query string VNPAY sends (IPN, return): the fields, then vnp_SecureHash."""
    data = vnpay_data(fields)
    return f"{data}&vnp_SecureHash={vnpay_hash(secret, data)}"


def vnpay_piped(fields: Mapping[str, Any], names: str) -> str:
    return "|".join("" if fields.get(name) is None else str(fields.get(name)) for name in names.split())


def vnpay_time(moment: datetime) -> str:
    return moment.astimezone(GMT7).strftime("%Y%m%d%H%M%S")


def parse_vnpay_time(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=GMT7).astimezone(UTC)
    except (TypeError, ValueError):
        return None


# --- MoMo -------------------------------------------------------------------------------------------------------


def momo_sign(secret: str, access_key: str, fields: Mapping[str, Any], names: str) -> str:
    values = {**fields, "accessKey": access_key}
    raw = "&".join(f"{name}={'' if values.get(name) is None else values.get(name)}" for name in names.split())
    return hmac.new(secret.encode(), raw.encode(), hashlib.sha256).hexdigest()


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
