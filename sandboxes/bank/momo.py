"""The MoMo-like side of sandbox-bank (MoMo AIO v2 as the provider): the create API answering a payUrl, the
wallet page (test wallets by phone number), the IPN (POST JSON) and the browser's return, and the query and
refund APIs. Errors are answered as MoMo answers them: a `resultCode` and a message in JSON."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sandboxes.idp.web import Response, json_response
from sandboxes.onestop.routing import Incoming

from . import accounts, pages
from .config import MOMO_PAY_MINUTES
from .records import Payment, now
from .signing import MOMO_CREATE, MOMO_QUERY, MOMO_REFUND, MOMO_RESULT, equal, millis, momo_sign

if TYPE_CHECKING:
    from .app import Bank

ORDER_ID = re.compile(r"[0-9a-zA-Z]([-_.]*[0-9a-zA-Z]+)*")
MIN_AMOUNT, MAX_AMOUNT = 1_000, 50_000_000
MESSAGES = {
    10: "Hệ thống đang được bảo trì (sandbox).",
    13: "Xác thực doanh nghiệp thất bại (partnerCode hoặc chữ ký không đúng).",
    20: "Yêu cầu sai định dạng.",
    22: "Số tiền giao dịch nằm ngoài phạm vi cho phép.",
    41: "Trùng orderId.",
    42: "orderId hoặc transId không tồn tại.",
    1081: "Hoàn tiền bị từ chối: số tiền vượt quá số có thể hoàn.",
}


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class MomoGateway:
    protocol = "momo"
    failure_code = "1002"  # what the "fail the next payments" control makes a payment answer

    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.settings = bank.settings

    def _error(self, code: int, status: int = 200, **fields: Any) -> Response:
        body = {"partnerCode": self.settings.momo_partner_code, **fields}
        return json_response(
            {**body, "resultCode": code, "message": MESSAGES.get(code, ""), "responseTime": millis(now())},
            status,
        )

    def _request(self, incoming: Incoming, names: str) -> dict[str, Any] | Response:
        """The JSON body of an API call, its partnerCode and signature checked; else MoMo's error answer."""
        if self.bank.api_down():
            return self._error(10, 503)
        try:
            data = incoming.json()
        except Exception:
            data = None
        if not isinstance(data, dict):
            return self._error(20, 400)
        signature = momo_sign(self.settings.momo_secret_key, self.settings.momo_access_key, data, names)
        if data.get("partnerCode") != self.settings.momo_partner_code or not equal(
            signature, data.get("signature")
        ):
            return self._error(13, 200, orderId=data.get("orderId"), requestId=data.get("requestId"))
        return data

    # --- create and the wallet page ----------------------------------------------------------------------

    def create(self, incoming: Incoming) -> Response:
        """POST /v2/gateway/api/create (captureWallet). The same requestId again gets the first answer."""
        data = self._request(incoming, MOMO_CREATE)
        if isinstance(data, Response):
            return data
        ids = {"orderId": data.get("orderId"), "requestId": data.get("requestId")}
        amount = _whole(data.get("amount"))
        text_fields = ("requestId", "orderInfo", "redirectUrl", "ipnUrl", "extraData")
        if (
            amount is None
            or not all(isinstance(data.get(name), str) for name in text_fields)
            or not ORDER_ID.fullmatch(str(data.get("orderId", "")))
            or data.get("requestType") != "captureWallet"
            or not str(data["redirectUrl"]).startswith(("http://", "https://"))
            or not str(data["ipnUrl"]).startswith(("http://", "https://"))
            or not data["requestId"]
        ):
            return self._error(20, 400, **ids)
        if not MIN_AMOUNT <= amount <= MAX_AMOUNT:
            return self._error(22, 200, **ids)
        store = self.bank.store
        existing = store.payment(self.protocol, self.settings.momo_partner_code, data["orderId"])
        if existing is not None:
            if (
                existing.request_id == data["requestId"]
                and existing.amount == amount
                and existing.create_answer
            ):
                return json_response(json.loads(existing.create_answer))
            return self._error(41, 200, **ids)
        payment = store.add_payment(
            protocol=self.protocol,
            merchant=self.settings.momo_partner_code,
            order_ref=data["orderId"],
            amount=amount,
            order_info=data["orderInfo"],
            return_url=data["redirectUrl"],
            ipn_url=data["ipnUrl"],
            request_id=data["requestId"],
            locale="en" if data.get("lang") == "en" else "vi",
            expires_at=now() + timedelta(minutes=MOMO_PAY_MINUTES),
        )
        pay_url = f"{self.settings.base_url}/momo/thanh-toan/{payment.token}"
        answer = {
            "partnerCode": payment.merchant,
            "requestId": payment.request_id,
            "orderId": payment.order_ref,
            "amount": amount,
            "responseTime": millis(now()),
            "message": "Thành công.",
            "resultCode": 0,
            "payUrl": pay_url,
            "deeplink": f"momo://app?action=payWithApp&isScanQR=false&token={payment.token}",
            "qrCodeUrl": pay_url,
        }
        store.set_create_answer(payment.id, answer)
        return json_response(answer)

    def _open(self, token: str) -> Payment | Response:
        payment = self.bank.store.payment_by_token(token)
        if payment is None:
            return pages.momo_error("Không tìm thấy giao dịch.", 404)
        if payment.status != "pending":
            return pages.finished_page(payment, self.return_location(payment))
        if payment.expires_at is not None and payment.expires_at < now():
            return self.bank.finish(payment, self, success=False, code="1005")
        return payment

    def wallet_page(self, incoming: Incoming) -> Response:
        found = self._open(incoming.match["token"])
        return found if isinstance(found, Response) else pages.momo_page(found)

    def wallet_submit(self, incoming: Incoming) -> Response:
        """POST the wallet's phone number and OTP (or cancel): paid if the wallet holds enough."""
        found = self._open(incoming.match["token"])
        if isinstance(found, Response):
            return found
        form = incoming.request
        if form.param("action") == "cancel":
            return self.bank.finish(found, self, success=False, code="1006")
        phone = "".join(ch for ch in form.param("phone") if ch.isdigit())
        wallet = accounts.WALLETS.get(phone)
        if wallet is None:
            return pages.momo_page(found, phone, "Số điện thoại này không có ví thử nghiệm.", status=400)
        if form.param("otp").strip() != accounts.OTP:
            return pages.momo_page(found, phone, "Mã OTP không đúng.", status=400)
        self.bank.store.choose(found.id, payer=wallet.phone, bank_code="")
        enough = wallet.balance >= found.amount
        return self.bank.finish(found, self, success=enough, code="0" if enough else "1001")

    # --- what the merchant is told ---------------------------------------------------------------------

    def result(self, payment: Payment) -> dict[str, Any]:
        """The signed result: the IPN's body, and the return's query."""
        code = int(payment.result_code or 1000)
        body: dict[str, Any] = {
            "partnerCode": payment.merchant,
            "orderId": payment.order_ref,
            "requestId": payment.request_id,
            "amount": payment.amount,
            "orderInfo": payment.order_info,
            "orderType": "momo_wallet",
            "transId": int(payment.transaction_no or 0),
            "resultCode": code,
            "message": accounts.MOMO_CODES.get(code, ""),
            "payType": "webApp",
            "responseTime": millis(payment.finished_at or now()),
            "extraData": "",
        }
        body["signature"] = momo_sign(
            self.settings.momo_secret_key, self.settings.momo_access_key, body, MOMO_RESULT
        )
        return body

    def ipn(self, payment: Payment) -> tuple[str, str, str]:
        return "POST", payment.ipn_url, json.dumps(self.result(payment), ensure_ascii=False)

    def return_location(self, payment: Payment) -> str:
        query = urlencode({k: str(v) for k, v in self.result(payment).items()})
        return payment.return_url + ("&" if "?" in payment.return_url else "?") + query

    # --- query and refund --------------------------------------------------------------------------------

    def query(self, incoming: Incoming) -> Response:
        """POST /v2/gateway/api/query: the payment's state (1000 while the payer has not paid)."""
        data = self._request(incoming, MOMO_QUERY)
        if isinstance(data, Response):
            return data
        ids = {"orderId": data.get("orderId"), "requestId": data.get("requestId")}
        payment = self.bank.store.payment(
            self.protocol, self.settings.momo_partner_code, str(data.get("orderId"))
        )
        if payment is None:
            return self._error(42, 200, **ids)
        code = int(payment.result_code) if payment.status != "pending" else 1000
        refunds = [
            {
                "orderId": r.refund_ref,
                "amount": r.amount,
                "resultCode": 0,
                "transId": int(r.transaction_no),
                "createdTime": millis(r.created_at),
            }
            for r in self.bank.store.refunds(payment.id)
        ]
        return json_response(
            {
                "partnerCode": payment.merchant,
                **ids,
                "extraData": "",
                "amount": payment.amount,
                "transId": int(payment.transaction_no or 0),
                "payType": "webApp" if payment.status != "pending" else "",
                "resultCode": code,
                "refundTrans": refunds,
                "message": accounts.MOMO_CODES.get(code, "Giao dịch đang chờ người dùng xác nhận."),
                "responseTime": millis(now()),
                "lastUpdated": millis(payment.finished_at or payment.created_at),
            }
        )

    def refund(self, incoming: Incoming) -> Response:
        """POST /v2/gateway/api/refund: part or all of a paid transaction (`transId`), under an orderId of its
        own. The same requestId again gets the first answer."""
        data = self._request(incoming, MOMO_REFUND)
        if isinstance(data, Response):
            return data
        ids = {"orderId": data.get("orderId"), "requestId": data.get("requestId")}
        amount, trans_id = _whole(data.get("amount")), _whole(data.get("transId"))
        if (
            amount is None
            or trans_id is None
            or not ORDER_ID.fullmatch(str(data.get("orderId", "")))
            or not data.get("requestId")
        ):
            return self._error(20, 400, **ids)
        store, partner = self.bank.store, self.settings.momo_partner_code
        again = store.refund_by_request(self.protocol, partner, str(data["requestId"]))
        if again is not None:
            return json_response(json.loads(again.answer))
        payment = store.payment_by_number(self.protocol, partner, str(trans_id))
        if payment is None or payment.status != "success":
            return self._error(42, 200, **ids)
        used = store.payment(self.protocol, partner, str(data["orderId"])) or any(
            r.refund_ref == data["orderId"] for r in store.refunds()
        )
        if used:
            return self._error(41, 200, **ids)
        if amount < MIN_AMOUNT:
            return self._error(22, 200, **ids)

        def answer(number: str) -> dict[str, Any]:
            return {
                "partnerCode": partner,
                **ids,
                "amount": amount,
                "transId": int(number),
                "resultCode": 0,
                "message": "Thành công.",
                "responseTime": millis(now()),
            }

        added = store.add_refund(
            payment,
            request_id=str(data["requestId"]),
            refund_ref=str(data["orderId"]),
            amount=amount,
            answer=answer,
        )
        if added is None:
            return self._error(1081, 200, **ids)
        return json_response(added[1])
