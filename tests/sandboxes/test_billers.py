"""sandbox-billers, the six agency bill systems in one process, run as a real subprocess: signed look-ups answered
from the test bills, signed webhooks recorded once and marking bills paid, refusals of bad signatures, the
outage controls, and a store that survives a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from dichvucong.core import signing
from tests.sandboxes.billers import SECRET, SYSTEMS, BillersServer, running_billers

LABEL = "Hệ thống thu của các cơ quan — sandbox"
OTHER_SECRET = "whsec_b3RoZXItc2VjcmV0LW5vdC10aGUtc2FuZGJveGVzIQ=="


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BillersServer]:
    with running_billers(tmp_path_factory.mktemp("billers")) as running:
        yield running


@pytest.fixture
def billers(server: BillersServer) -> BillersServer:
    server.reset()
    return server


def paid_event(reference: str = "123/QĐ-XPHC", amount: int = 2_000_000) -> dict[str, object]:
    return {"type": "bill.paid", "data": {"bill_reference": reference, "amount": amount, "currency": "VND"}}


def test_a_fine_is_found_by_its_decision_number_with_its_details(billers: BillersServer) -> None:
    response = billers.lookup("csgt", "123/QĐ-XPHC")
    assert response.status_code == 200
    bill = response.json()
    assert bill["reference"] == "123/QĐ-XPHC"
    assert bill["amount"] == 2_000_000
    assert bill["payer_name"] == "Nguyễn Văn An"
    assert bill["status"] == "open"
    assert bill["details"]["plate"] == "30A-123.45"
    assert bill["details"]["violation"] == "Không chấp hành hiệu lệnh của đèn tín hiệu giao thông"
    assert sum(line["amount"] for line in bill["lines"]) == bill["amount"]


def test_a_code_typed_without_diacritics_in_lower_case_with_spaces_is_found(billers: BillersServer) -> None:
    response = billers.lookup("csgt", " 123 / qd-xphc ")
    assert response.status_code == 200
    assert response.json()["reference"] == "123/QĐ-XPHC"


def test_a_customer_code_finds_the_open_electricity_bill_not_the_paid_one(billers: BillersServer) -> None:
    bill = billers.lookup("evn", "PD01000123456").json()
    assert bill["reference"] == "PD01000123456-202610"
    assert bill["details"]["kwh"] == 312


def test_every_system_answers_its_own_test_bills(billers: BillersServer) -> None:
    firsts = {
        "csgt": "456/QĐ-XPHC",
        "thue": "TB-HN-2026-001234",
        "bhxh": "0123456789",
        "evn": "PD01000654321",
    }
    firsts |= {"toa-an": "125/TB-TA", "mot-cua": "UBND-01-261120-5001"}
    assert set(firsts) == set(SYSTEMS)
    for system, code in firsts.items():
        assert billers.lookup(system, code).status_code == 200, system


def test_an_unknown_code_is_not_found(billers: BillersServer) -> None:
    response = billers.lookup("csgt", "999/QĐ-XPHC")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_a_look_up_signed_with_another_secret_is_refused(billers: BillersServer) -> None:
    assert billers.lookup("csgt", "123/QĐ-XPHC", secret=OTHER_SECRET).status_code == 401


def test_a_look_up_naming_another_systems_key_is_refused(billers: BillersServer) -> None:
    assert billers.lookup("evn", "PD01000123456", key="csgt-ha-noi-key").status_code == 401


def test_an_old_signature_is_refused(billers: BillersServer) -> None:
    headers = {
        **signing.sign(SECRET, "lookup-old", b"", timestamp=int(time.time()) - 3600),
        "x-dvc-key-id": "csgt-ha-noi-key",
    }
    response = requests.get(f"{billers.url}/csgt/bills/456%2FQ%C4%90-XPHC", headers=headers, timeout=10)
    assert response.status_code == 401


def test_a_signed_webhook_marks_the_bill_paid(billers: BillersServer) -> None:
    response = billers.post_webhook("csgt", paid_event(), "payment-TT1")
    assert response.status_code == 200
    assert response.json()["duplicate"] is False
    assert billers.bills("csgt")["123/QĐ-XPHC"]["status"] == "paid"
    assert billers.lookup("csgt", "123/QĐ-XPHC").json()["status"] == "paid"
    [webhook] = billers.webhooks("csgt")
    assert webhook["verified"] is True
    assert webhook["bill_reference"] == "123/QĐ-XPHC"


def test_the_same_webhook_twice_is_recorded_once_and_counted(billers: BillersServer) -> None:
    billers.post_webhook("csgt", paid_event(), "payment-TT1")
    again = billers.post_webhook("csgt", paid_event(), "payment-TT1")
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    [webhook] = billers.webhooks("csgt")
    assert webhook["deliveries"] == 2


def test_a_webhook_with_a_bad_signature_is_refused_recorded_and_changes_nothing(
    billers: BillersServer,
) -> None:
    response = billers.post_webhook("csgt", paid_event(), "payment-TT2", secret=OTHER_SECRET)
    assert response.status_code == 401
    assert billers.bills("csgt")["123/QĐ-XPHC"]["status"] == "open"
    [webhook] = billers.webhooks("csgt")
    assert webhook["verified"] is False
    assert "no signature matches" in webhook["error"]


def test_a_webhook_with_another_amount_does_not_mark_the_bill_paid(billers: BillersServer) -> None:
    response = billers.post_webhook("csgt", paid_event(amount=1_000_000), "payment-TT3")
    assert response.status_code == 200
    assert billers.bills("csgt")["123/QĐ-XPHC"]["status"] == "open"
    assert "differs" in billers.webhooks("csgt")[0]["outcome"]


def test_a_system_made_down_answers_503_while_the_others_work(billers: BillersServer) -> None:
    billers.down("csgt")
    assert billers.lookup("csgt", "123/QĐ-XPHC").status_code == 503
    assert billers.post_webhook("csgt", paid_event(), "payment-TT4").status_code == 503
    assert billers.lookup("evn", "PD01000123456").status_code == 200
    billers.down("csgt", down=False)
    assert billers.lookup("csgt", "123/QĐ-XPHC").status_code == 200


def test_reset_brings_the_test_bills_back(billers: BillersServer) -> None:
    billers.post_webhook("csgt", paid_event(), "payment-TT5")
    billers.reset()
    assert billers.bills("csgt")["123/QĐ-XPHC"]["status"] == "open"
    assert billers.webhooks() == []


def test_the_systems_page_lists_bills_and_webhooks_and_says_it_is_a_sandbox(billers: BillersServer) -> None:
    billers.post_webhook("csgt", paid_event(), "payment-TT6")
    page = requests.get(f"{billers.url}/csgt/", timeout=10)
    assert page.status_code == 200
    assert LABEL in page.text
    assert "123/QĐ-XPHC" in page.text
    assert "payment-TT6" in page.text
    home = requests.get(f"{billers.url}/", timeout=10)
    assert all(f'href="/{system}/"' in home.text for system in SYSTEMS)


def test_a_restart_keeps_paid_bills_and_webhooks(tmp_path: Path) -> None:
    with running_billers(tmp_path) as first:
        first.post_webhook("csgt", paid_event(), "payment-TT7")
    with running_billers(tmp_path) as second:
        assert second.bills("csgt")["123/QĐ-XPHC"]["status"] == "paid"
        assert [w["webhook_id"] for w in second.webhooks("csgt")] == ["payment-TT7"]
        assert second.post_webhook("csgt", paid_event(), "payment-TT7").json()["duplicate"] is True
