"""The provider callback endpoints through the Django test client: a verified notification pays the order
through the services and is answered in the provider's words; a forged one is recorded and changes nothing; the
payer's return is verified and shown, never applied."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import quote_plus, urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dichvucong.payments import callbacks
from dichvucong.payments.models import CallbackSource, OrderStatus, ProviderCallback
from tests.payments.factories import make_order, make_provider

pytestmark = pytest.mark.django_db

VNPAY_SECRET = "SANDBOXVNPAYSECRET2026DVCQG00001"
MOMO_SECRET = "sandboxMomoSecretKey2026DVCQG"
MOMO_ACCESS = "sandboxMomoAccessKey"
GMT7 = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def vnpay_order() -> Any:
    provider = make_provider("sandbox-vnpay", "vnpay", merchant_code="DVCQG001", secret=VNPAY_SECRET)
    return make_order(provider=provider, now=timezone.now() - dt.timedelta(minutes=1))


@pytest.fixture
def momo_order() -> Any:
    provider = make_provider(
        "sandbox-momo", "momo", merchant_code="MOMODVCQG2026", access_key=MOMO_ACCESS, secret=MOMO_SECRET
    )
    return make_order(provider=provider, now=timezone.now() - dt.timedelta(minutes=1))


def vnpay_query(order: Any, *, secret: str = VNPAY_SECRET, **overrides: str) -> dict[str, str]:
    fields = {
        "vnp_Amount": str(order.amount * 100),
        "vnp_BankCode": "NCB",
        "vnp_OrderInfo": "Thanh toan",
        "vnp_PayDate": timezone.now().astimezone(GMT7).strftime("%Y%m%d%H%M%S"),
        "vnp_ResponseCode": "00",
        "vnp_TmnCode": "DVCQG001",
        "vnp_TransactionNo": "14000001",
        "vnp_TransactionStatus": "00",
        "vnp_TxnRef": order.reference,
    }
    fields.update(overrides)
    data = urlencode(sorted(fields.items()), quote_via=quote_plus)
    return {**fields, "vnp_SecureHash": hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()}


def momo_body(order: Any, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "partnerCode": "MOMODVCQG2026",
        "orderId": order.reference,
        "requestId": order.reference,
        "amount": order.amount,
        "orderInfo": "Thanh toan",
        "orderType": "momo_wallet",
        "transId": 4000000001,
        "resultCode": 0,
        "message": "Thành công.",
        "payType": "qr",
        "responseTime": int(timezone.now().timestamp() * 1000),
        "extraData": "",
    }
    body.update(overrides)
    names = [
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
    ]
    raw = f"accessKey={MOMO_ACCESS}&" + "&".join(f"{name}={body[name]}" for name in names)
    return {**body, "signature": hmac.new(MOMO_SECRET.encode(), raw.encode(), hashlib.sha256).hexdigest()}


def ipn_path(code: str) -> str:
    return reverse("payment_ipn", kwargs={"provider_code": code})


def rsp_code(response: Any) -> str:
    assert response.status_code == 200
    return str(json.loads(response.content)["RspCode"])


# --- VNPAY's IPN (GET) -----------------------------------------------------------------------------------------


def test_a_signed_vnpay_ipn_pays_the_order(client: Client, vnpay_order: Any) -> None:
    response = client.get(ipn_path("sandbox-vnpay"), vnpay_query(vnpay_order))
    vnpay_order.refresh_from_db()
    assert rsp_code(response) == "00"
    assert vnpay_order.status == OrderStatus.PAID and vnpay_order.provider_transaction == "14000001"
    trace = ProviderCallback.objects.get(order_reference=vnpay_order.reference)
    assert trace.verified and trace.source == CallbackSource.NOTIFICATION and trace.outcome == "applied"


def test_a_repeated_vnpay_ipn_is_answered_already_confirmed(client: Client, vnpay_order: Any) -> None:
    query = vnpay_query(vnpay_order)
    assert rsp_code(client.get(ipn_path("sandbox-vnpay"), query)) == "00"
    assert rsp_code(client.get(ipn_path("sandbox-vnpay"), query)) == "02"


def test_a_forged_vnpay_ipn_is_recorded_answered_97_and_pays_nothing(
    client: Client, vnpay_order: Any
) -> None:
    response = client.get(ipn_path("sandbox-vnpay"), vnpay_query(vnpay_order, secret="guessed-secret"))
    vnpay_order.refresh_from_db()
    assert rsp_code(response) == "97"
    assert vnpay_order.status == OrderStatus.CREATED
    trace = ProviderCallback.objects.get(order_reference=vnpay_order.reference)
    assert not trace.verified and trace.outcome == "bad_signature"


def test_a_vnpay_ipn_for_an_unknown_order_is_answered_01(client: Client, vnpay_order: Any) -> None:
    vnpay_order.reference = "TT0000000000000000"
    assert rsp_code(client.get(ipn_path("sandbox-vnpay"), vnpay_query(vnpay_order))) == "01"


def test_a_vnpay_ipn_of_another_amount_is_answered_04(client: Client, vnpay_order: Any) -> None:
    query = vnpay_query(vnpay_order, vnp_Amount=str((vnpay_order.amount - 1000) * 100))
    assert rsp_code(client.get(ipn_path("sandbox-vnpay"), query)) == "04"
    vnpay_order.refresh_from_db()
    assert vnpay_order.status == OrderStatus.CREATED


def test_an_error_on_our_side_is_answered_so_that_vnpay_sends_again(
    client: Client, vnpay_order: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr("dichvucong.payments.services.apply_report", broken)
    assert rsp_code(client.get(ipn_path("sandbox-vnpay"), vnpay_query(vnpay_order))) == "99"


@pytest.mark.parametrize("code", ["no-such-bank", "sandbox-vnpay"])
def test_an_ipn_for_an_unknown_or_inactive_provider_is_a_404_problem(
    client: Client, vnpay_order: Any, code: str
) -> None:
    vnpay_order.provider.is_active = False
    vnpay_order.provider.save()
    response = client.get(ipn_path(code), vnpay_query(vnpay_order))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


# --- MoMo's IPN (POST JSON) --------------------------------------------------------------------------------------


def test_a_signed_momo_ipn_pays_the_order_and_a_repeat_is_taken_too(client: Client, momo_order: Any) -> None:
    body = json.dumps(momo_body(momo_order))
    first = client.post(ipn_path("sandbox-momo"), body, content_type="application/json")
    again = client.post(ipn_path("sandbox-momo"), body, content_type="application/json")
    momo_order.refresh_from_db()
    assert first.status_code == again.status_code == 204
    assert momo_order.status == OrderStatus.PAID
    assert list(
        ProviderCallback.objects.filter(order_reference=momo_order.reference)
        .order_by("id")
        .values_list("outcome", flat=True)
    ) == ["applied", "duplicate"]


def test_a_forged_momo_ipn_is_refused_and_recorded(client: Client, momo_order: Any) -> None:
    body = {**momo_body(momo_order), "amount": 1000}
    response = client.post(ipn_path("sandbox-momo"), json.dumps(body), content_type="application/json")
    momo_order.refresh_from_db()
    assert response.status_code == 400
    assert momo_order.status == OrderStatus.CREATED
    assert ProviderCallback.objects.get(order_reference=momo_order.reference).outcome == "bad_signature"


# --- the payer's return ----------------------------------------------------------------------------------------


def test_a_signed_return_shows_the_order_but_never_pays_it(client: Client, vnpay_order: Any) -> None:
    response = client.get(
        reverse("payment_return", kwargs={"provider_code": "sandbox-vnpay"}), vnpay_query(vnpay_order)
    )
    vnpay_order.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:payment_order", kwargs={"reference": vnpay_order.reference})
    assert vnpay_order.status == OrderStatus.CREATED
    trace = ProviderCallback.objects.get(order_reference=vnpay_order.reference)
    assert trace.source == CallbackSource.RETURN and trace.verified and trace.outcome == "ignored"


def test_a_forged_return_is_recorded_and_changes_nothing(client: Client, momo_order: Any) -> None:
    query = {k: str(v) for k, v in momo_body(momo_order).items()}
    query["signature"] = "0" * 64
    response = client.get(reverse("payment_return", kwargs={"provider_code": "sandbox-momo"}), query)
    momo_order.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:payment_order", kwargs={"reference": momo_order.reference})
    assert momo_order.status == OrderStatus.CREATED
    trace = ProviderCallback.objects.get(order_reference=momo_order.reference)
    assert trace.source == CallbackSource.RETURN and not trace.verified


def test_the_callback_urls_are_absolute_on_the_portals_base_url(settings: Any, vnpay_order: Any) -> None:
    settings.PORTAL_BASE_URL = "https://dichvucong.example.vn/"
    provider = vnpay_order.provider
    assert callbacks.notify_url(provider) == "https://dichvucong.example.vn/thanh-toan/tb/ipn/sandbox-vnpay/"
    assert callbacks.return_url(provider) == "https://dichvucong.example.vn/thanh-toan/tb/ve/sandbox-vnpay/"
