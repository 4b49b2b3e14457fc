"""Acceptance 3: a kill -9 of the worker or of the web process mid-callback loses no payment and no webhook.

- The worker: a real `celery -A dichvucong worker -B` delivers the agencies' webhooks of paid bills from the outbox
  to sandbox-billers (a real process), which is slowed so that a delivery is in flight when the worker is
  SIGKILLed. A second worker delivers every webhook; the sandbox has each once (verified), none lost.
- The web process: the portal (gunicorn, a real process) receives sandbox-bank's notification of a payment and is
  SIGKILLed while inside the transaction that applies it (held there by a lock the test takes on the bill). The
  bank got no answer, so it sends the notification again; the restarted portal applies it: the order is paid
  once, its ledger posting and the agency's webhook message exist once.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from dichvucong.core.models import OutboxMessage
from dichvucong.payments import services
from dichvucong.payments.models import BillStatus, LedgerEntry, OrderStatus, PaymentOrder
from tests.dossiers.test_delivery import publish_to  # noqa: F401  (fixture)
from tests.payments.factories import make_bill, make_order, make_provider, paid_report
from tests.portal_process import Database, Portal, _free_port
from tests.sandboxes.bank import pay_vnpay, running_bank, vnpay_provider
from tests.sandboxes.billers import portal_biller, running_billers
from tests.sandboxes.onestop import celery_worker, shared_database, wait_for, worker_environment

pytestmark = pytest.mark.xdist_group("payments-crash")

# Short times so that the test takes seconds: the lease outlives the webhook's read timeout, as in production.
WORKER_SETTINGS = {
    "OUTBOX_LEASE_SECONDS": "8",
    "OUTBOX_SWEEP_SECONDS": "1",
    "OUTBOX_BACKOFF_BASE_SECONDS": "1",
    "OUTBOX_BACKOFF_MAX_SECONDS": "2",
    "PAYMENT_CONNECT_TIMEOUT_SECONDS": "2",
    "PAYMENT_READ_TIMEOUT_SECONDS": "6",
    "PAYMENT_SETTLE_SECONDS": "3600",
}


@pytest.mark.django_db(transaction=True)
def test_no_webhook_is_lost_when_the_worker_is_killed_mid_delivery(
    tmp_path: Path,
    publish_to: Any,  # noqa: F811
) -> None:
    var_dir = tmp_path / "var"
    with running_billers(tmp_path / "billers") as billers, shared_database(tmp_path) as database_url:
        biller = portal_biller(billers, "csgt")
        references = {"123/QĐ-XPHC": 2_000_000, "456/QĐ-XPHC": 800_000}  # two of the sandbox's open fines
        environment = worker_environment(database_url, var_dir, **WORKER_SETTINGS)
        billers.control("slow", system="csgt", seconds=30)  # the first delivery hangs: the worker dies in it

        with celery_worker(environment, tmp_path / "worker-1.log") as first:
            publish_to(var_dir)
            orders = []
            provider = make_provider()
            for reference, amount in references.items():
                bill = make_bill(biller, reference=reference, amount=amount)
                order = make_order(bill, provider, now=timezone.now())
                paid = paid_report(order, at=timezone.now(), transaction_id=f"T-{order.pk}")
                services.apply_report(
                    provider=order.provider, report=paid
                )  # the webhook is published on commit
                orders.append(order)
            wait_for(
                lambda: billers.control_state()["webhooks_in_flight"] >= 1,
                timeout=60,
                what="a webhook delivery in flight",
            )
            first.kill_9()
        billers.control("slow", system="csgt", seconds=0)

        messages = OutboxMessage.objects.filter(topic=services.NOTIFY_TOPIC)
        [in_flight] = messages.filter(locked_until__isnull=False)
        assert in_flight.delivered_at is None and in_flight.attempts == 1

        with celery_worker(environment, tmp_path / "worker-2.log") as second:
            wait_for(
                lambda: not messages.filter(delivered_at__isnull=True).exists(),
                timeout=90,
                interval=0.2,
                what=f"every webhook delivered; worker log:\n{second.log_text()[-3000:]}",
            )

        received = {w["webhook_id"]: w for w in billers.webhooks("csgt")}
        for order in orders:
            webhook = received[f"payment-{order.reference}"]  # one record per webhook-id: never twice
            assert webhook["verified"] and webhook["bill_reference"] == order.bill.reference
        assert len(received) == len(orders)
        assert all(b["status"] == "paid" for ref, b in billers.bills("csgt").items() if ref in references)
        in_flight.refresh_from_db()
        assert in_flight.attempts >= 2  # taken over once its lease ran out
        for order in PaymentOrder.objects.all():
            assert order.status == OrderStatus.PAID and order.bill.status == BillStatus.PAID
        assert LedgerEntry.objects.filter(posting__startswith="pay:").count() == 2 * len(orders)
        assert all(m.failed_at is None for m in messages)


# --- the web process, killed inside the transaction that applies a payment ----------------------------------------


def _portal_connections(port: int) -> int:
    """Open TCP connections to the portal's port (gunicorn's sync worker closes each after its answer, so one
    that stays open is a request being served)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01":  # ESTABLISHED
                count += 1
    return count


class BlockingLock:
    """Holds the portal's payment transaction where the test wants it.

    PostgreSQL: the test inserts (uncommitted) the receipt the portal is about to insert; the portal then has
    paid the order, written the ledger and the bill, and waits on the receipt's unique index, inside its
    transaction. SQLite has one writer: the test holds the write lock, and the portal waits to begin."""

    def __init__(self, database: Database, order: PaymentOrder) -> None:
        self.database, self.order = database, order
        self.connection: Any = None

    def take(self) -> None:
        if self.database.vendor == "sqlite":
            self.connection = sqlite3.connect(self.database.sqlite_path, timeout=30, isolation_level=None)
            self.connection.execute("BEGIN IMMEDIATE")
            return
        import psycopg

        self.connection = psycopg.connect(self.database.url)  # a transaction, left open
        self.connection.execute(
            "INSERT INTO payments_receipt (order_id, number, verification_code, issued_at, content) "
            "VALUES (%s, %s, %s, now(), '{}')",
            (self.order.pk, f"TEST-{self.order.pk}", f"TEST{self.order.pk}"),
        )

    def portal_waiting(self, port: int) -> bool:
        if self.database.vendor == "sqlite":
            return _portal_connections(port) > 0
        name = self.database.url.rsplit("/", 1)[1]
        rows = self.database.rows(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
            "AND backend_xid IS NOT NULL",
            (name,),
        )
        return bool(rows[0][0])

    def release(self) -> None:
        self.connection.rollback() if self.database.vendor == "postgresql" else self.connection.execute(
            "ROLLBACK"
        )
        self.connection.close()


@pytest.mark.django_db(transaction=True)
def test_no_payment_is_lost_when_the_web_process_is_killed_mid_callback(tmp_path: Path) -> None:
    from django.db import connection

    port = _free_port()
    portal_url = f"http://127.0.0.1:{port}"
    ipn_url = f"{portal_url}/thanh-toan/tb/ipn/sandbox-vnpay/"
    with (
        shared_database(tmp_path) as database_url,
        running_bank(
            tmp_path / "bank", SANDBOX_BANK_PORTAL_URL=portal_url, SANDBOX_BANK_VNPAY_IPN_URL=ipn_url
        ) as bank,
    ):
        vendor = connection.vendor
        database = Database(
            database_url,
            vendor,
            Path(database_url.removeprefix("sqlite:///")) if vendor == "sqlite" else None,
        )
        provider = vnpay_provider(bank.url)
        provider.save()
        order = make_order(make_bill(), provider, now=timezone.now())
        checkout = services.start_checkout(
            order,
            return_url=f"{portal_url}/thanh-toan/tb/ve/sandbox-vnpay/",
            notify_url=ipn_url,
            client_ip="127.0.0.1",
        )
        lock = BlockingLock(database, order)
        lock.take()
        portal = Portal(database, tmp_path / "portal.log", port=port)
        try:
            answer = pay_vnpay(checkout)  # the bank takes the money and sends its notification to the portal
            assert answer.status_code == 303, answer.text
            deadline = time.monotonic() + 30
            while not lock.portal_waiting(port):
                assert time.monotonic() < deadline, "the notification never reached the portal's transaction"
                time.sleep(0.005)
            portal.kill()  # SIGKILL, the whole process group, while the payment is being applied
        finally:
            lock.release()

        # Nothing of the killed transaction is left, and the bank was not told the payment was taken.
        order.refresh_from_db()
        assert order.status == OrderStatus.PENDING
        assert not LedgerEntry.objects.exists()
        assert not any(a["acknowledged"] for ipn in bank.ipns(order.reference) for a in ipn["attempts"])

        # The portal comes back; the bank sends its notification again; the payment is applied once.
        portal = Portal(database, tmp_path / "portal.log", port=port)
        try:
            wait_for(
                lambda: PaymentOrder.objects.get(pk=order.pk).status == OrderStatus.PAID,
                timeout=60,
                interval=0.2,
                what=f"the order paid after the restart; bank log:\n{bank.log_text()[-2000:]}",
            )
        finally:
            portal.kill()
        order.refresh_from_db()
        assert order.bill.status == BillStatus.PAID
        assert LedgerEntry.objects.filter(posting=f"pay:{order.reference}").count() == 2
        assert OutboxMessage.objects.filter(topic=services.NOTIFY_TOPIC, key=order.reference).count() == 1
        assert order.receipt.number
