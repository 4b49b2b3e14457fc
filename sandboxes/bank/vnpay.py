"""The VNPAY-like side of sandbox-bank (VNPAY 2.1.0 as the provider): the signed payment URL, the payment pages
(bank and card, then OTP), the IPN and the browser's return, and the merchant API (querydr, refund). Errors are
answered as VNPAY answers them: an error page for a payment URL it refuses, `vnp_ResponseCode` in the API."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from sandboxes.idp.web import Response, json_response, redirect
from sandboxes.onestop.routing import Incoming

from . import accounts, pages
from .records import Payment, now
from .signing import (
    VNPAY_ANSWER,
    VNPAY_QUERY_ANSWER,
    VNPAY_QUERY_REQUEST,
    VNPAY_REFUND_REQUEST,
    equal,
    parse_vnpay_time,
    vnpay_data,
    vnpay_hash,
    vnpay_piped,
    vnpay_signed_query,
    vnpay_time,
)

if TYPE_CHECKING:
    from .app import Bank

PAY_REQUIRED = [
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_Amount",
    "vnp_CurrCode",
    "vnp_TxnRef",
    "vnp_OrderInfo",
    "vnp_OrderType",
    "vnp_Locale",
    "vnp_ReturnUrl",
    "vnp_IpAddr",
    "vnp_CreateDate",
]
DATE = re.compile(r"\d{14}")
TXN_REF = re.compile(r"[0-9A-Za-z_.\-]{1,100}")


def _with_query(url: str, query: str) -> str:
    return url + ("&" if "?" in url else "?") + query


class VnpayGateway:
    protocol = "vnpay"
    failure_code = "99"  # what the "fail the next payments" control makes a payment answer

    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.settings = bank.settings

    # --- the payment URL and pages ---------------------------------------------------------------------

    def pay_entry(self, incoming: Incoming) -> Response:
        """GET /paymentv2/vpcpay.html?…: check the merchant's signature and fields, then the payment page."""
        query = incoming.request.query
        if any(len(values) > 1 for values in query.values()):
            return pages.vnpay_error("03", "Dữ liệu gửi sang không đúng định dạng (tham số lặp lại).")
        fields = {name: values[0] for name, values in query.items()}
        if fields.get("vnp_TmnCode") != self.settings.vnpay_tmn_code:
            return pages.vnpay_error(
                "02", "Website chưa được phê duyệt hoặc mã website (vnp_TmnCode) không đúng."
            )
        if not equal(
            vnpay_hash(self.settings.vnpay_secret, vnpay_data(fields)), fields.get("vnp_SecureHash")
        ):
            return pages.vnpay_error("97", "Sai chữ ký (vnp_SecureHash).")
        problem = self._pay_problem(fields)
        if problem:
            return pages.vnpay_error("03", f"Dữ liệu gửi sang không đúng định dạng: {problem}")
        expires = parse_vnpay_time(fields.get("vnp_ExpireDate", ""))
        if expires is not None and expires < now():
            return pages.vnpay_error("11", "Giao dịch đã quá thời gian chờ thanh toán.")
        amount = int(fields["vnp_Amount"]) // 100
        store = self.bank.store
        payment = store.payment(self.protocol, fields["vnp_TmnCode"], fields["vnp_TxnRef"])
        if payment is not None and (payment.status != "pending" or payment.amount != amount):
            return pages.vnpay_error("01", "Giao dịch đã tồn tại (mã tham chiếu vnp_TxnRef đã được dùng).")
        if payment is None:
            payment = store.add_payment(
                protocol=self.protocol,
                merchant=fields["vnp_TmnCode"],
                order_ref=fields["vnp_TxnRef"],
                amount=amount,
                order_info=fields["vnp_OrderInfo"],
                return_url=fields["vnp_ReturnUrl"],
                ipn_url=self.settings.vnpay_ipn_url,
                create_date=fields["vnp_CreateDate"],
                locale=fields["vnp_Locale"],
                expires_at=expires,
            )
        return redirect(f"/paymentv2/thanh-toan/{payment.token}", 303)

    @staticmethod
    def _pay_problem(fields: dict[str, str]) -> str:
        missing = [name for name in PAY_REQUIRED if not fields.get(name)]
        if missing:
            return "thiếu " + ", ".join(missing)
        if fields["vnp_Version"] != "2.1.0" or fields["vnp_Command"] != "pay":
            return "vnp_Version phải là 2.1.0 và vnp_Command là pay"
        amount = fields["vnp_Amount"]
        if not amount.isdigit() or int(amount) % 100 or not 5_000 * 100 <= int(amount) < 10**12:
            return "vnp_Amount phải là số tiền (từ 5.000 đồng) nhân 100"
        if fields["vnp_CurrCode"] != "VND" or fields["vnp_Locale"] not in ("vn", "en"):
            return "vnp_CurrCode phải là VND, vnp_Locale là vn hoặc en"
        if not TXN_REF.fullmatch(fields["vnp_TxnRef"]):
            return "vnp_TxnRef chỉ gồm chữ, số"
        if not DATE.fullmatch(fields["vnp_CreateDate"]) or not DATE.fullmatch(
            fields.get("vnp_ExpireDate", "0" * 14)
        ):
            return "vnp_CreateDate, vnp_ExpireDate có dạng yyyyMMddHHmmss"
        if not fields["vnp_ReturnUrl"].startswith(("http://", "https://")):
            return "vnp_ReturnUrl phải là địa chỉ http(s)"
        return ""

    def _open(self, token: str) -> Payment | Response:
        """The payment a page names, still open; else the page saying why not (or the way back)."""
        payment = self.bank.store.payment_by_token(token)
        if payment is None:
            return pages.vnpay_error("01", "Không tìm thấy giao dịch.", status=404)
        if payment.status != "pending":
            return pages.finished_page(payment, self.return_location(payment))
        if payment.expires_at is not None and payment.expires_at < now():
            return self.bank.finish(payment, self, success=False, code="11")
        return payment

    def card_page(self, incoming: Incoming) -> Response:
        found = self._open(incoming.match["token"])
        return found if isinstance(found, Response) else pages.vnpay_card_page(found)

    def card_submit(self, incoming: Incoming) -> Response:
        """POST the bank and card (or cancel): a known test card goes on to the OTP step."""
        found = self._open(incoming.match["token"])
        if isinstance(found, Response):
            return found
        form = incoming.request
        if form.param("action") == "cancel":
            return self.bank.finish(found, self, success=False, code="24")
        values = {name: form.param(name).strip() for name in ("bank", "card_number", "card_holder", "issued")}
        card = accounts.CARDS.get(accounts.normalised_card(values["card_number"]))
        error = ""
        if values["bank"] not in accounts.BANKS:
            error = "Vui lòng chọn ngân hàng."
        elif card is None or card.bank != values["bank"]:
            error = "Số thẻ không đúng hoặc không thuộc ngân hàng đã chọn (xem danh sách thẻ thử nghiệm)."
        elif (
            accounts.normalised_holder(values["card_holder"]) != card.holder
            or values["issued"] != card.issued
        ):
            error = "Tên chủ thẻ hoặc ngày phát hành không đúng."
        if error or card is None:
            return pages.vnpay_card_page(found, values, error, status=400)
        self.bank.store.choose(found.id, payer=card.number, bank_code=card.bank)
        return redirect(f"/paymentv2/thanh-toan/{found.token}/otp", 303)

    def otp_page(self, incoming: Incoming) -> Response:
        found = self._open(incoming.match["token"])
        if isinstance(found, Response):
            return found
        if not found.payer:
            return redirect(f"/paymentv2/thanh-toan/{found.token}", 303)
        return pages.vnpay_otp_page(found, accounts.CARDS[found.payer].masked)

    def otp_submit(self, incoming: Incoming) -> Response:
        """POST the OTP: the card's scripted result (or a failure the controls ask for), then back to the
        merchant. Three wrong OTPs fail the payment (code 13)."""
        found = self._open(incoming.match["token"])
        if isinstance(found, Response):
            return found
        if incoming.request.param("action") == "cancel":
            return self.bank.finish(found, self, success=False, code="24")
        card = accounts.CARDS.get(found.payer)
        if card is None:
            return redirect(f"/paymentv2/thanh-toan/{found.token}", 303)
        if incoming.request.param("otp").strip() != accounts.OTP:
            if self.bank.store.wrong_otp(found.id) >= accounts.MAX_OTP_ATTEMPTS:
                return self.bank.finish(found, self, success=False, code="13")
            return pages.vnpay_otp_page(found, card.masked, "Mã OTP không đúng.", status=400)
        return self.bank.finish(found, self, success=card.response_code == "00", code=card.response_code)

    # --- what the merchant is told ---------------------------------------------------------------------

    def result_fields(self, payment: Payment) -> dict[str, str]:
        success = payment.status == "success"
        return {
            "vnp_Amount": str(payment.amount * 100),
            "vnp_BankCode": payment.bank_code or "VNPAY",
            "vnp_BankTranNo": f"VNP{payment.transaction_no}" if success else "",
            "vnp_CardType": "ATM" if payment.payer else "",
            "vnp_OrderInfo": payment.order_info,
            "vnp_PayDate": vnpay_time(payment.finished_at or now()),
            "vnp_ResponseCode": payment.result_code,
            "vnp_TmnCode": payment.merchant,
            "vnp_TransactionNo": payment.transaction_no,
            "vnp_TransactionStatus": "00" if success else "02",
            "vnp_TxnRef": payment.order_ref,
        }

    def ipn(self, payment: Payment) -> tuple[str, str, str]:
        """The IPN: a GET of the signed result to the IPN URL registered for the merchant."""
        return (
            "GET",
            payment.ipn_url,
            vnpay_signed_query(self.settings.vnpay_secret, self.result_fields(payment)),
        )

    def return_location(self, payment: Payment) -> str:
        return _with_query(
            payment.return_url, vnpay_signed_query(self.settings.vnpay_secret, self.result_fields(payment))
        )

    # --- the merchant API --------------------------------------------------------------------------------

    def api(self, incoming: Incoming) -> Response:
        """POST /merchant_webapi/api/transaction: querydr or refund, by vnp_Command."""
        if self.bank.api_down():
            return json_response({"vnp_ResponseCode": "99", "vnp_Message": "Hệ thống bảo trì (sandbox)"}, 503)
        data = incoming.json()
        if not isinstance(data, dict):
            return json_response({"vnp_ResponseCode": "03", "vnp_Message": "Invalid request"}, 400)
        fields = {k: str(v) for k, v in data.items() if v is not None}
        command = fields.get("vnp_Command", "")
        if command not in ("querydr", "refund"):
            return self._answer(fields, "03", "Invalid vnp_Command")
        if fields.get("vnp_TmnCode") != self.settings.vnpay_tmn_code:
            return self._answer(fields, "02", "Invalid TmnCode")
        names = VNPAY_QUERY_REQUEST if command == "querydr" else VNPAY_REFUND_REQUEST
        optional = {"vnp_TransactionNo"}
        missing = [n for n in names.split() if not fields.get(n) and n not in optional]
        if (
            missing
            or fields.get("vnp_Version") != "2.1.0"
            or not DATE.fullmatch(fields.get("vnp_TransactionDate", ""))
        ):
            return self._answer(fields, "03", "Invalid data format: " + ", ".join(missing))
        expected = vnpay_hash(self.settings.vnpay_secret, vnpay_piped(fields, names))
        if not equal(expected, fields.get("vnp_SecureHash")):
            return self._answer(fields, "97", "Invalid Checksum")
        if not self.bank.store.first_use(fields["vnp_TmnCode"], fields["vnp_RequestId"]):
            return self._answer(fields, "94", "Duplicate request")
        payment = self.bank.store.payment(self.protocol, fields["vnp_TmnCode"], fields["vnp_TxnRef"])
        if payment is None or payment.create_date != fields["vnp_TransactionDate"]:
            return self._answer(fields, "91", "Transaction not found")
        return self._querydr(fields, payment) if command == "querydr" else self._refund(fields, payment)

    def _querydr(self, fields: dict[str, str], payment: Payment) -> Response:
        state = {"success": "00", "failed": "02"}.get(payment.status, "01")
        return self._answer(
            fields,
            "00",
            "QueryDR Success",
            vnp_Amount=str(payment.amount * 100),
            vnp_BankCode=payment.bank_code,
            vnp_PayDate=vnpay_time(payment.finished_at) if payment.finished_at else "",
            vnp_TransactionNo=payment.transaction_no,
            vnp_TransactionType="01",
            vnp_TransactionStatus=state,
            vnp_OrderInfo=payment.order_info,
        )

    def _refund(self, fields: dict[str, str], payment: Payment) -> Response:
        number = fields.get("vnp_TransactionNo", "")
        if number not in ("", "0") and number != payment.transaction_no:
            return self._answer(fields, "91", "Transaction not found")
        if payment.status != "success":
            return self._answer(fields, "95", "Transaction is not successful: refund refused")
        raw, kind = fields["vnp_Amount"], fields["vnp_TransactionType"]
        if not raw.isdigit() or int(raw) % 100 or int(raw) == 0 or kind not in ("02", "03"):
            return self._answer(fields, "03", "Invalid amount or vnp_TransactionType")
        amount = int(raw) // 100
        if kind == "02" and amount != payment.amount:
            return self._answer(fields, "03", "A full refund (02) must be of the whole amount")

        def answer(refund_number: str) -> dict[str, Any]:
            return self._fields(
                fields,
                "00",
                "Refund success",
                vnp_Amount=raw,
                vnp_BankCode=payment.bank_code,
                vnp_PayDate=vnpay_time(now()),
                vnp_TransactionNo=refund_number,
                vnp_TransactionType=kind,
                vnp_TransactionStatus="00",
                vnp_OrderInfo=fields["vnp_OrderInfo"],
            )

        added = self.bank.store.add_refund(
            payment,
            request_id=fields["vnp_RequestId"],
            refund_ref=fields["vnp_RequestId"],
            amount=amount,
            answer=answer,
        )
        if added is None:
            return self._answer(fields, "03", "Refund amount exceeds what is left of the payment")
        return json_response(added[1])

    def _fields(self, request: dict[str, str], code: str, message: str, **values: str) -> dict[str, Any]:
        """A signed API answer (the promotion fields only in querydr's, as VNPAY does)."""
        command = request.get("vnp_Command", "")
        answer = {
            "vnp_ResponseId": uuid.uuid4().hex,
            "vnp_Command": command,
            "vnp_ResponseCode": code,
            "vnp_Message": message,
            "vnp_TmnCode": request.get("vnp_TmnCode", ""),
            "vnp_TxnRef": request.get("vnp_TxnRef", ""),
            **values,
        }
        names = VNPAY_QUERY_ANSWER if command == "querydr" else VNPAY_ANSWER
        if command == "querydr":
            answer.update(vnp_PromotionCode="", vnp_PromotionAmount="")
        answer["vnp_SecureHash"] = vnpay_hash(self.settings.vnpay_secret, vnpay_piped(answer, names))
        return answer

    def _answer(self, request: dict[str, str], code: str, message: str, **values: str) -> Response:
        return json_response(self._fields(request, code, message, **values))
