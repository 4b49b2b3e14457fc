"""VNPAY 2.1.0, merchant side: the payment URL, the IPN and return checks, the answers to the IPN, querydr and
refund. Signatures are computed here from VNPAY's documented formulas (and one fixed vector from openssl),
never with the plugin's own functions."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit

import pytest
import requests
from django.test import RequestFactory

from dichvucong.payments.models import PaymentOrder, Provider
from dichvucong.payments.providers.base import (
    CallbackOutcome,
    CallbackRejected,
    ProviderUnavailable,
    ReportedStatus,
)
from dichvucong.payments.providers.vnpay import VnpayProvider
from tests.payments.factories import MONDAY_9AM

SECRET = "SANDBOXVNPAYSECRET2026DVCQG00001"
TMN = "DVCQG001"
REFERENCE = "TT26110209000012345678"
QUERY_ORDER = "vnp_RequestId|vnp_Version|vnp_Command|vnp_TmnCode|vnp_TxnRef|vnp_TransactionDate|vnp_CreateDate|vnp_IpAddr|vnp_OrderInfo"
REFUND_ORDER = (
    "vnp_RequestId|vnp_Version|vnp_Command|vnp_TmnCode|vnp_TransactionType|vnp_TxnRef|vnp_Amount|"
    "vnp_TransactionNo|vnp_TransactionDate|vnp_CreateBy|vnp_CreateDate|vnp_IpAddr|vnp_OrderInfo"
)
ANSWER_ORDER = (
    "vnp_ResponseId|vnp_Command|vnp_ResponseCode|vnp_Message|vnp_TmnCode|vnp_TxnRef|vnp_Amount|vnp_BankCode|"
    "vnp_PayDate|vnp_TransactionNo|vnp_TransactionType|vnp_TransactionStatus|vnp_OrderInfo"
)


def hmac512(data: str, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


def signed_query(fields: dict[str, str], secret: str = SECRET) -> dict[str, str]:
    """What VNPAY sends: the fields sorted and URL-encoded (spaces as +), hashed, the hash added."""
    data = urlencode(sorted(fields.items()), quote_via=quote_plus)
    return {**fields, "vnp_SecureHash": hmac512(data, secret)}


def provider() -> Provider:
    return Provider(
        code="sandbox-vnpay",
        protocol="vnpay",
        merchant_code=TMN,
        secret=SECRET,
        endpoint_url="http://bank.test",
    )


def order(**overrides: Any) -> PaymentOrder:
    values: dict[str, Any] = {
        "reference": REFERENCE,
        "amount": 2_000_000,
        "created_at": MONDAY_9AM,
        "expires_at": MONDAY_9AM + dt.timedelta(minutes=15),
        "provider_transaction": "14000001",
    }
    values.update(overrides)
    return PaymentOrder(**values)


def ipn_fields(**overrides: str) -> dict[str, str]:
    fields = {
        "vnp_Amount": "200000000",
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": "VNP14000001",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": "Thanh toan phat vi pham",
        "vnp_PayDate": "20261102090300",
        "vnp_ResponseCode": "00",
        "vnp_TmnCode": TMN,
        "vnp_TransactionNo": "14000001",
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": REFERENCE,
    }
    fields.update(overrides)
    return fields


def ipn(query: dict[str, str]) -> Any:
    return RequestFactory().get("/thanh-toan/tb/ipn/sandbox-vnpay/", query)


# --- the payment URL -------------------------------------------------------------------------------------------


def test_the_hash_is_hmac_sha512_over_the_sorted_query_string_as_openssl_computes_it() -> None:
    fields = {
        "vnp_Version": "2.1.0",
        "vnp_TxnRef": "TT261102090000123",
        "vnp_Command": "pay",
        "vnp_Amount": "200000000",
    }
    url = "http://bank.test/paymentv2/vpcpay.html?" + urlencode(signed_query(fields))
    expected = (
        "7579038cc9c8d91ab99b552417bf0202672176cf4f4f4bf0d5dcdc7a0577798561787589ed79dbc56a2c5abc791d0975450"
        "a72600e3919e3b2e4925aec592ad9"
    )
    assert dict(parse_qsl(urlsplit(url).query))["vnp_SecureHash"] == expected


def test_the_payment_url_carries_the_documented_fields_and_a_valid_hash() -> None:
    url = (
        VnpayProvider(provider())
        .checkout(
            order(),
            description="Thanh toán phạt vi phạm 123/QĐ-XPHC",
            return_url="http://portal.test/thanh-toan/tb/ve/sandbox-vnpay/",
            notify_url="http://portal.test/thanh-toan/tb/ipn/sandbox-vnpay/",
            client_ip="203.0.113.7",
            language="vi",
        )
        .url
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://bank.test/paymentv2/vpcpay.html"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    fields = dict(pairs)
    given = fields.pop("vnp_SecureHash")
    assert [name for name, _ in pairs[:-1]] == sorted(fields)  # sorted, the hash last
    assert given == hmac512(urlencode(sorted(fields.items()), quote_via=quote_plus))
    assert fields == {
        "vnp_Version": "2.1.0",
        "vnp_Command": "pay",
        "vnp_TmnCode": TMN,
        "vnp_Amount": "200000000",  # đồng × 100
        "vnp_CurrCode": "VND",
        "vnp_TxnRef": REFERENCE,
        "vnp_OrderInfo": "Thanh toan phat vi pham 123/QD-XPHC",  # no diacritics
        "vnp_OrderType": "billpayment",
        "vnp_Locale": "vn",
        "vnp_ReturnUrl": "http://portal.test/thanh-toan/tb/ve/sandbox-vnpay/",
        "vnp_IpAddr": "203.0.113.7",
        "vnp_CreateDate": "20261102090000",  # GMT+7
        "vnp_ExpireDate": "20261102091500",
    }


# --- the IPN and the return ----------------------------------------------------------------------------------


def test_a_signed_ipn_reports_the_payment_in_dong_at_its_time() -> None:
    report = VnpayProvider(provider()).parse_notification(ipn(signed_query(ipn_fields())))
    assert report.status == ReportedStatus.PAID
    assert report.order_reference == REFERENCE
    assert report.amount == 2_000_000
    assert report.currency == "VND"
    assert report.paid_at == dt.datetime(2026, 11, 2, 2, 3, tzinfo=dt.UTC)
    assert report.transaction_id == "14000001" and report.bank_code == "NCB"
    assert "vnp_SecureHash" not in report.raw


def test_the_hash_may_come_in_upper_case_hex() -> None:
    query = signed_query(ipn_fields())
    query["vnp_SecureHash"] = query["vnp_SecureHash"].upper()
    assert VnpayProvider(provider()).parse_notification(ipn(query)).status == ReportedStatus.PAID


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda q: {**q, "vnp_Amount": "100"}, id="amount-changed"),
        pytest.param(
            lambda q: {**q, "vnp_ResponseCode": "00", "vnp_TransactionStatus": "01"}, id="status-changed"
        ),
        pytest.param(lambda q: {**q, "vnp_SecureHash": "ab" * 64}, id="forged-hash"),
        pytest.param(lambda q: {k: v for k, v in q.items() if k != "vnp_SecureHash"}, id="no-hash"),
        pytest.param(lambda q: signed_query(ipn_fields(), "another-secret"), id="another-secret"),
        pytest.param(lambda q: {**q, "vnp_Extra": "1"}, id="field-added"),
    ],
)
def test_a_tampered_or_forged_ipn_is_rejected_as_bad_signature(spoil: Any) -> None:
    query = spoil(signed_query(ipn_fields(vnp_TransactionStatus="02", vnp_ResponseCode="51")))
    with pytest.raises(CallbackRejected) as caught:
        VnpayProvider(provider()).parse_notification(ipn(query))
    assert caught.value.outcome == CallbackOutcome.BAD_SIGNATURE
    assert caught.value.order_reference == REFERENCE


def test_an_amount_that_is_not_whole_dong_is_malformed() -> None:
    with pytest.raises(CallbackRejected) as caught:
        VnpayProvider(provider()).parse_notification(ipn(signed_query(ipn_fields(vnp_Amount="200000050"))))
    assert caught.value.outcome == CallbackOutcome.MALFORMED


def test_an_ipn_signed_for_another_terminal_is_refused() -> None:
    with pytest.raises(CallbackRejected) as caught:
        VnpayProvider(provider()).parse_notification(ipn(signed_query(ipn_fields(vnp_TmnCode="OTHER001"))))
    assert caught.value.outcome == CallbackOutcome.MALFORMED


def test_a_field_given_twice_is_malformed() -> None:
    query = urlencode(signed_query(ipn_fields())) + "&vnp_Amount=100"
    request = RequestFactory().get("/thanh-toan/tb/ipn/sandbox-vnpay/?" + query)
    with pytest.raises(CallbackRejected) as caught:
        VnpayProvider(provider()).parse_notification(request)
    assert caught.value.outcome == CallbackOutcome.MALFORMED


@pytest.mark.parametrize(
    ("response_code", "state", "status"),
    [
        ("00", "00", ReportedStatus.PAID),
        ("24", "02", ReportedStatus.FAILED),  # the payer cancelled
        ("51", "02", ReportedStatus.FAILED),  # not enough money
        ("01", "01", ReportedStatus.PENDING),  # not finished
        ("07", "07", ReportedStatus.PENDING),  # money held as suspicious
    ],
)
def test_response_and_transaction_status_codes_map_to_the_report(
    response_code: str, state: str, status: ReportedStatus
) -> None:
    fields = ipn_fields(vnp_ResponseCode=response_code, vnp_TransactionStatus=state)
    report = VnpayProvider(provider()).parse_notification(ipn(signed_query(fields)))
    assert report.status == status
    assert (report.paid_at is not None) == (status == ReportedStatus.PAID)


def test_a_payment_without_its_pay_date_is_malformed() -> None:
    with pytest.raises(CallbackRejected) as caught:
        VnpayProvider(provider()).parse_notification(ipn(signed_query(ipn_fields(vnp_PayDate="2026-11-02"))))
    assert caught.value.outcome == CallbackOutcome.MALFORMED


def test_the_return_is_verified_like_the_ipn() -> None:
    plugin = VnpayProvider(provider())
    assert plugin.parse_return(ipn(signed_query(ipn_fields()))).status == ReportedStatus.PAID
    with pytest.raises(CallbackRejected):
        plugin.parse_return(ipn({**signed_query(ipn_fields()), "vnp_Amount": "100"}))


@pytest.mark.parametrize(
    ("outcome", "code"),
    [
        (CallbackOutcome.APPLIED, "00"),
        (CallbackOutcome.LATE, "00"),
        (CallbackOutcome.DUPLICATE, "02"),
        (CallbackOutcome.IGNORED, "02"),
        (CallbackOutcome.UNKNOWN_ORDER, "01"),
        (CallbackOutcome.AMOUNT_MISMATCH, "04"),
        (CallbackOutcome.BAD_SIGNATURE, "97"),
        (CallbackOutcome.MALFORMED, "99"),
        (CallbackOutcome.OUT_OF_WINDOW, "99"),
        (CallbackOutcome.ERROR, "99"),
    ],
)
def test_each_outcome_is_acknowledged_with_vnpays_rsp_code(outcome: CallbackOutcome, code: str) -> None:
    response = VnpayProvider(provider()).acknowledge(outcome)
    assert response.status_code == 200
    assert json.loads(response.content)["RspCode"] == code


# --- querydr and refund ---------------------------------------------------------------------------------------


class FakeResponse:
    def __init__(self, status_code: int, body: Any) -> None:
        self.status_code = status_code
        self.body = body

    def json(self) -> Any:
        if isinstance(self.body, Exception):
            raise self.body
        return self.body


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """requests.post replaced: records the call, answers `state["answer"]` (a callable of the body)."""
    state: dict[str, Any] = {"calls": []}

    def post(url: str, json: Any = None, timeout: Any = None, **kwargs: Any) -> Any:
        state["calls"].append({"url": url, "body": json, "timeout": timeout})
        answer = state["answer"]
        if isinstance(answer, Exception):
            raise answer
        return answer(json)

    monkeypatch.setattr("dichvucong.payments.providers.vnpay.requests.post", post)
    return state


def querydr_answer(body: dict[str, str], **overrides: str) -> dict[str, str]:
    fields = {
        "vnp_ResponseId": "r1",
        "vnp_Command": "querydr",
        "vnp_ResponseCode": "00",
        "vnp_Message": "QueryDR Success",
        "vnp_TmnCode": TMN,
        "vnp_TxnRef": body["vnp_TxnRef"],
        "vnp_Amount": "200000000",
        "vnp_BankCode": "NCB",
        "vnp_PayDate": "20261102090300",
        "vnp_TransactionNo": "14000001",
        "vnp_TransactionType": "01",
        "vnp_TransactionStatus": "00",
        "vnp_OrderInfo": "Thanh toan",
    }
    fields.update(overrides)
    data = "|".join(fields.get(name, "") for name in ANSWER_ORDER.split("|")) + "||"
    return {**fields, "vnp_PromotionCode": "", "vnp_PromotionAmount": "", "vnp_SecureHash": hmac512(data)}


def test_querydr_is_signed_over_the_piped_fields_in_vnpays_order(api: dict[str, Any], settings: Any) -> None:
    api["answer"] = lambda body: FakeResponse(200, querydr_answer(body))
    report = VnpayProvider(provider()).query(order())
    [call] = api["calls"]
    body = call["body"]
    assert call["url"] == "http://bank.test/merchant_webapi/api/transaction"
    assert call["timeout"] == (
        settings.PAYMENT_CONNECT_TIMEOUT_SECONDS,
        settings.PAYMENT_READ_TIMEOUT_SECONDS,
    )
    assert body["vnp_Command"] == "querydr" and body["vnp_Version"] == "2.1.0"
    assert body["vnp_TransactionDate"] == "20261102090000"  # the payment URL's vnp_CreateDate
    assert body["vnp_SecureHash"] == hmac512("|".join(body[name] for name in QUERY_ORDER.split("|")))
    assert report.status == ReportedStatus.PAID and report.amount == 2_000_000
    assert report.transaction_id == "14000001"
    assert report.paid_at == dt.datetime(2026, 11, 2, 2, 3, tzinfo=dt.UTC)


def test_a_querydr_answer_whose_hash_does_not_match_is_rejected(api: dict[str, Any]) -> None:
    api["answer"] = lambda body: FakeResponse(200, {**querydr_answer(body), "vnp_Amount": "100"})
    with pytest.raises(CallbackRejected) as caught:
        VnpayProvider(provider()).query(order())
    assert caught.value.outcome == CallbackOutcome.BAD_SIGNATURE


def test_querydr_of_a_transaction_vnpay_never_saw_reports_pending(api: dict[str, Any]) -> None:
    api["answer"] = lambda body: FakeResponse(200, {"vnp_ResponseCode": "91", "vnp_Message": "Not found"})
    assert VnpayProvider(provider()).query(order()).status == ReportedStatus.PENDING


def test_querydr_of_an_unfinished_payment_reports_pending(api: dict[str, Any]) -> None:
    api["answer"] = lambda body: FakeResponse(
        200, querydr_answer(body, vnp_TransactionStatus="01", vnp_PayDate="", vnp_TransactionNo="")
    )
    assert VnpayProvider(provider()).query(order()).status == ReportedStatus.PENDING


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(requests.ConnectionError("refused"), id="network"),
        pytest.param(lambda body: FakeResponse(503, {}), id="5xx"),
        pytest.param(lambda body: FakeResponse(200, ValueError("not json")), id="not-json"),
        pytest.param(lambda body: FakeResponse(200, {"vnp_ResponseCode": "97"}), id="our-hash-refused"),
    ],
)
def test_querydr_failures_are_provider_unavailable(api: dict[str, Any], answer: Any) -> None:
    api["answer"] = answer
    with pytest.raises(ProviderUnavailable):
        VnpayProvider(provider()).query(order())


def refund_answer(body: dict[str, str], code: str = "00") -> dict[str, str]:
    fields = {
        "vnp_ResponseId": "r2",
        "vnp_Command": "refund",
        "vnp_ResponseCode": code,
        "vnp_Message": "Refund success",
        "vnp_TmnCode": TMN,
        "vnp_TxnRef": body["vnp_TxnRef"],
        "vnp_Amount": body["vnp_Amount"],
        "vnp_BankCode": "NCB",
        "vnp_PayDate": "20261102100000",
        "vnp_TransactionNo": "14000002",
        "vnp_TransactionType": body["vnp_TransactionType"],
        "vnp_TransactionStatus": "05",
        "vnp_OrderInfo": body["vnp_OrderInfo"],
    }
    data = "|".join(fields[name] for name in ANSWER_ORDER.split("|"))
    return {**fields, "vnp_SecureHash": hmac512(data)}


@pytest.mark.parametrize(("amount", "kind"), [(2_000_000, "02"), (500_000, "03")])
def test_a_refund_is_signed_whole_or_partial_and_its_confirmation_checked(
    api: dict[str, Any], amount: int, kind: str
) -> None:
    api["answer"] = lambda body: FakeResponse(200, refund_answer(body))
    result = VnpayProvider(provider()).refund(
        order(), amount=amount, reference="HT261102100000123456", reason="Nộp thừa"
    )
    body = api["calls"][0]["body"]
    assert body["vnp_TransactionType"] == kind and body["vnp_Amount"] == str(amount * 100)
    assert body["vnp_RequestId"] == "HT261102100000123456" and body["vnp_TransactionNo"] == "14000001"
    assert body["vnp_SecureHash"] == hmac512("|".join(body[name] for name in REFUND_ORDER.split("|")))
    assert result.succeeded and result.transaction_id == "14000002"


def test_a_refused_refund_is_a_failure_and_one_in_progress_is_unavailable(api: dict[str, Any]) -> None:
    plugin = VnpayProvider(provider())
    api["answer"] = lambda body: FakeResponse(
        200, {"vnp_ResponseCode": "95", "vnp_Message": "Not refundable"}
    )
    assert not plugin.refund(order(), amount=1000, reference="HT1", reason="x").succeeded
    api["answer"] = lambda body: FakeResponse(200, {"vnp_ResponseCode": "94"})
    with pytest.raises(ProviderUnavailable):
        plugin.refund(order(), amount=1000, reference="HT2", reason="x")
