"""The billers' JSON API (`/api/v1/agency/payments/…`): signed with the biller's key, bills sent idempotently,
their status and receipt, RFC 9457 problems."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
import uuid
from typing import Any
from urllib.parse import quote

import pypdf
import pytest
from django.test import Client

from dichvucong.core import signing
from dichvucong.payments import services
from dichvucong.payments.models import Bill, BillSource
from tests.payments.factories import (
    FINE_DECISION,
    MONDAY_9AM,
    make_bill,
    make_biller,
    make_provider,
    paid_report,
)

pytestmark = pytest.mark.django_db

BILLS = "/api/v1/agency/payments/bills"


def signed_post(
    client: Client,
    body: dict[str, Any],
    biller: Any,
    *,
    secret: str | None = None,
    timestamp: int | None = None,
) -> Any:
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = signing.sign(secret or biller.secret, f"msg_{uuid.uuid4().hex}", raw, timestamp=timestamp)
    return client.generic(
        "POST",
        BILLS,
        raw,
        content_type="application/json",
        headers={"x-dvc-key-id": biller.key_id, **headers},
    )


def signed_get(client: Client, path: str, biller: Any) -> Any:
    headers = signing.sign(biller.secret, f"msg_{uuid.uuid4().hex}", b"")
    return client.get(path, headers={"x-dvc-key-id": biller.key_id, **headers})


def bill_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": "TB-2026-000123",
        "title": "Lệ phí trước bạ nhà, đất",
        "amount": 1_250_000,
        "lines": [
            {"code": "2801", "name": "Lệ phí trước bạ nhà", "amount": 1_000_000},
            {"code": "2802", "name": "Lệ phí trước bạ đất", "amount": 250_000},
        ],
        "payer": {"name": "Phạm Thị Dung", "address": "5 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội"},
        "due_date": "2026-11-30",
        "details": {"tax_code": "8012345678", "tax_period": "11/2026"},
    }
    body.update(changes)
    return body


@pytest.fixture
def biller() -> Any:
    return make_biller("thue-ha-noi", name="Hệ thống quản lý thuế – Cục Thuế Hà Nội", group="tax")


def paid(bill: Bill) -> Any:
    order = services.create_order(bill=bill, provider=make_provider(), now=MONDAY_9AM)
    services.apply_report(
        provider=order.provider, report=paid_report(order), now=MONDAY_9AM + dt.timedelta(minutes=3)
    )
    order.refresh_from_db()
    return order


# --- sending a bill --------------------------------------------------------------------------------------------


def test_a_signed_bill_is_made_and_answered_with_its_payment_page(client: Client, biller: Any) -> None:
    response = signed_post(client, bill_body(), biller)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "open"
    assert body["pay_url"].startswith("http") and "/thanh-toan/khoan/" in body["pay_url"]
    assert body["order"] is None and body["receipt"] is None
    bill = Bill.objects.get(biller=biller, reference="TB-2026-000123")
    assert bill.source == BillSource.API
    assert bill.payer_name == "Phạm Thị Dung"
    assert bill.due_date == dt.date(2026, 11, 30)
    assert [line["amount"] for line in bill.lines] == [1_000_000, 250_000]
    assert bill.details["payer_address"] == "5 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội"


def test_sending_the_same_bill_again_makes_nothing_new(client: Client, biller: Any) -> None:
    first = signed_post(client, bill_body(), biller)
    again = signed_post(client, bill_body(), biller)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["reference"] == first.json()["reference"]
    assert Bill.objects.count() == 1


def test_the_same_reference_with_other_content_is_a_409_problem(client: Client, biller: Any) -> None:
    signed_post(client, bill_body(), biller)
    response = signed_post(client, bill_body(title="Lệ phí trước bạ ô tô"), biller)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/bill-conflict"
    assert "title" in response.json()["detail"]
    assert Bill.objects.get().title == "Lệ phí trước bạ nhà, đất"


def test_the_same_reference_with_another_amount_is_a_409_problem(client: Client, biller: Any) -> None:
    signed_post(client, bill_body(), biller)
    body = bill_body(amount=1_300_000, lines=[])
    assert signed_post(client, body, biller).status_code == 409


def test_lines_that_do_not_add_up_to_the_amount_are_refused(client: Client, biller: Any) -> None:
    response = signed_post(client, bill_body(amount=2_000_000), biller)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert not Bill.objects.exists()


def test_a_bill_without_lines_gets_one_line_for_its_title(client: Client, biller: Any) -> None:
    signed_post(client, bill_body(lines=[]), biller)
    assert Bill.objects.get().lines == [{"code": "", "name": "Lệ phí trước bạ nhà, đất", "amount": 1_250_000}]


@pytest.mark.parametrize(
    "changes", [{"amount": 0}, {"reference": ""}, {"lines": [{"name": "x", "amount": -1}]}]
)
def test_invalid_fields_are_a_422_problem(client: Client, biller: Any, changes: dict[str, Any]) -> None:
    response = signed_post(client, bill_body(**changes), biller)
    assert response.status_code == 422
    assert response.json()["errors"]


# --- authentication --------------------------------------------------------------------------------------------


def test_no_key_is_a_401_problem(client: Client, biller: Any) -> None:
    response = client.post(BILLS, bill_body(), content_type="application/json")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_an_unknown_key_is_refused(client: Client, biller: Any) -> None:
    biller.key_id = "khong-co"
    assert signed_post(client, bill_body(), biller).status_code == 401


def test_a_wrong_secret_is_refused(client: Client, biller: Any) -> None:
    assert signed_post(client, bill_body(), biller, secret=signing.new_secret()).status_code == 401
    assert not Bill.objects.exists()


def test_a_body_changed_after_signing_is_refused(client: Client, biller: Any) -> None:
    raw = json.dumps(bill_body()).encode()
    headers = signing.sign(biller.secret, "msg_1", raw)
    tampered = raw.replace(b"1250000", b"1250")
    response = client.generic(
        "POST",
        BILLS,
        tampered,
        content_type="application/json",
        headers={"x-dvc-key-id": biller.key_id, **headers},
    )
    assert response.status_code == 401


def test_a_stale_timestamp_is_refused(client: Client, biller: Any) -> None:
    response = signed_post(client, bill_body(), biller, timestamp=int(time.time()) - 3600)
    assert response.status_code == 401
    assert "5 phút" in response.json()["detail"]


def test_an_inactive_biller_is_refused(client: Client, biller: Any) -> None:
    biller.is_active = False
    biller.save()
    assert signed_post(client, bill_body(), biller).status_code == 401


def test_an_agency_integration_key_is_not_a_biller_key(client: Client, biller: Any) -> None:
    from dichvucong.dossiers.models import AgencyIntegration
    from dichvucong.organisations.models import Agency

    integration = AgencyIntegration.objects.create(
        agency=Agency.objects.get(code="UBND-01"),
        name="Một cửa",
        key_id="mot-cua",
        secret=signing.new_secret(),
    )
    assert signed_post(client, bill_body(), integration).status_code == 401


# --- status and receipt ----------------------------------------------------------------------------------------


def test_an_open_bills_status(client: Client, biller: Any) -> None:
    signed_post(client, bill_body(), biller)
    body = signed_get(client, f"{BILLS}/TB-2026-000123", biller).json()
    assert (body["status"], body["amount"], body["paid_at"]) == ("open", 1_250_000, None)


def test_a_paid_bills_status_names_its_order_transaction_and_receipt(client: Client) -> None:
    bill = make_bill()
    order = paid(bill)
    response = signed_get(client, f"{BILLS}/{quote(FINE_DECISION)}", bill.biller)
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "paid"
    assert body["pay_url"] is None
    assert body["order"]["reference"] == order.reference
    assert body["order"]["provider_transaction"] == "14012345"
    assert body["paid_at"] == "2026-11-02T02:02:00Z"
    assert body["receipt"]["number"] == order.receipt.number
    assert body["receipt"]["verification_code"] == order.receipt.verification_code
    assert body["receipt"]["verify_url"].endswith(f"?ma={order.receipt.verification_code}")


def test_a_reference_with_a_slash_is_read_unencoded_too(client: Client) -> None:
    bill = make_bill()
    response = signed_get(client, f"{BILLS}/{FINE_DECISION}", bill.biller)
    assert response.json()["reference"] == FINE_DECISION


def test_the_receipt_pdf_of_a_paid_bill(client: Client) -> None:
    bill = make_bill()
    order = paid(bill)
    response = signed_get(client, f"{BILLS}/{quote(FINE_DECISION)}/receipt.pdf", bill.biller)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    assert order.receipt.number in text


def test_no_receipt_before_payment_is_a_404_problem(client: Client) -> None:
    bill = make_bill()
    response = signed_get(client, f"{BILLS}/{quote(FINE_DECISION)}/receipt.pdf", bill.biller)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_another_billers_bill_is_not_found(client: Client, biller: Any) -> None:
    make_bill()  # the police's fine
    assert signed_get(client, f"{BILLS}/{quote(FINE_DECISION)}", biller).status_code == 404
    assert signed_get(client, f"{BILLS}/{quote(FINE_DECISION)}/receipt.pdf", biller).status_code == 404
