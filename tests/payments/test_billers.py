"""The signed JSON bill adapter against a real sandbox-billers process, and the checks it makes of every answer
before the portal believes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from dichvucong.payments import billers
from dichvucong.payments.billers import (
    BillerUnreachable,
    BillNotFoundAtBiller,
    InvalidBill,
    SignedJsonAdapter,
    parse_bill,
)
from tests.sandboxes.billers import BillersServer, portal_biller, running_billers

OTHER_SECRET = "whsec_b3RoZXItc2VjcmV0LW5vdC10aGUtc2FuZGJveGVzIQ=="


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BillersServer]:
    with running_billers(tmp_path_factory.mktemp("billers")) as running:
        yield running


@pytest.fixture
def sandbox(server: BillersServer) -> BillersServer:
    server.reset()
    return server


def answer(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reference": "123/QĐ-XPHC",
        "title": "Nộp phạt",
        "payer_name": "Nguyễn Văn An",
        "amount": 2_000_000,
        "due_date": "2026-12-04",
        "status": "open",
        "lines": [{"code": "", "name": "Tiền phạt", "amount": 2_000_000}],
        "details": {"plate": "30A-123.45"},
    }
    data.update(overrides)
    return data


# --- against sandbox-billers ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_fine_is_read_from_the_sandbox_by_its_decision_number(sandbox: BillersServer) -> None:
    record = SignedJsonAdapter().lookup(portal_biller(sandbox), "123/QĐ-XPHC")
    assert record.reference == "123/QĐ-XPHC"
    assert record.amount == 2_000_000
    assert record.payer_name == "Nguyễn Văn An"
    assert record.due_date == dt.date(2026, 12, 4)
    assert record.status == "open"
    assert record.details["plate"] == "30A-123.45"


@pytest.mark.django_db
def test_a_code_the_sandbox_does_not_know_is_not_found(sandbox: BillersServer) -> None:
    with pytest.raises(BillNotFoundAtBiller):
        SignedJsonAdapter().lookup(portal_biller(sandbox), "999/QĐ-XPHC")


@pytest.mark.django_db
def test_a_biller_that_is_down_is_unreachable(sandbox: BillersServer) -> None:
    sandbox.down("csgt")
    with pytest.raises(BillerUnreachable, match="503"):
        SignedJsonAdapter().lookup(portal_biller(sandbox), "123/QĐ-XPHC")


@pytest.mark.django_db
def test_a_request_signed_with_the_wrong_secret_is_refused_by_the_sandbox(sandbox: BillersServer) -> None:
    with pytest.raises(BillerUnreachable, match="401"):
        SignedJsonAdapter().lookup(portal_biller(sandbox, secret=OTHER_SECRET), "123/QĐ-XPHC")


@pytest.mark.django_db
def test_a_biller_slower_than_the_read_timeout_is_unreachable(sandbox: BillersServer) -> None:
    sandbox.control("slow", system="csgt", seconds=1)
    with (
        override_settings(PAYMENT_READ_TIMEOUT_SECONDS=0.2),
        pytest.raises(BillerUnreachable, match="no answer in time"),
    ):
        SignedJsonAdapter().lookup(portal_biller(sandbox), "123/QĐ-XPHC")


@pytest.mark.django_db
def test_a_biller_nobody_listens_at_is_unreachable() -> None:
    from tests.payments.factories import make_biller

    biller = make_biller(adapter="signed_json", endpoint_url="http://127.0.0.1:9/csgt")
    with pytest.raises(BillerUnreachable):
        SignedJsonAdapter().lookup(biller, "123/QĐ-XPHC")


def test_the_signed_json_adapter_is_registered_by_its_name() -> None:
    assert isinstance(billers.get_adapter("signed_json"), SignedJsonAdapter)
    with pytest.raises(billers.UnknownAdapter):
        billers.get_adapter("telex")


# --- what an answer must be -----------------------------------------------------------------------------------


def test_a_bill_without_lines_gets_its_title_as_the_only_line() -> None:
    record = parse_bill(answer(lines=[]))
    assert record.lines == [{"code": "", "name": "Nộp phạt", "amount": 2_000_000}]


def test_lines_that_do_not_add_up_to_the_amount_are_refused() -> None:
    with pytest.raises(InvalidBill, match="add up"):
        parse_bill(answer(lines=[{"name": "Tiền phạt", "amount": 1_000_000}]))


@pytest.mark.parametrize("amount", [2_000_000.0, "2000000", True, 0, -5])
def test_an_amount_that_is_not_a_positive_integer_is_refused(amount: Any) -> None:
    with pytest.raises(InvalidBill, match="positive integer"):
        parse_bill(answer(amount=amount))


@pytest.mark.parametrize(
    "overrides",
    [
        {"status": "pending"},
        {"currency": "USD"},
        {"reference": ""},
        {"due_date": "04/12/2026"},
        {"details": []},
    ],
)
def test_an_answer_breaking_the_protocol_is_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(InvalidBill):
        parse_bill(answer(**overrides))


# --- the demo -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_registers_six_billers_and_two_providers_and_loading_it_again_changes_nothing(
    sandbox: BillersServer,
) -> None:
    from dichvucong.payments.demo import load_demo_payments
    from dichvucong.payments.models import Biller, Provider

    with override_settings(SANDBOX_BILLERS_URL=sandbox.url + "/", SANDBOX_BANK_URL="http://127.0.0.1:8104"):
        load_demo_payments()
        first = list(Biller.objects.order_by("code").values())
        load_demo_payments()
    assert list(Biller.objects.order_by("code").values()) == first
    agencies = dict(Biller.objects.values_list("code", "agency__code"))
    assert agencies == {
        "csgt-ha-noi": "CA-01",
        "thue-ha-noi": "THUE-01",
        "bhxh-ha-noi": "BHXH-01",
        "evn-ha-noi": "EVN",
        "toa-an-ha-noi": "BTP",
        "mot-cua-ha-noi": "UBND-01",
    }
    assert Biller.objects.get(code="evn-ha-noi").name == "Tổng công ty Điện lực TP Hà Nội (sandbox)"
    assert Biller.objects.get(code="mot-cua-ha-noi").webhook_url == f"{sandbox.url}/mot-cua/webhooks"
    assert dict(Provider.objects.values_list("code", "protocol")) == {
        "sandbox-vnpay": "vnpay",
        "sandbox-momo": "momo",
    }
    assert set(Provider.objects.values_list("endpoint_url", flat=True)) == {"http://127.0.0.1:8104"}


@pytest.mark.django_db
def test_every_demo_biller_finds_its_test_bill_at_the_sandbox(sandbox: BillersServer) -> None:
    from dichvucong.payments import bills
    from dichvucong.payments.demo import load_demo_payments

    with override_settings(SANDBOX_BILLERS_URL=sandbox.url):
        load_demo_payments()
    codes = {
        "fine": "123/QĐ-XPHC",
        "tax": "TB-HN-2026-001234",
        "insurance": "0123456789",
        "electricity": "PD01000123456",
        "court": "125/TB-TA",
        "fee": "UBND-01-261120-5001",
    }
    found = {group: bills.lookup_bill(group=group, code=code).biller.code for group, code in codes.items()}
    assert found == {
        "fine": "csgt-ha-noi",
        "tax": "thue-ha-noi",
        "insurance": "bhxh-ha-noi",
        "electricity": "evn-ha-noi",
        "court": "toa-an-ha-noi",
        "fee": "mot-cua-ha-noi",
    }
