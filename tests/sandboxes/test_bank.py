"""sandbox-bank run as a real subprocess: payments through its VNPAY-like and MoMo-like pages, the signed IPNs
and returns the portal's plugins accept, the merchant APIs (query, refund) with their errors, the test controls
(fail, delay, repeat, hold and reorder, drop, outage), the statement, a restart; then with the portal itself
(live server): an IPN pays the order, a dropped IPN is settled by a query, a refund, the statement."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests
from django.test import RequestFactory

from dichvucong.payments.providers import plugin_for
from dichvucong.payments.providers.base import ProviderUnavailable, ReportedStatus
from tests.sandboxes.bank import (
    CARD_LOCKED,
    CARD_NO_MONEY,
    LABEL,
    MOMO_PARTNER,
    OTP,
    VNPAY_TMN,
    WALLET_EMPTY,
    BankServer,
    FakePortal,
    Received,
    acknowledge_all,
    checkout_url,
    fake_portal,
    form_action,
    momo_provider,
    pay_momo,
    pay_vnpay,
    returned_fields,
    running_bank,
    unsaved_order,
    vnpay_provider,
)
from tests.sandboxes.onestop import wait_for

pytestmark = pytest.mark.xdist_group("sandbox-bank")
GMT7 = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture(scope="module")
def portal() -> Iterator[FakePortal]:
    with fake_portal() as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def bank_server(tmp_path_factory: pytest.TempPathFactory, portal: FakePortal) -> Iterator[BankServer]:
    env = {"SANDBOX_BANK_VNPAY_IPN_URL": portal.vnpay_ipn_url, "SANDBOX_BANK_IPN_MAX_ATTEMPTS": "3"}
    with running_bank(tmp_path_factory.mktemp("bank"), **env) as server:
        yield server


@pytest.fixture
def bank(bank_server: BankServer, portal: FakePortal) -> BankServer:
    """The module's sandbox, emptied, with a portal that acknowledges every IPN."""
    bank_server.reset(data=True)
    with portal.lock:
        portal.received.clear()
    portal.answer = acknowledge_all
    return bank_server


def request_from(fields: dict[str, str]) -> Any:
    return RequestFactory().get("/?" + urlencode(fields))


def ipns_for(portal: FakePortal, reference: str) -> list[Received]:
    return [r for r in portal.ipns() if r.order == reference]


def vnpay_paid(bank: BankServer, portal: FakePortal, **pay: Any) -> tuple[Any, dict[str, str]]:
    """An order paid (or not) through the VNPAY-like pages; the order and the fields of the return."""
    order = unsaved_order()
    answer = pay_vnpay(checkout_url(vnpay_provider(bank.url), order, portal.url), **pay)
    return order, returned_fields(answer)


# --- the VNPAY-like gateway ------------------------------------------------------------------------------------


def test_a_card_payment_sends_the_payer_back_and_the_portal_an_ipn_both_signed(
    bank: BankServer, portal: FakePortal
) -> None:
    order, fields = vnpay_paid(bank, portal)
    plugin = plugin_for(vnpay_provider(bank.url))
    returned = plugin.parse_return(request_from(fields))
    assert returned.status == ReportedStatus.PAID and returned.amount == order.amount
    [ipn] = wait_for(lambda: ipns_for(portal, order.reference), what="the IPN")
    assert ipn.method == "GET" and ipn.path == "/thanh-toan/tb/ipn/sandbox-vnpay/"
    notified = plugin.parse_notification(request_from(ipn.query))
    assert notified.status == ReportedStatus.PAID
    assert notified.transaction_id == returned.transaction_id and notified.bank_code == "NCB"
    assert abs(notified.paid_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)  # type: ignore[operator]
    sent = wait_for(lambda: bank.ipns(order.reference)[0]["state"] == "sent" and bank.ipns(order.reference))
    assert sent[0]["attempts"][0]["acknowledged"] is True


def test_the_return_location_is_the_merchants_return_url(bank: BankServer, portal: FakePortal) -> None:
    order = unsaved_order()
    answer = pay_vnpay(checkout_url(vnpay_provider(bank.url), order, portal.url))
    assert answer.headers["Location"].startswith(f"{portal.url}/thanh-toan/tb/ve/sandbox-vnpay/?")


def _spoiled(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        pytest.param({"vnp_Amount": "100000"}, "97", id="amount-changed"),
        pytest.param({"vnp_SecureHash": "00" * 64}, "97", id="forged-hash"),
        pytest.param({"vnp_TmnCode": "OTHER001"}, "02", id="unknown-terminal"),
    ],
)
def test_a_payment_url_not_signed_by_the_merchant_is_refused_as_vnpay_does(
    bank: BankServer, portal: FakePortal, changes: dict[str, str], code: str
) -> None:
    url = _spoiled(checkout_url(vnpay_provider(bank.url), unsaved_order(), portal.url), **changes)
    page = requests.get(url, timeout=10)
    assert page.status_code == 400
    assert f'<code id="ma-loi">{code}</code>' in page.text
    assert bank.payments() == {}


def test_a_payment_url_past_its_expiry_is_refused(bank: BankServer, portal: FakePortal) -> None:
    order = unsaved_order()
    order.created_at -= dt.timedelta(minutes=30)
    order.expires_at = order.created_at + dt.timedelta(minutes=15)
    page = requests.get(checkout_url(vnpay_provider(bank.url), order, portal.url), timeout=10)
    assert page.status_code == 400 and '<code id="ma-loi">11</code>' in page.text


@pytest.mark.parametrize(("card", "code"), [(CARD_NO_MONEY, "51"), (CARD_LOCKED, "12")])
def test_a_test_card_without_money_or_locked_fails_the_payment(
    bank: BankServer, portal: FakePortal, card: str, code: str
) -> None:
    _order, fields = vnpay_paid(bank, portal, card=card)
    assert fields["vnp_ResponseCode"] == code and fields["vnp_TransactionStatus"] == "02"
    assert (
        plugin_for(vnpay_provider(bank.url)).parse_return(request_from(fields)).status
        == ReportedStatus.FAILED
    )


def test_an_unknown_card_is_refused_on_the_form_and_the_payment_stays_open(
    bank: BankServer, portal: FakePortal
) -> None:
    order = unsaved_order()
    answer = pay_vnpay(checkout_url(vnpay_provider(bank.url), order, portal.url), card="4111111111111111")
    assert answer.status_code == 400 and 'id="loi"' in answer.text
    assert bank.payments()[order.reference]["status"] == "pending"


def test_three_wrong_otps_fail_the_payment(bank: BankServer, portal: FakePortal) -> None:
    browser = requests.Session()
    page = browser.get(checkout_url(vnpay_provider(bank.url), unsaved_order(), portal.url), timeout=10)
    card = {
        "bank": "NCB",
        "card_number": "9704198526191432198",
        "card_holder": "NGUYEN VAN A",
        "issued": "07/15",
    }
    otp_page = browser.post(form_action(page), data={**card, "action": "pay"}, timeout=10)
    answers = [
        browser.post(
            form_action(otp_page), data={"otp": "000000", "action": "pay"}, allow_redirects=False, timeout=10
        )
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [400, 400, 303]
    assert returned_fields(answers[-1])["vnp_ResponseCode"] == "13"


def test_the_payer_can_cancel(bank: BankServer, portal: FakePortal) -> None:
    _order, fields = vnpay_paid(bank, portal, action="cancel")
    assert fields["vnp_ResponseCode"] == "24"


def test_a_page_of_a_finished_payment_offers_only_the_way_back(bank: BankServer, portal: FakePortal) -> None:
    url = checkout_url(vnpay_provider(bank.url), unsaved_order(), portal.url)
    browser = requests.Session()
    pay_vnpay(url, browser=browser)
    page = browser.get(url, timeout=10)
    assert page.status_code == 400 and '<code id="ma-loi">01</code>' in page.text  # the reference is used


def test_querydr_reports_the_payment_and_refund_takes_part_of_it(
    bank: BankServer, portal: FakePortal
) -> None:
    order, fields = vnpay_paid(bank, portal)
    plugin = plugin_for(vnpay_provider(bank.url))
    report = plugin.query(order)
    assert report.status == ReportedStatus.PAID and report.transaction_id == fields["vnp_TransactionNo"]
    order.provider_transaction = report.transaction_id
    first = plugin.refund(order, amount=500_000, reference="HT0001", reason="Nộp thừa")
    too_much = plugin.refund(order, amount=1_600_000, reference="HT0002", reason="Nộp thừa")
    assert first.succeeded and first.transaction_id
    assert not too_much.succeeded
    with pytest.raises(ProviderUnavailable):  # the same request id again: VNPAY's 94
        plugin.refund(order, amount=500_000, reference="HT0001", reason="Nộp thừa")
    assert bank.payments()[order.reference]["refunds"] == [
        {"amount": 500_000, "transaction_no": first.transaction_id}
    ]


def test_querydr_of_a_transaction_never_paid_is_pending(bank: BankServer) -> None:
    assert plugin_for(vnpay_provider(bank.url)).query(unsaved_order()).status == ReportedStatus.PENDING


def test_the_merchant_api_checks_the_signature(bank: BankServer, portal: FakePortal) -> None:
    order, _fields = vnpay_paid(bank, portal)
    body = {
        "vnp_RequestId": "r-1",
        "vnp_Version": "2.1.0",
        "vnp_Command": "querydr",
        "vnp_TmnCode": VNPAY_TMN,
        "vnp_TxnRef": order.reference,
        "vnp_OrderInfo": "Truy van",
        "vnp_TransactionDate": order.created_at.astimezone(GMT7).strftime("%Y%m%d%H%M%S"),
        "vnp_CreateDate": "20261123090000",
        "vnp_IpAddr": "127.0.0.1",
        "vnp_SecureHash": "ab" * 64,
    }
    answer = requests.post(f"{bank.url}/merchant_webapi/api/transaction", json=body, timeout=10).json()
    assert answer["vnp_ResponseCode"] == "97"


# --- the MoMo-like gateway ------------------------------------------------------------------------------------


def test_a_wallet_payment_sends_the_payer_back_and_posts_a_signed_ipn(
    bank: BankServer, portal: FakePortal
) -> None:
    provider = momo_provider(bank.url)
    order = unsaved_order()
    pay_url = checkout_url(provider, order, portal.url)
    assert pay_url.startswith(f"{bank.url}/momo/thanh-toan/")
    assert checkout_url(provider, order, portal.url) == pay_url  # the same request again: the same page
    fields = returned_fields(pay_momo(pay_url))
    plugin = plugin_for(provider)
    assert plugin.parse_return(request_from(fields)).status == ReportedStatus.PAID
    [ipn] = wait_for(lambda: ipns_for(portal, order.reference), what="the IPN")
    assert ipn.method == "POST" and ipn.path == "/thanh-toan/tb/ipn/sandbox-momo/"
    request = RequestFactory().post("/", ipn.body, content_type="application/json")
    notified = plugin.parse_notification(request)
    assert notified.status == ReportedStatus.PAID and notified.amount == order.amount
    wait_for(lambda: bank.ipns(order.reference)[0]["state"] == "sent", what="the 204 taken as acknowledged")
    assert plugin.query(order).status == ReportedStatus.PAID


def test_an_empty_wallet_fails_the_payment(bank: BankServer, portal: FakePortal) -> None:
    pay_url = checkout_url(momo_provider(bank.url), unsaved_order(), portal.url)
    fields = returned_fields(pay_momo(pay_url, phone=WALLET_EMPTY))
    assert fields["resultCode"] == "1001"


def test_a_wrong_otp_is_refused_on_the_wallet_page(bank: BankServer, portal: FakePortal) -> None:
    pay_url = checkout_url(momo_provider(bank.url), unsaved_order(), portal.url)
    assert pay_momo(pay_url, otp="999999").status_code == 400


def test_a_create_with_a_bad_signature_is_refused_with_momos_code(bank: BankServer) -> None:
    body = {
        "partnerCode": MOMO_PARTNER,
        "requestId": "x",
        "orderId": "x",
        "amount": 10_000,
        "signature": "0" * 64,
    }
    answer = requests.post(f"{bank.url}/v2/gateway/api/create", json=body, timeout=10).json()
    assert answer["resultCode"] == 13


def test_a_momo_refund_returns_money_of_a_paid_transaction(bank: BankServer, portal: FakePortal) -> None:
    provider = momo_provider(bank.url)
    order = unsaved_order()
    fields = returned_fields(pay_momo(checkout_url(provider, order, portal.url)))
    order.provider_transaction = fields["transId"]
    plugin = plugin_for(provider)
    result = plugin.refund(order, amount=2_000_000, reference="HTMOMO0001", reason="Hoàn tiền")
    again = plugin.refund(order, amount=2_000_000, reference="HTMOMO0001", reason="Hoàn tiền")
    assert result.succeeded and again.transaction_id == result.transaction_id  # answered once, refunded once
    assert not plugin.refund(order, amount=1000, reference="HTMOMO0002", reason="x").succeeded  # nothing left


# --- test controls ---------------------------------------------------------------------------------------------


def test_the_next_payments_can_be_made_to_fail(bank: BankServer, portal: FakePortal) -> None:
    bank.control(fail_next=1)
    _order, failed = vnpay_paid(bank, portal)
    _order, paid = vnpay_paid(bank, portal)
    assert failed["vnp_ResponseCode"] == "99" and paid["vnp_ResponseCode"] == "00"


def test_each_ipn_can_be_sent_several_times(bank: BankServer, portal: FakePortal) -> None:
    bank.control(ipn_repeat=3)
    order, _fields = vnpay_paid(bank, portal)
    received = wait_for(
        lambda: len(ipns_for(portal, order.reference)) == 3 and ipns_for(portal, order.reference)
    )
    assert len({json.dumps(r.query, sort_keys=True) for r in received}) == 1  # the same message three times


def test_held_ipns_are_released_the_last_one_first(bank: BankServer, portal: FakePortal) -> None:
    bank.control(ipn_hold=True)
    first, _ = vnpay_paid(bank, portal)
    second, _ = vnpay_paid(bank, portal)
    assert [i["state"] for i in bank.ipns()] == ["held", "held"]
    assert bank.release() == 2
    received = wait_for(lambda: len(portal.ipns()) == 2 and portal.ipns(), what="both IPNs")
    assert [r.order for r in received] == [second.reference, first.reference]


def test_ipns_can_be_delayed(bank: BankServer, portal: FakePortal) -> None:
    bank.control(ipn_delay_seconds=1.5)
    order, _fields = vnpay_paid(bank, portal)
    [ipn] = wait_for(
        lambda: bank.ipns(order.reference)[0]["attempts"] and bank.ipns(order.reference), timeout=15
    )
    waited = dt.datetime.fromisoformat(ipn["attempts"][0]["at"]) - dt.datetime.fromisoformat(
        ipn["created_at"]
    )
    assert waited >= dt.timedelta(seconds=1.4)


def test_dropped_ipns_are_never_sent_and_only_a_query_tells(bank: BankServer, portal: FakePortal) -> None:
    bank.control(ipn_drop=True)
    order, _fields = vnpay_paid(bank, portal)
    assert [i["state"] for i in bank.ipns(order.reference)] == ["dropped"]
    assert plugin_for(vnpay_provider(bank.url)).query(order).status == ReportedStatus.PAID
    assert ipns_for(portal, order.reference) == []


def test_an_ipn_is_sent_again_until_acknowledged(bank: BankServer, portal: FakePortal) -> None:
    answers = iter([(500, b"oops"), (200, b'{"RspCode": "97", "Message": "Invalid signature"}')])
    portal.answer = lambda received: next(
        answers, (200, b'{"RspCode": "02", "Message": "Order already confirmed"}')
    )
    order, _fields = vnpay_paid(bank, portal)
    [ipn] = wait_for(
        lambda: bank.ipns(order.reference)[0]["state"] == "sent" and bank.ipns(order.reference), timeout=20
    )
    assert [(a["status"], a["acknowledged"]) for a in ipn["attempts"]] == [
        (500, False),
        (200, False),
        (200, True),
    ]


def test_an_ipn_never_acknowledged_is_given_up_after_the_last_attempt(
    bank: BankServer, portal: FakePortal
) -> None:
    portal.answer = lambda received: (503, b"down")
    order, _fields = vnpay_paid(bank, portal)
    [ipn] = wait_for(
        lambda: bank.ipns(order.reference)[0]["state"] == "failed" and bank.ipns(order.reference), timeout=20
    )
    assert len(ipn["attempts"]) == 3


def test_the_apis_can_be_taken_down(bank: BankServer, portal: FakePortal) -> None:
    bank.control(api_down=True)
    with pytest.raises(ProviderUnavailable):
        plugin_for(vnpay_provider(bank.url)).query(unsaved_order())
    with pytest.raises(ProviderUnavailable):
        checkout_url(momo_provider(bank.url), unsaved_order(), portal.url)


def test_controls_take_json_only_and_known_names(bank: BankServer) -> None:
    assert (
        requests.post(f"{bank.url}/_sandbox/controls", json={"ipn_later": 1}, timeout=10).status_code == 400
    )
    assert (
        requests.post(f"{bank.url}/_sandbox/controls", json={"ipn_repeat": 0}, timeout=10).status_code == 400
    )
    assert requests.post(f"{bank.url}/_sandbox/controls", data="fail_next=1", timeout=10).status_code == 415


def test_the_statement_lists_the_days_payments_failures_and_refunds(
    bank: BankServer, portal: FakePortal
) -> None:
    paid, fields = vnpay_paid(bank, portal)
    failed, failed_fields = vnpay_paid(bank, portal, card=CARD_NO_MONEY)
    paid.provider_transaction = fields["vnp_TransactionNo"]
    refund = plugin_for(vnpay_provider(bank.url)).refund(paid, amount=300_000, reference="HT9", reason="Thừa")
    day = dt.datetime.now(GMT7).date().isoformat()
    answer = bank.statement(VNPAY_TMN, day)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        answer.text.splitlines()[0] == "order_reference,provider_transaction,amount,currency,status,paid_at"
    )
    rows = [r[:5] for r in csv.reader(io.StringIO(answer.text))][1:]
    assert rows == [
        [paid.reference, fields["vnp_TransactionNo"], "2000000", "VND", "success"],
        [failed.reference, failed_fields["vnp_TransactionNo"], "2000000", "VND", "failed"],
        [paid.reference, refund.transaction_id, "300000", "VND", "refund"],
    ]
    paid_at = next(csv.DictReader(io.StringIO(answer.text)))["paid_at"]
    assert paid_at.endswith("+07:00") and paid_at.startswith(day)
    assert bank.statement(MOMO_PARTNER, day).text.count("\n") == 1  # header only
    assert bank.statement("NOBODY", day).status_code == 404


def test_pages_say_they_are_a_sandbox(bank: BankServer, portal: FakePortal) -> None:
    page = requests.get(checkout_url(vnpay_provider(bank.url), unsaved_order(), portal.url), timeout=10)
    home = requests.get(bank.url, timeout=10)
    for shown in (page, home):
        assert LABEL in shown.text and "giả lập" in shown.text
        assert "default-src 'none'" in shown.headers["Content-Security-Policy"]
    assert OTP in page.text


def test_a_restart_loses_no_payment_and_no_held_ipn(tmp_path: Path, portal: FakePortal) -> None:
    env = {"SANDBOX_BANK_VNPAY_IPN_URL": portal.vnpay_ipn_url}
    with running_bank(tmp_path / "bank", **env) as before:
        before.control(ipn_hold=True)
        order, _fields = vnpay_paid(before, portal)
    with running_bank(tmp_path / "bank", **env) as after:
        assert after.payments()[order.reference]["status"] == "success"
        assert after.release() == 1
        wait_for(lambda: ipns_for(portal, order.reference), what="the held IPN after the restart")


# --- with the portal -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def portal_bank(live_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BankServer]:
    """A sandbox whose VNPAY-like IPNs go to the portal's live server."""
    with running_bank(
        tmp_path_factory.mktemp("portal-bank"), SANDBOX_BANK_PORTAL_URL=live_server.url
    ) as server:
        yield server


@pytest.fixture
def live_bank(portal_bank: BankServer, live_server: Any, settings: Any) -> BankServer:
    settings.PORTAL_BASE_URL = live_server.url
    portal_bank.reset(data=False)
    return portal_bank


def portal_provider(bank: BankServer, protocol: str) -> Any:
    """The portal's Provider row for the sandbox, as its demo data registers it."""
    from dichvucong.payments.models import Provider

    unsaved = vnpay_provider(bank.url) if protocol == "vnpay" else momo_provider(bank.url)
    unsaved.save()
    return Provider.objects.get(pk=unsaved.pk)


def portal_checkout(provider: Any, amount: int = 2_000_000) -> tuple[Any, str]:
    """A bill, its order created by the portal's services, and the provider's payment URL for it."""
    import uuid

    from dichvucong.payments import callbacks, services
    from dichvucong.payments.models import Biller
    from tests.payments.factories import make_bill, make_biller, make_order

    biller = Biller.objects.first() or make_biller()
    order = make_order(
        make_bill(biller, reference=f"{uuid.uuid4().hex[:6]}/QĐ-XPHC", amount=amount), provider, now=None
    )
    url = services.start_checkout(
        order,
        return_url=callbacks.return_url(provider),
        notify_url=callbacks.notify_url(provider),
        client_ip="127.0.0.1",
    )
    return order, url


def pay(protocol: str, url: str, **options: Any) -> requests.Response:
    return pay_vnpay(url, **options) if protocol == "vnpay" else pay_momo(url, **options)


def status_of(order: Any) -> str:
    order.refresh_from_db()
    return str(order.status)


def acknowledged(bank: BankServer, reference: str, count: int = 1) -> list[dict[str, Any]]:
    """Wait until the portal has acknowledged `count` IPNs of the order. The portal answers an IPN once its
    transaction is committed; the test reads the database only then (SQLite's in-memory test database, shared
    with the live server's thread, refuses a read during a write instead of waiting)."""

    def done() -> list[dict[str, Any]]:
        ipns = bank.ipns(reference)
        return ipns if len(ipns) == count and all(i["state"] == "sent" for i in ipns) else []

    return wait_for(done, what=f"{count} acknowledged IPN(s) of {reference}")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("protocol", ["vnpay", "momo"])
def test_a_payment_through_the_sandbox_pays_the_order_on_the_portal(
    live_bank: BankServer, protocol: str
) -> None:
    from dichvucong.payments.models import CallbackSource, OrderStatus, ProviderCallback, Receipt

    order, url = portal_checkout(portal_provider(live_bank, protocol))
    back = pay(protocol, url)
    assert back.status_code == 303
    # The IPN first: SQLite's test database, shared by the live server's threads, takes one request at a time.
    acknowledged(live_bank, order.reference)
    shown = requests.get(back.headers["Location"], allow_redirects=False, timeout=10)  # the payer's browser
    assert shown.status_code == 302 and shown.headers["Location"] == f"/thanh-toan/lenh/{order.reference}/"
    assert status_of(order) == OrderStatus.PAID
    assert Receipt.objects.filter(order=order).exists()
    trace = dict(
        ProviderCallback.objects.filter(order_reference=order.reference).values_list("source", "outcome")
    )
    assert trace == {CallbackSource.NOTIFICATION: "applied", CallbackSource.RETURN: "ignored"}


@pytest.mark.django_db(transaction=True)
def test_repeated_ipns_pay_the_order_once_and_are_each_acknowledged(live_bank: BankServer) -> None:
    from dichvucong.payments.models import LedgerEntry, ProviderCallback

    live_bank.control(ipn_repeat=3)
    order, url = portal_checkout(portal_provider(live_bank, "vnpay"))
    pay_vnpay(url)
    ipns = wait_for(
        lambda: (
            all(i["state"] == "sent" for i in live_bank.ipns(order.reference))
            and live_bank.ipns(order.reference)
        ),
        what="three acknowledged IPNs",
    )
    codes = sorted(json.loads(i["attempts"][-1]["answer"])["RspCode"] for i in ipns)
    assert codes == ["00", "02", "02"]
    outcomes = ProviderCallback.objects.filter(order_reference=order.reference, source="ipn").values_list(
        "outcome", flat=True
    )
    assert sorted(outcomes) == ["applied", "duplicate", "duplicate"]
    assert LedgerEntry.objects.filter(order=order).count() == 2  # one posting, two lines


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("protocol", ["vnpay", "momo"])
def test_an_order_whose_ipn_never_came_is_settled_by_a_status_query(
    live_bank: BankServer, protocol: str
) -> None:
    from dichvucong.payments import services
    from dichvucong.payments.models import CallbackSource, OrderStatus, ProviderCallback

    live_bank.control(ipn_drop=True)
    order, url = portal_checkout(portal_provider(live_bank, protocol))
    back = pay(protocol, url)
    requests.get(back.headers["Location"], allow_redirects=False, timeout=10)
    assert status_of(order) == OrderStatus.PENDING  # the browser's return paid nothing
    assert services.settle(order) == "applied"
    assert status_of(order) == OrderStatus.PAID
    assert (
        ProviderCallback.objects.get(order_reference=order.reference, outcome="applied").source
        == CallbackSource.QUERY
    )


@pytest.mark.django_db(transaction=True)
def test_a_payment_the_sandbox_makes_fail_fails_the_order(live_bank: BankServer) -> None:
    from dichvucong.payments.models import OrderStatus

    live_bank.control(fail_next=1)
    order, url = portal_checkout(portal_provider(live_bank, "vnpay"))
    pay_vnpay(url)
    acknowledged(live_bank, order.reference)
    assert status_of(order) == OrderStatus.FAILED


@pytest.mark.django_db(transaction=True)
def test_a_refund_through_the_portal_is_in_the_sandboxs_statement(live_bank: BankServer) -> None:
    from dichvucong.payments import services
    from dichvucong.payments.models import OrderStatus

    order, url = portal_checkout(portal_provider(live_bank, "momo"))
    pay_momo(url)
    acknowledged(live_bank, order.reference)
    assert status_of(order) == OrderStatus.PAID
    refund = services.refund(order=order, amount=500_000, reason="Nộp thừa tiền phạt", actor=None)
    assert refund.status == "succeeded" and status_of(order) == OrderStatus.PARTIALLY_REFUNDED
    day = order.paid_at.astimezone(GMT7).date().isoformat()
    rows = list(csv.DictReader(io.StringIO(live_bank.statement(MOMO_PARTNER, day).text)))
    mine = [
        (r["status"], r["amount"], r["provider_transaction"])
        for r in rows
        if r["order_reference"] == order.reference
    ]
    assert mine == [
        ("success", "2000000", order.provider_transaction),
        ("refund", "500000", refund.provider_transaction),
    ]
