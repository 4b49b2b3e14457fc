"""Reconciliation of a provider's daily statement: the import (every error with its line, all or nothing, the
same file once), each kind of difference found on a small hand-made day, the operators' resolutions, and the
exported report."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest

from dichvucong.core.errors import ValidationFailed
from dichvucong.core.models import AuditEvent
from dichvucong.payments import reconciliation, services
from dichvucong.payments.models import (
    Discrepancy,
    DiscrepancyKind,
    OrderStatus,
    Refund,
    Statement,
    StatementLine,
)
from dichvucong.payments.providers.base import CallbackOutcome, ReportedStatus
from dichvucong.payments.reconciliation import ReconciliationError
from tests.payments.factories import (
    MONDAY_9AM,
    make_bill,
    make_biller,
    make_order,
    make_provider,
    paid_report,
)

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 2)
LATER = MONDAY_9AM + dt.timedelta(minutes=3)
HEADER = "order_reference,provider_transaction,amount,currency,status,paid_at\n"
Resolution = Discrepancy.Resolution


def _csv(*lines: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO((header + "".join(line + "\n" for line in lines)).encode())


def _line(order: Any, transaction: str, *, amount: int | None = None, status: str = "success") -> str:
    reference = order if isinstance(order, str) else order.reference
    value = amount if amount is not None else (2_000_000 if isinstance(order, str) else order.amount)
    return f"{reference},{transaction},{value},VND,{status},2026-11-02T09:02:00+07:00"


def _import(provider: Any, *lines: str, actor: Any = None) -> Statement:
    return reconciliation.import_statement(
        provider=provider, day=DAY, file=_csv(*lines), file_name="vnpay-2026-11-02.csv", actor=actor
    )


class _Orders:
    """Orders of one provider on one day, each on its own bill."""

    def __init__(self) -> None:
        self.biller = make_biller()
        self.provider = make_provider()
        self.n = 0

    def open(self, amount: int = 2_000_000) -> Any:
        self.n += 1
        bill = make_bill(self.biller, reference=f"{self.n}/QĐ-XPHC", amount=amount)
        return make_order(bill, self.provider)

    def paid(self, transaction: str, amount: int = 2_000_000) -> Any:
        order = self.open(amount)
        outcome = services.apply_report(
            provider=self.provider, report=paid_report(order, transaction_id=transaction), now=LATER
        )
        assert outcome == CallbackOutcome.APPLIED
        order.refresh_from_db()
        return order


def _refund(order: Any, amount: int, transaction: str, *, of_refund_due: bool = False) -> Refund:
    item = Refund.objects.create(
        reference=f"HT-{transaction}",
        order=order,
        amount=amount,
        of_refund_due=of_refund_due,
        reason="Nộp thừa",
        created_at=LATER,
    )
    return services.finish_refund(item, succeeded=True, transaction_id=transaction, now=LATER)


def _found(statement: Statement) -> dict[str, str]:
    """order reference (+ ':refund' for refund lines) → kind of each open discrepancy."""
    found = {}
    for d in Discrepancy.objects.filter(statement=statement).select_related("line"):
        suffix = (
            ":refund"
            if (d.line is not None and d.line.status == "refund") or d.our_status == "refund"
            else ""
        )
        found[d.order_reference + suffix] = d.kind
    return found


# --- Import ---------------------------------------------------------------------------------------------------


def test_import_reports_every_error_with_its_line_and_imports_nothing() -> None:
    provider = make_provider()
    file = _csv(
        "TT1,14000001,2000000,VND,success,2026-11-02T09:02:00+07:00",
        "TT2,14000002,2.000.000,VND,success,2026-11-02T09:02:00+07:00",
        "TT3,14000003,0,USD,success,2026-11-02T09:02:00+07:00",
        "TT4,14000004,150000,VND,pending,2026-11-02 09:02",
        "TT5,14000005,150000,VND,success",
        ",,150000,VND,refund,2026-11-02T09:02:00+07:00",
    )
    with pytest.raises(ValidationFailed) as caught:
        reconciliation.import_statement(provider=provider, day=DAY, file=file, file_name="x.csv", actor=None)
    where = {(e.row, e.column) for e in caught.value.errors}
    assert where == {
        (3, "amount"),
        (4, "amount"),
        (4, "currency"),
        (5, "status"),
        (5, "paid_at"),
        (6, ""),
        (7, "order_reference"),
        (7, "provider_transaction"),
    }
    assert "8 lỗi" in caught.value.summary
    assert not Statement.objects.exists()
    assert not StatementLine.objects.exists()
    assert AuditEvent.objects.filter(action="payments.statement_rejected").count() == 1


def test_import_refuses_a_file_whose_header_is_not_the_agreed_one() -> None:
    file = _csv(
        "TT1,1,1000,VND,success,2026-11-02T09:02:00+07:00", header="ref,txn,amount,currency,status,at\n"
    )
    with pytest.raises(ValidationFailed) as caught:
        reconciliation.import_statement(
            provider=make_provider(), day=DAY, file=file, file_name="x", actor=None
        )
    assert [(e.row, e.column) for e in caught.value.errors] == [(1, "")]
    assert not Statement.objects.exists()


def test_import_stores_every_line_once_and_the_same_file_again_gives_the_same_statement() -> None:
    provider = make_provider()
    lines = [f"TT{n:04d},{14000000 + n},{100000 + n},VND,success,2026-11-02T09:02:00+07:00" for n in range(7)]
    first = _import(provider, *lines)
    again = _import(provider, *lines)
    assert again.pk == first.pk
    assert first.line_count == 7
    assert StatementLine.objects.filter(statement=first).count() == 7
    line = StatementLine.objects.get(statement=first, order_reference="TT0003")
    assert (line.line_no, line.amount, line.at) == (5, 100003, dt.datetime(2026, 11, 2, 2, 2, tzinfo=dt.UTC))
    assert AuditEvent.objects.filter(action="payments.statement_imported").count() == 1
    assert AuditEvent.objects.filter(action="payments.statement_uploaded_again").count() == 1


def test_import_reads_a_stream_that_cannot_be_rewound_and_a_byte_order_mark() -> None:
    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def read(self, size: int = -1, /) -> bytes:
            return self.data.read(size)

    body = "\ufeff" + HEADER + "TT1,14000001,150000,VND,success,2026-11-02T09:02:00+07:00\r\n"
    statement = reconciliation.import_statement(
        provider=make_provider(), day=DAY, file=OneWay(body.encode()), file_name="x.csv", actor=None
    )
    assert statement.line_count == 1


def test_a_statement_with_no_line_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        _import(make_provider())


# --- Reconciliation -------------------------------------------------------------------------------------------


@dataclass
class Day:
    orders: _Orders
    by_name: dict[str, Any]
    statement: Statement


@pytest.fixture
def day() -> Day:
    """One provider's day with one case of each kind (see each line's comment)."""
    o = _Orders()
    matched = o.paid("T-A")
    ipn_never_came = o.open()
    not_paid_here = o.paid("T-C")
    other_amount = o.paid("T-D")
    failed_here = o.open()
    services.apply_report(
        provider=o.provider,
        report=paid_report(failed_here, status=ReportedStatus.FAILED, paid_at=None),
        now=LATER,
    )
    failed_there = o.paid("T-F")
    late = o.open()
    late_at = late.expires_at + dt.timedelta(minutes=40)
    assert (
        services.apply_report(
            provider=o.provider, report=paid_report(late, at=late_at, transaction_id="T-G"), now=late_at
        )
        == CallbackOutcome.LATE
    )
    refunded = o.paid("T-H")
    _refund(refunded, 500_000, "RF-H")
    refund_not_listed = o.paid("T-I")
    _refund(refund_not_listed, 300_000, "RF-I")
    gave_up = o.open()
    statement = _import(
        o.provider,
        _line(matched, "T-A"),  # matched
        _line(ipn_never_came, "T-B"),  # missing ours: the notification never came
        _line("TT000000000000UNKNOWN", "T-X"),  # missing ours: no such order
        _line(other_amount, "T-D", amount=1_900_000),  # amount
        _line(failed_here, "T-E"),  # status: ours failed, theirs success
        _line(failed_there, "T-F", status="failed"),  # status: ours paid, theirs failed
        _line(late, "T-G"),  # matched: paid late, kept for refund
        _line(refunded, "T-H"),  # matched
        _line(refunded, "RF-H", amount=500_000, status="refund"),  # matched refund
        _line(gave_up, "", status="failed"),  # failed on both sides: no money moved
        _line(refund_not_listed, "T-I"),  # matched; its refund is missing at the provider
        # not_paid_here: no line → missing at the provider
    )
    by_name = {
        "matched": matched,
        "ipn_never_came": ipn_never_came,
        "not_paid_here": not_paid_here,
        "other_amount": other_amount,
        "failed_here": failed_here,
        "failed_there": failed_there,
        "late": late,
        "refunded": refunded,
        "refund_not_listed": refund_not_listed,
        "gave_up": gave_up,
    }
    return Day(o, by_name, statement)


def test_reconcile_counts_each_kind_of_line(day: Day) -> None:
    statement = reconciliation.reconcile(day.statement, now=LATER)
    assert statement.counts == {
        "lines": 11,
        "matched": 5,
        "failed": 1,
        "missing_ours": 2,
        "missing_provider": 2,
        "amount": 1,
        "status": 2,
        "open": 7,
        "resolved": 0,
    }
    assert statement.status == Statement.Status.RECONCILED


def test_reconcile_stores_each_discrepancy_with_its_order_and_line(day: Day) -> None:
    reconciliation.reconcile(day.statement, now=LATER)
    o = day.by_name
    assert _found(day.statement) == {
        o["ipn_never_came"].reference: DiscrepancyKind.MISSING_OURS,
        "TT000000000000UNKNOWN": DiscrepancyKind.MISSING_OURS,
        o["other_amount"].reference: DiscrepancyKind.AMOUNT,
        o["failed_here"].reference: DiscrepancyKind.STATUS,
        o["failed_there"].reference: DiscrepancyKind.STATUS,
        o["not_paid_here"].reference: DiscrepancyKind.MISSING_PROVIDER,
        o["refund_not_listed"].reference + ":refund": DiscrepancyKind.MISSING_PROVIDER,
    }
    amount = Discrepancy.objects.get(kind=DiscrepancyKind.AMOUNT)
    assert (amount.our_amount, amount.their_amount, amount.order, amount.line.line_no) == (  # type: ignore[union-attr]
        2_000_000,
        1_900_000,
        o["other_amount"],
        5,
    )
    missing = Discrepancy.objects.get(order=o["not_paid_here"])
    assert (missing.line, missing.our_status, missing.their_amount) == (None, OrderStatus.PAID, None)
    assert Discrepancy.objects.get(order_reference="TT000000000000UNKNOWN").order is None


def test_a_late_payment_without_its_line_is_missing_at_the_provider() -> None:
    o = _Orders()
    listed = o.paid("T-1")
    late = o.open()
    late_at = late.expires_at + dt.timedelta(minutes=40)
    services.apply_report(
        provider=o.provider, report=paid_report(late, at=late_at, transaction_id="T-2"), now=late_at
    )
    statement = reconciliation.reconcile(_import(o.provider, _line(listed, "T-1")), now=LATER)
    assert _found(statement) == {late.reference: DiscrepancyKind.MISSING_PROVIDER}
    assert Discrepancy.objects.get().our_amount == late.amount


def test_payments_of_another_day_or_provider_are_not_expected_on_the_statement() -> None:
    o = _Orders()
    listed = o.paid("T-1")
    yesterday = make_order(
        make_bill(o.biller, reference="Y/1"), o.provider, now=MONDAY_9AM - dt.timedelta(days=1)
    )
    services.apply_report(
        provider=o.provider,
        report=paid_report(yesterday, transaction_id="T-Y"),
        now=MONDAY_9AM - dt.timedelta(days=1) + dt.timedelta(minutes=3),
    )
    other = make_order(make_bill(o.biller, reference="M/1"), make_provider("momo-sandbox", "momo"))
    services.apply_report(provider=other.provider, report=paid_report(other), now=LATER)
    statement = reconciliation.reconcile(_import(o.provider, _line(listed, "T-1")), now=LATER)
    assert statement.counts["matched"] == 1
    assert not Discrepancy.objects.exists()
    assert statement.status == Statement.Status.CLOSED


def test_a_second_payment_the_provider_lists_for_an_order_already_paid_is_missing_ours() -> None:
    o = _Orders()
    paid = o.paid("T-1")
    statement = reconciliation.reconcile(
        _import(o.provider, _line(paid, "T-1"), _line(paid, "T-2")), now=LATER
    )
    assert statement.counts["matched"] == 1
    assert Discrepancy.objects.get().kind == DiscrepancyKind.MISSING_OURS


def test_a_refund_line_with_another_amount_or_not_yet_confirmed_here_differs() -> None:
    o = _Orders()
    refunded = o.paid("T-1")
    _refund(refunded, 200_000, "RF-1")
    waiting = o.paid("T-2")
    Refund.objects.create(
        reference="HT-W", order=waiting, amount=100_000, reason="Nộp thừa", created_at=LATER
    )
    statement = reconciliation.reconcile(
        _import(
            o.provider,
            _line(refunded, "T-1"),
            _line(refunded, "RF-1", amount=250_000, status="refund"),
            _line(waiting, "T-2"),
            _line(waiting, "RF-W", amount=100_000, status="refund"),
        ),
        now=LATER,
    )
    assert _found(statement) == {
        refunded.reference + ":refund": DiscrepancyKind.AMOUNT,
        waiting.reference + ":refund": DiscrepancyKind.STATUS,
    }
    assert Discrepancy.objects.get(kind=DiscrepancyKind.AMOUNT).our_amount == 200_000


def test_reconciling_again_replaces_open_discrepancies_and_keeps_resolved_ones(day: Day) -> None:
    reconciliation.reconcile(day.statement, now=LATER)
    accepted = Discrepancy.objects.get(kind=DiscrepancyKind.AMOUNT)
    reconciliation.resolve(accepted, action="accept", note="Phí chuyển khoản, đã xác minh.", actor=None)
    statement = reconciliation.reconcile(day.statement, now=LATER)
    assert Discrepancy.objects.filter(statement=statement).count() == 7
    assert Discrepancy.objects.get(kind=DiscrepancyKind.AMOUNT).pk == accepted.pk
    assert (statement.counts["open"], statement.counts["resolved"]) == (6, 1)


# --- Resolution -----------------------------------------------------------------------------------------------


def _plugin(**methods: Any) -> Any:
    plugin = mock.Mock()
    for name, value in methods.items():
        getattr(plugin, name).return_value = value
    return mock.patch("dichvucong.payments.services.plugin_for", return_value=plugin)


def test_requery_settles_the_order_whose_notification_never_came(day: Day) -> None:
    reconciliation.reconcile(day.statement, now=LATER)
    order = day.by_name["ipn_never_came"]
    discrepancy = Discrepancy.objects.get(order=order)
    with _plugin(query=paid_report(order, transaction_id="T-B")):
        resolved = reconciliation.resolve(discrepancy, action="requery", note="", actor=None, now=LATER)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert resolved.resolution == Resolution.REQUERIED
    assert "applied" in resolved.note
    statement = reconciliation.reconcile(day.statement, now=LATER)
    assert statement.counts["matched"] == 6
    assert not Discrepancy.objects.filter(order=order, resolution=Resolution.OPEN).exists()


def test_a_requery_the_provider_does_not_confirm_leaves_the_discrepancy_open(day: Day) -> None:
    reconciliation.reconcile(day.statement, now=LATER)
    order = day.by_name["ipn_never_came"]
    discrepancy = Discrepancy.objects.get(order=order)
    pending = paid_report(order, status=ReportedStatus.PENDING, paid_at=None)
    with _plugin(query=pending), pytest.raises(ReconciliationError):
        reconciliation.resolve(discrepancy, action="requery", note="", actor=None, now=LATER)
    discrepancy.refresh_from_db()
    assert discrepancy.resolution == Resolution.OPEN
    assert AuditEvent.objects.filter(action="payments.discrepancy_requery_unsettled").count() == 1


def test_resolving_the_last_open_discrepancy_closes_the_statement_and_is_audited() -> None:
    from tests.conftest import make_operator

    operator = make_operator()
    o = _Orders()
    paid = o.paid("T-1")
    statement = reconciliation.reconcile(_import(o.provider, _line(paid, "T-1", amount=1_000)), now=LATER)
    discrepancy = Discrepancy.objects.get()
    reconciliation.resolve(discrepancy, action="escalate", note="Đã gửi tổ chức thanh toán.", actor=operator)
    statement.refresh_from_db()
    assert statement.status == Statement.Status.CLOSED
    assert statement.counts["open"] == 0
    event = AuditEvent.objects.get(action="payments.discrepancy_resolved")
    assert (event.actor_id, event.detail["action"], event.detail["order"]) == (
        operator.pk,
        "escalate",
        paid.reference,
    )
    with pytest.raises(ReconciliationError):
        reconciliation.resolve(discrepancy, action="accept", note="Lần nữa", actor=operator)


def test_accept_and_escalate_need_a_note(day: Day) -> None:
    reconciliation.reconcile(day.statement, now=LATER)
    discrepancy = Discrepancy.objects.filter(resolution=Resolution.OPEN).first()
    assert discrepancy is not None
    with pytest.raises(ReconciliationError):
        reconciliation.resolve(discrepancy, action="accept", note="  ", actor=None)
    with pytest.raises(ReconciliationError):
        reconciliation.resolve(discrepancy, action="delete", note="x", actor=None)


def test_refund_hands_the_money_kept_for_refund_to_the_refund_service() -> None:
    from dichvucong.payments.providers.base import RefundResult

    o = _Orders()
    late = o.open()
    late_at = late.expires_at + dt.timedelta(minutes=40)
    services.apply_report(
        provider=o.provider, report=paid_report(late, at=late_at, transaction_id="T-2"), now=late_at
    )
    # The provider lists the late payment under another transaction than the one it notified.
    statement = reconciliation.reconcile(_import(o.provider, _line(late, "T-3")), now=late_at)
    discrepancy = Discrepancy.objects.get(kind=DiscrepancyKind.STATUS, statement=statement)
    with _plugin(refund=RefundResult(succeeded=True, transaction_id="RF-9")):
        resolved = reconciliation.resolve(
            discrepancy, action="refund", note="Hoàn khoản nộp sau hạn.", actor=None, now=late_at
        )
    late.refresh_from_db()
    assert resolved.resolution == Resolution.REFUND
    assert late.refund_due == 0
    assert Refund.objects.get(order=late).status == Refund.Status.SUCCEEDED


def test_refund_is_refused_where_no_money_is_due(day: Day) -> None:
    reconciliation.reconcile(day.statement, now=LATER)
    discrepancy = Discrepancy.objects.get(kind=DiscrepancyKind.AMOUNT)
    with pytest.raises(ReconciliationError):
        reconciliation.resolve(discrepancy, action="refund", note="Hoàn", actor=None)
    assert not Refund.objects.filter(order=discrepancy.order).exists()


# --- Report ---------------------------------------------------------------------------------------------------


def test_export_report_lists_counts_and_every_discrepancy_with_its_resolution(day: Day) -> None:
    reconciliation.reconcile(day.statement, now=LATER)
    amount = Discrepancy.objects.get(kind=DiscrepancyKind.AMOUNT)
    reconciliation.resolve(amount, action="accept", note="=Phí ngân hàng", actor=None, now=LATER)
    rows = list(csv.reader(io.StringIO("".join(reconciliation.export_report(day.statement)))))
    summary = {row[0]: row[1] for row in rows if len(row) == 2}
    assert summary["Khớp"] == "5"
    assert summary["Có ở tổ chức thanh toán, thiếu ở Cổng"] == "2"
    assert summary["Ngày giao dịch"] == "02/11/2026"
    header = rows.index(list(reconciliation.REPORT_HEADER))
    table = rows[header + 1 :]
    assert len(table) == 7
    accepted = next(r for r in table if r[0] == "Lệch số tiền")
    assert accepted[1:8] == [
        day.by_name["other_amount"].reference,
        "5",
        "2000000",
        "1900000",
        "Đã thanh toán",
        "Thành công",
        "Chấp nhận, không điều chỉnh",
    ]
    assert accepted[8] == "'=Phí ngân hàng"  # never run as a formula by a spreadsheet
    assert accepted[10] == "02/11/2026 09:03:00"
