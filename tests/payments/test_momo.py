"""MoMo AIO v2 (captureWallet), merchant side: creating the payment, the IPN and return checks, the answers to
the IPN, the status query and refunds. Raw signatures are written out here as MoMo documents them (and one
fixed vector from openssl), never built with the plugin's own functions."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

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
from dichvucong.payments.providers.momo import MomoProvider
from tests.payments.factories import MONDAY_9AM

PARTNER = "MOMODVCQG2026"
ACCESS_KEY = "sandboxMomoAccessKey"
SECRET = "sandboxMomoSecretKey2026DVCQG"
REFERENCE = "TT2611020900001234"
PAID_AT_MS = 1793584980000  # 2026-11-02 09:03:00 in Hà Nội


def hmac256(raw: str, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), raw.encode(), hashlib.sha256).hexdigest()


def ipn_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "partnerCode": PARTNER,
        "orderId": REFERENCE,
        "requestId": REFERENCE,
        "amount": 2_000_000,
        "orderInfo": "Thanh toan",
        "orderType": "momo_wallet",
        "transId": 4000000001,
        "resultCode": 0,
        "message": "Successful.",
        "payType": "qr",
        "responseTime": PAID_AT_MS,
        "extraData": "",
    }
    body.update(overrides)
    raw = (
        f"accessKey={ACCESS_KEY}&amount={body['amount']}&extraData={body['extraData']}&message={body['message']}"
        f"&orderId={body['orderId']}&orderInfo={body['orderInfo']}&orderType={body['orderType']}"
        f"&partnerCode={body['partnerCode']}&payType={body['payType']}&requestId={body['requestId']}"
        f"&responseTime={body['responseTime']}&resultCode={body['resultCode']}&transId={body['transId']}"
    )
    return {**body, "signature": hmac256(raw)}


def provider() -> Provider:
    return Provider(
        code="sandbox-momo",
        protocol="momo",
        merchant_code=PARTNER,
        access_key=ACCESS_KEY,
        secret=SECRET,
        endpoint_url="http://bank.test",
    )


def order(**overrides: Any) -> PaymentOrder:
    values: dict[str, Any] = {
        "reference": REFERENCE,
        "amount": 2_000_000,
        "created_at": MONDAY_9AM,
        "expires_at": MONDAY_9AM + dt.timedelta(minutes=15),
        "provider_transaction": "4000000001",
    }
    values.update(overrides)
    return PaymentOrder(**values)


def post(body: Any) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return RequestFactory().post("/thanh-toan/tb/ipn/sandbox-momo/", raw, content_type="application/json")


def test_the_ipn_signature_matches_a_vector_computed_by_openssl() -> None:
    assert ipn_body()["signature"] == "9e503a7a779012317c20dc422fa762def7152f7459817921413df5fdb4f2f756"


# --- the IPN and the return ----------------------------------------------------------------------------------


def test_a_signed_ipn_reports_the_payment_at_its_response_time() -> None:
    report = MomoProvider(provider()).parse_notification(post(ipn_body()))
    assert report.status == ReportedStatus.PAID
    assert report.order_reference == REFERENCE and report.amount == 2_000_000 and report.currency == "VND"
    assert report.transaction_id == "4000000001"
    assert report.paid_at == dt.datetime(2026, 11, 2, 2, 3, tzinfo=dt.UTC)
    assert "signature" not in report.raw


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda b: {**b, "amount": 1000}, id="amount-changed"),
        pytest.param(lambda b: {**b, "resultCode": 0, "message": "Successful!"}, id="message-changed"),
        pytest.param(lambda b: {**b, "signature": "0" * 64}, id="forged"),
        pytest.param(lambda b: {k: v for k, v in b.items() if k != "signature"}, id="unsigned"),
        pytest.param(lambda b: {**b, "amount": 2_000_000.0}, id="amount-as-float"),
    ],
)
def test_a_tampered_or_forged_ipn_is_rejected_as_bad_signature(spoil: Any) -> None:
    with pytest.raises(CallbackRejected) as caught:
        MomoProvider(provider()).parse_notification(post(spoil(ipn_body())))
    assert caught.value.outcome == CallbackOutcome.BAD_SIGNATURE
    assert caught.value.order_reference == REFERENCE


def test_an_ipn_signed_with_another_access_key_is_rejected() -> None:
    other = provider()
    other.access_key = "anotherKey"
    with pytest.raises(CallbackRejected):
        MomoProvider(other).parse_notification(post(ipn_body()))


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]"])
def test_a_body_that_is_not_a_json_object_is_malformed(body: bytes) -> None:
    with pytest.raises(CallbackRejected) as caught:
        MomoProvider(provider()).parse_notification(post(body))
    assert caught.value.outcome == CallbackOutcome.MALFORMED


def test_an_ipn_for_another_partner_is_refused() -> None:
    with pytest.raises(CallbackRejected) as caught:
        MomoProvider(provider()).parse_notification(post(ipn_body(partnerCode="MOMOOTHER")))
    assert caught.value.outcome == CallbackOutcome.MALFORMED


@pytest.mark.parametrize(
    ("result_code", "status"),
    [
        (0, ReportedStatus.PAID),
        (9000, ReportedStatus.PENDING),  # authorised, not captured
        (1000, ReportedStatus.PENDING),  # waiting for the payer
        (1001, ReportedStatus.FAILED),  # not enough money in the wallet
        (1006, ReportedStatus.FAILED),  # the payer refused
    ],
)
def test_result_codes_map_to_the_report(result_code: int, status: ReportedStatus) -> None:
    report = MomoProvider(provider()).parse_notification(post(ipn_body(resultCode=result_code)))
    assert report.status == status


def test_the_return_carries_the_ipn_fields_in_the_query_and_is_verified_the_same_way() -> None:
    plugin = MomoProvider(provider())
    query = {k: str(v) for k, v in ipn_body().items()}
    request = RequestFactory().get("/thanh-toan/tb/ve/sandbox-momo/?" + urlencode(query))
    assert plugin.parse_return(request).status == ReportedStatus.PAID
    tampered = RequestFactory().get("/?" + urlencode({**query, "resultCode": "1006"}))
    with pytest.raises(CallbackRejected):
        plugin.parse_return(tampered)


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (CallbackOutcome.APPLIED, 204),
        (CallbackOutcome.DUPLICATE, 204),
        (CallbackOutcome.IGNORED, 204),
        (CallbackOutcome.LATE, 204),
        (CallbackOutcome.ERROR, 503),
        (CallbackOutcome.BAD_SIGNATURE, 400),
        (CallbackOutcome.AMOUNT_MISMATCH, 400),
    ],
)
def test_taken_notifications_are_answered_204_and_others_so_that_momo_sends_again(
    outcome: CallbackOutcome, status: int
) -> None:
    assert MomoProvider(provider()).acknowledge(outcome).status_code == status


# --- create, query, refund -------------------------------------------------------------------------------------


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
    state: dict[str, Any] = {"calls": []}

    def fake_post(url: str, json: Any = None, timeout: Any = None, **kwargs: Any) -> Any:
        state["calls"].append({"url": url, "body": json, "timeout": timeout})
        answer = state["answer"]
        if isinstance(answer, Exception):
            raise answer
        return answer(json)

    monkeypatch.setattr("dichvucong.payments.providers.momo.requests.post", fake_post)
    return state


def checkout(plugin: MomoProvider) -> str:
    return plugin.checkout(
        order(),
        description="Thanh toan phat vi pham 123/QD-XPHC",
        return_url="http://portal.test/thanh-toan/tb/ve/sandbox-momo/",
        notify_url="http://portal.test/thanh-toan/tb/ipn/sandbox-momo/",
        client_ip="203.0.113.7",
        language="vi",
    ).url


def created(body: dict[str, Any], **overrides: Any) -> FakeResponse:
    answer = {
        "partnerCode": PARTNER,
        "requestId": body["requestId"],
        "orderId": body["orderId"],
        "amount": body["amount"],
        "responseTime": PAID_AT_MS,
        "message": "Thành công.",
        "resultCode": 0,
        "payUrl": "http://bank.test/momo/pay/abc",
    }
    answer.update(overrides)
    return FakeResponse(200, answer)


def test_create_is_signed_over_momos_raw_signature_and_returns_the_pay_url(api: dict[str, Any]) -> None:
    api["answer"] = created
    assert checkout(MomoProvider(provider())) == "http://bank.test/momo/pay/abc"
    [call] = api["calls"]
    body = call["body"]
    assert call["url"] == "http://bank.test/v2/gateway/api/create"
    assert body["requestType"] == "captureWallet" and body["amount"] == 2_000_000
    assert (
        body["orderId"] == body["requestId"] == REFERENCE
    )  # the same order: the same request, answered once
    raw = (
        f"accessKey={ACCESS_KEY}&amount=2000000&extraData=&ipnUrl=http://portal.test/thanh-toan/tb/ipn/sandbox-momo/"
        f"&orderId={REFERENCE}&orderInfo=Thanh toan phat vi pham 123/QD-XPHC&partnerCode={PARTNER}"
        f"&redirectUrl=http://portal.test/thanh-toan/tb/ve/sandbox-momo/&requestId={REFERENCE}"
        "&requestType=captureWallet"
    )
    assert body["signature"] == hmac256(raw)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda body: created(body, resultCode=41, payUrl=None), id="refused"),
        pytest.param(lambda body: created(body, amount=1000), id="another-amount"),
        pytest.param(lambda body: created(body, payUrl="javascript:alert(1)"), id="odd-url"),
        pytest.param(lambda body: FakeResponse(502, {}), id="5xx"),
        pytest.param(requests.Timeout("slow"), id="timeout"),
    ],
)
def test_a_create_that_fails_is_provider_unavailable(api: dict[str, Any], answer: Any) -> None:
    api["answer"] = answer
    with pytest.raises(ProviderUnavailable):
        checkout(MomoProvider(provider()))


def queried(body: dict[str, Any], **overrides: Any) -> FakeResponse:
    answer = {
        "partnerCode": PARTNER,
        "requestId": body["requestId"],
        "orderId": body["orderId"],
        "extraData": "",
        "amount": 2_000_000,
        "transId": 4000000001,
        "payType": "qr",
        "resultCode": 0,
        "refundTrans": [],
        "message": "Thành công.",
        "responseTime": PAID_AT_MS + 3_600_000,
        "lastUpdated": PAID_AT_MS,
    }
    answer.update(overrides)
    return FakeResponse(200, answer)


def test_the_query_is_signed_and_a_payment_is_dated_by_its_last_update(api: dict[str, Any]) -> None:
    api["answer"] = queried
    report = MomoProvider(provider()).query(order())
    body = api["calls"][0]["body"]
    assert api["calls"][0]["url"] == "http://bank.test/v2/gateway/api/query"
    raw = f"accessKey={ACCESS_KEY}&orderId={REFERENCE}&partnerCode={PARTNER}&requestId={body['requestId']}"
    assert body["signature"] == hmac256(raw)
    assert report.status == ReportedStatus.PAID and report.transaction_id == "4000000001"
    assert report.paid_at == dt.datetime(
        2026, 11, 2, 2, 3, tzinfo=dt.UTC
    )  # not the answer's time, an hour later


@pytest.mark.parametrize(
    ("code", "status"),
    [(1000, ReportedStatus.PENDING), (42, ReportedStatus.PENDING), (1006, ReportedStatus.FAILED)],
)
def test_query_result_codes_map_to_the_report(api: dict[str, Any], code: int, status: ReportedStatus) -> None:
    api["answer"] = lambda body: queried(body, resultCode=code)
    assert MomoProvider(provider()).query(order()).status == status


def test_a_query_refused_for_our_signature_is_provider_unavailable(api: dict[str, Any]) -> None:
    api["answer"] = lambda body: queried(body, resultCode=13)
    with pytest.raises(ProviderUnavailable):
        MomoProvider(provider()).query(order())


def test_a_refund_is_signed_with_its_own_order_id_and_the_payments_trans_id(api: dict[str, Any]) -> None:
    api["answer"] = lambda body: FakeResponse(
        200,
        {
            "partnerCode": PARTNER,
            "orderId": body["orderId"],
            "amount": body["amount"],
            "transId": 4000000002,
            "resultCode": 0,
        },
    )
    result = MomoProvider(provider()).refund(
        order(), amount=500_000, reference="HT261102100000123456", reason="Nộp thừa"
    )
    body = api["calls"][0]["body"]
    assert api["calls"][0]["url"] == "http://bank.test/v2/gateway/api/refund"
    raw = (
        f"accessKey={ACCESS_KEY}&amount=500000&description=Nộp thừa&orderId=HT261102100000123456"
        f"&partnerCode={PARTNER}&requestId=HT261102100000123456&transId=4000000001"
    )
    assert body["signature"] == hmac256(raw)
    assert result.succeeded and result.transaction_id == "4000000002"


def test_a_refund_without_the_payments_trans_id_fails_without_calling_momo(api: dict[str, Any]) -> None:
    result = MomoProvider(provider()).refund(
        order(provider_transaction=""), amount=1000, reference="HT1", reason="x"
    )
    assert not result.succeeded and api["calls"] == []
