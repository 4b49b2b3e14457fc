"""The payments back office: operators' pages render and their actions go through the services (audited);
secrets are never shown; officers see nothing without the permission, and only their own agencies' bills and
orders with it."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dichvucong.core.models import AuditEvent
from dichvucong.payments import reconciliation, services
from dichvucong.payments.models import (
    Discrepancy,
    LedgerEntry,
    OrderStatus,
    PaymentOrder,
    Provider,
    Refund,
    Statement,
    StatementLine,
)
from dichvucong.payments.providers.base import CallbackOutcome, RefundResult
from tests.conftest import make_officer, make_operator, verified_staff_client
from tests.payments.factories import (
    MONDAY_9AM,
    make_bill,
    make_biller,
    make_order,
    make_provider,
    paid_report,
)

pytestmark = pytest.mark.django_db

LATER = MONDAY_9AM + dt.timedelta(minutes=3)
HEADER = "order_reference,provider_transaction,amount,currency,status,paid_at\n"
PAYMENT_MODELS = ("provider", "biller", "bill", "paymentorder", "ledgerentry", "statement", "discrepancy")


def _grant(user: Any, *codenames: str) -> None:
    """Permissions on payments models given by hand: operators hold them once `payments` is among the portal
    apps of the permission backend; officers once a role gives them."""
    perms = Permission.objects.filter(content_type__app_label="payments")
    if codenames:
        perms = perms.filter(codename__in=codenames)
    user.user_permissions.add(*perms)


@pytest.fixture
def operator_client(client: Client) -> Client:
    operator = make_operator()
    _grant(operator)
    return verified_staff_client(client, operator)


def _paid_order(transaction: str = "T-1", reference: str = "123/QĐ-XPHC", biller: Any = None) -> PaymentOrder:
    provider = Provider.objects.first() or make_provider()
    order = make_order(make_bill(biller or make_biller(), reference=reference), provider)
    outcome = services.apply_report(
        provider=provider, report=paid_report(order, transaction_id=transaction), now=LATER
    )
    assert outcome == CallbackOutcome.APPLIED
    order.refresh_from_db()
    return order


def _statement(order: PaymentOrder, amount: int) -> Statement:
    body = HEADER + f"{order.reference},T-1,{amount},VND,success,2026-11-02T09:02:00+07:00\n"
    statement = reconciliation.import_statement(
        provider=order.provider,
        day=dt.date(2026, 11, 2),
        file=io.BytesIO(body.encode()),
        file_name="x.csv",
        actor=None,
    )
    return reconciliation.reconcile(statement, now=LATER)


def _plugin(**methods: Any) -> Any:
    plugin = mock.Mock()
    for name, value in methods.items():
        getattr(plugin, name).return_value = value
    return mock.patch("dichvucong.payments.services.plugin_for", return_value=plugin)


# --- Operators ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", PAYMENT_MODELS)
def test_every_payments_list_renders_for_operators(operator_client: Client, model: str) -> None:
    order = _paid_order()
    _statement(order, 1_000)
    response = operator_client.get(reverse(f"admin:payments_{model}_changelist"))
    assert response.status_code == 200


def test_order_page_shows_ledger_lines_and_provider_messages_and_operator_actions(
    operator_client: Client,
) -> None:
    order = _paid_order()
    response = operator_client.get(reverse("admin:payments_paymentorder_change", args=[order.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert f"pay:{order.reference}" in body  # the ledger posting
    assert "Thông báo từ tổ chức thanh toán (IPN)" in body
    assert reverse("admin:payments_paymentorder_refund", args=[order.pk]) in body
    assert 'name="amount"' not in body  # read-only


def test_order_list_queries_do_not_grow_with_rows(
    operator_client: Client, django_assert_max_num_queries: Any
) -> None:
    biller = make_biller()
    for n in range(6):
        _paid_order(f"T-{n}", f"{n}/QĐ", biller)
    with django_assert_max_num_queries(14):
        assert operator_client.get(reverse("admin:payments_paymentorder_changelist")).status_code == 200


def test_provider_secret_is_never_shown_and_blank_keeps_it(operator_client: Client) -> None:
    provider = make_provider(secret="SANDBOXVNPAYSECRET2026DVCQG00001")
    url = reverse("admin:payments_provider_change", args=[provider.pk])
    page = operator_client.get(url)
    assert page.status_code == 200
    assert provider.secret not in page.content.decode()
    data = {
        "code": provider.code,
        "name": "Ngân hàng đổi tên",
        "protocol": provider.protocol,
        "merchant_code": provider.merchant_code,
        "access_key": "",
        "new_secret": "",
        "endpoint_url": provider.endpoint_url,
        "logo_text": "",
        "position": 0,
        "is_active": "on",
    }
    assert operator_client.post(url, data).status_code == 302
    provider.refresh_from_db()
    assert (provider.name, provider.secret) == ("Ngân hàng đổi tên", "SANDBOXVNPAYSECRET2026DVCQG00001")
    assert operator_client.post(url, {**data, "new_secret": "mot-khoa-bi-mat-moi-2026"}).status_code == 302
    provider.refresh_from_db()
    assert provider.secret == "mot-khoa-bi-mat-moi-2026"
    events = AuditEvent.objects.filter(action="admin.changed", object_type="payments.provider")
    assert events.count() == 2
    assert all("mot-khoa-bi-mat-moi-2026" not in str(e.detail) for e in events)


def test_uploading_a_statement_imports_and_reconciles_it(operator_client: Client) -> None:
    order = _paid_order()
    upload = SimpleUploadedFile(
        "vnpay.csv",
        (HEADER + f"{order.reference},T-1,{order.amount},VND,success,2026-11-02T09:02:00+07:00\n").encode(),
        "text/csv",
    )
    response = operator_client.post(
        reverse("admin:payments_statement_add"),
        {"provider": order.provider.pk, "day": "2026-11-02", "file": upload},
    )
    statement = Statement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:payments_statement_change", args=[statement.pk])
    assert statement.counts["matched"] == 1
    assert statement.status == Statement.Status.CLOSED
    page = operator_client.get(response["Location"])
    assert page.status_code == 200
    assert "Xuất báo cáo" in page.content.decode()


def test_uploading_a_bad_statement_shows_each_error_with_its_line(operator_client: Client) -> None:
    provider = make_provider()
    upload = SimpleUploadedFile(
        "bad.csv",
        (
            HEADER + "TT1,T-1,1.000,VND,success,2026-11-02T09:02:00+07:00\nTT2,T-2,5000,USD,ok,hôm qua\n"
        ).encode(),
        "text/csv",
    )
    response = operator_client.post(
        reverse("admin:payments_statement_add"),
        {"provider": provider.pk, "day": "2026-11-02", "file": upload},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<td>2</td><td><code>amount</code></td>" in body
    assert "<td>3</td><td><code>currency</code></td>" in body
    assert not Statement.objects.exists() and not StatementLine.objects.exists()


def test_statement_report_downloads_as_csv_and_is_audited(operator_client: Client) -> None:
    statement = _statement(_paid_order(), 1_000)
    response = operator_client.get(reverse("admin:payments_statement_report", args=[statement.pk]))
    content = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert content.startswith("\ufeffBáo cáo đối soát")
    assert "Lệch số tiền" in content
    assert AuditEvent.objects.filter(action="payments.report_exported", object_id=str(statement.pk)).exists()


def test_resolving_a_discrepancy_in_the_back_office_closes_the_statement(operator_client: Client) -> None:
    statement = _statement(_paid_order(), 1_000)
    discrepancy = Discrepancy.objects.get()
    url = reverse("admin:payments_discrepancy_resolve", args=[discrepancy.pk])
    assert operator_client.get(url).status_code == 200
    refused = operator_client.post(url, {"action": "accept", "note": ""})
    assert refused.status_code == 200 and "Vui lòng ghi chú" in refused.content.decode()
    response = operator_client.post(url, {"action": "accept", "note": "Ngân hàng ghi nhầm, đã xác minh."})
    assert response.status_code == 302
    discrepancy.refresh_from_db()
    statement.refresh_from_db()
    assert discrepancy.resolution == Discrepancy.Resolution.ACCEPTED
    assert discrepancy.resolved_by is not None and discrepancy.resolved_by.username == "quantri"
    assert statement.status == Statement.Status.CLOSED
    assert AuditEvent.objects.filter(action="payments.discrepancy_resolved", actor_label="quantri").exists()


def test_requery_action_settles_an_order_whose_notification_never_came(operator_client: Client) -> None:
    order = make_order(now=dt.datetime.now(dt.UTC))  # the action asks at the real time
    with _plugin(query=paid_report(order, transaction_id="T-9")):
        response = operator_client.post(
            reverse("admin:payments_paymentorder_changelist"),
            {"action": "requery_action", "_selected_action": [order.pk]},
        )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert LedgerEntry.objects.filter(order=order).exists()
    assert AuditEvent.objects.filter(action="payments.order_requeried", object_id=str(order.pk)).exists()


def test_refund_form_hands_the_refund_to_the_service(operator_client: Client) -> None:
    order = _paid_order()
    url = reverse("admin:payments_paymentorder_refund", args=[order.pk])
    assert operator_client.get(url).status_code == 200
    with _plugin(refund=RefundResult(succeeded=True, transaction_id="RF-1")):
        response = operator_client.post(url, {"amount": "500000", "reason": "Nộp thừa tiền phạt"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_REFUNDED
    assert Refund.objects.get(order=order).amount == 500_000
    assert AuditEvent.objects.filter(action="payments.refund_requested", actor_label="quantri").exists()


def test_a_refund_above_what_is_left_is_refused_on_the_form(operator_client: Client) -> None:
    order = _paid_order()
    url = reverse("admin:payments_paymentorder_refund", args=[order.pk])
    response = operator_client.post(url, {"amount": str(order.amount + 1), "reason": "Nộp thừa"})
    assert response.status_code == 200
    assert "Chỉ có thể hoàn tối đa" in response.content.decode()
    assert not Refund.objects.exists()


def test_ledger_lines_cannot_be_deleted_in_the_back_office(operator_client: Client) -> None:
    entry = LedgerEntry.objects.filter(order=_paid_order()).first()
    assert entry is not None
    response = operator_client.post(
        reverse("admin:payments_ledgerentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


# --- Officers -------------------------------------------------------------------------------------------------


def test_an_officer_without_payments_permission_gets_nothing(client: Client) -> None:
    order = _paid_order()
    statement = _statement(order, 1_000)
    officer = make_officer("CA-01", roles=("catalogue_editor", "agency_admin"))
    verified_staff_client(client, officer)
    for model in PAYMENT_MODELS:
        assert client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 403, model
    assert client.get(reverse("admin:payments_statement_add")).status_code == 403
    assert client.get(reverse("admin:payments_statement_report", args=[statement.pk])).status_code == 403
    assert client.get(reverse("admin:payments_paymentorder_refund", args=[order.pk])).status_code == 403
    discrepancy = Discrepancy.objects.get()
    assert (
        client.post(
            reverse("admin:payments_discrepancy_resolve", args=[discrepancy.pk]),
            {"action": "accept", "note": "x"},
        ).status_code
        == 403
    )


def test_an_officer_sees_only_the_bills_and_orders_of_their_agencies(client: Client) -> None:
    mine = _paid_order("T-1", "1/HN", make_biller())
    theirs = _paid_order("T-2", "2/HCM", make_biller("csgt-hcm", agency=_agency("CA-79"), name="CSGT HCM"))
    officer = make_officer("CA-01")
    _grant(officer, "view_bill", "view_paymentorder", "view_ledgerentry", "view_statement")
    verified_staff_client(client, officer)
    bills = client.get(reverse("admin:payments_bill_changelist")).content.decode()
    assert "1/HN" in bills and "2/HCM" not in bills
    orders = client.get(reverse("admin:payments_paymentorder_changelist")).content.decode()
    assert mine.reference in orders and theirs.reference not in orders
    assert client.get(reverse("admin:payments_paymentorder_change", args=[mine.pk])).status_code == 200
    assert client.get(reverse("admin:payments_paymentorder_change", args=[theirs.pk])).status_code in (
        302,
        404,
    )
    assert client.get(reverse("admin:payments_bill_change", args=[theirs.bill_id])).status_code in (302, 404)
    # Operators' pages and actions stay closed to officers, even with a permission on the model.
    assert client.get(reverse("admin:payments_statement_changelist")).status_code == 403
    assert client.get(reverse("admin:payments_paymentorder_refund", args=[mine.pk])).status_code == 403
    assert client.post(reverse("admin:payments_paymentorder_requery", args=[mine.pk])).status_code == 403


def _agency(code: str) -> Any:
    from dichvucong.organisations.models import Agency

    return Agency.objects.get(code=code)
