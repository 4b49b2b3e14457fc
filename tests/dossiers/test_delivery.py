"""Dossiers submitted on the portal reach the agency's one-stop system (sandbox-onestop, a real process) through
the outbox: once each, whatever fails on the way. The acceptance tests of the issue are at the end: an agency
outage, and a Celery worker killed with SIGKILL in the middle of a delivery."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from dichvucong.core import outbox
from dichvucong.core.models import OutboxMessage
from dichvucong.dossiers import services
from dichvucong.dossiers.demo import SANDBOX_ONESTOP_KEY_ID, SANDBOX_ONESTOP_SECRET, load_demo_integrations
from dichvucong.dossiers.models import AgencyIntegration, Dossier
from dichvucong.organisations.models import Agency
from tests.sandboxes.onestop import (
    KEY_ID,
    SECRET,
    OnestopServer,
    celery_worker,
    running_onestop,
    shared_database,
    submit_dossier,
    wait_for,
    worker_environment,
)


def later(days: int = 1) -> datetime:
    """A moment past any back-off of the first attempts (messages are due from when they were written)."""
    return datetime.now(UTC) + timedelta(days=days)


@pytest.fixture
def onestop(tmp_path: Path) -> Iterator[OnestopServer]:
    """A fresh sandbox for each test: dossier codes start again at 0001 in each test's database."""
    with running_onestop(tmp_path / "onestop") as server:
        yield server


@pytest.fixture(autouse=True)
def _outbox_in_the_test(settings: Any, tmp_path: Path) -> None:
    settings.OUTBOX_DISPATCH = "none"
    settings.OUTBOX_MAX_ATTEMPTS = 5
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def hanoi_system(db: None, onestop: OnestopServer, settings: Any) -> AgencyIntegration:
    """Hà Nội's one-stop system, registered as `loaddemo` does, pointing at the sandbox."""
    settings.SANDBOX_ONESTOP_URL = onestop.url
    load_demo_integrations()
    return AgencyIntegration.objects.get(key_id=SANDBOX_ONESTOP_KEY_ID)


def deliver_dossiers(now: datetime | None = None) -> int:
    """The sweep, for the deliveries to one-stop systems only (submitting also queues e-mail and SMS notices)."""
    moment = now or datetime.now(UTC)
    due = OutboxMessage.objects.filter(pk__in=outbox.due_ids(1000, now=moment), topic=services.DELIVER_TOPIC)
    return sum(outbox.deliver(pk, now=moment) for pk in due.order_by("id").values_list("pk", flat=True))


def message_of(dossier: Dossier) -> OutboxMessage:
    return OutboxMessage.objects.get(topic=services.DELIVER_TOPIC, key=dossier.code)


def test_the_demo_integration_is_the_sandboxs_and_loading_it_again_changes_nothing(
    db: None, settings: Any
) -> None:
    assert (SANDBOX_ONESTOP_KEY_ID, SANDBOX_ONESTOP_SECRET) == (KEY_ID, SECRET)
    assert "registered for UBND-01" in load_demo_integrations()
    assert load_demo_integrations() == "demo one-stop integration already there"
    integration = AgencyIntegration.objects.get()
    assert integration.agency.code == "UBND-01" and integration.endpoint_url == settings.SANDBOX_ONESTOP_URL


def test_a_submitted_dossier_is_delivered_once_with_signed_document_links(
    hanoi_system: AgencyIntegration, onestop: OnestopServer, settings: Any
) -> None:
    settings.PORTAL_BASE_URL = "https://dichvucong.example"
    dossier = submit_dossier(with_document=True)
    assert deliver_dossiers() == 1

    stored = onestop.dossiers()[dossier.code]
    assert stored["deliveries"] == 1 and stored["webhook_ids"] == [dossier.code]
    national = stored["national"]
    assert national["MaHoSo"] == dossier.code and national["ChuHoSo"] == "Nguyễn Văn An"
    assert national["DonViXuLy"] == "UBND-01" and national["DuLieuBieuMau"] == {"noi_sinh": "Hà Nội"}
    [document] = national["TaiLieuNop"]
    assert document["TenTepDinhKem"] == "Tờ khai TK01" and document["MaThanhPhanHoSo"] == "TK01"
    assert document["DuongDanTaiTep"].startswith("https://dichvucong.example/api/v1/agency/documents/")

    dossier.refresh_from_db()
    hanoi_system.refresh_from_db()
    assert dossier.delivered_at is not None and message_of(dossier).state == "delivered"
    assert hanoi_system.last_delivered_at is not None and hanoi_system.last_error == ""
    assert deliver_dossiers(later()) == 0


def test_a_communes_dossier_goes_to_the_provinces_system(
    hanoi_system: AgencyIntegration, onestop: OnestopServer
) -> None:
    commune = Agency.objects.filter(parent__code="UBND-01").first()
    assert commune is not None
    dossier = submit_dossier(commune.code)
    assert deliver_dossiers() == 1
    assert dossier.code in onestop.dossiers()


def test_without_an_integration_the_dossier_waits_until_operators_add_one(
    db: None, onestop: OnestopServer, settings: Any
) -> None:
    dossier = submit_dossier()
    assert deliver_dossiers() == 0
    message = message_of(dossier)
    assert (
        message.state == "pending" and "no active one-stop integration serves UBND-01" in message.last_error
    )

    settings.SANDBOX_ONESTOP_URL = onestop.url
    load_demo_integrations()
    assert deliver_dossiers(later()) == 1
    assert dossier.code in onestop.dossiers()


def test_an_inactive_integration_serves_nobody(hanoi_system: AgencyIntegration) -> None:
    AgencyIntegration.objects.filter(pk=hanoi_system.pk).update(is_active=False)
    dossier = submit_dossier()
    assert deliver_dossiers() == 0
    assert message_of(dossier).state == "pending"


def test_a_refusal_gives_up_and_is_shown_on_the_integration(
    hanoi_system: AgencyIntegration, onestop: OnestopServer
) -> None:
    onestop.control("outage", down=True, status=422)
    dossier = submit_dossier()
    assert deliver_dossiers() == 0
    message = message_of(dossier)
    hanoi_system.refresh_from_db()
    assert message.state == "failed" and "answered 422" in message.last_error
    assert "answered 422" in hanoi_system.last_error
    assert Dossier.objects.get(pk=dossier.pk).delivered_at is None

    onestop.control("outage", down=False)  # fixed by the agency; an operator sends it again
    outbox.retry(message.pk)
    assert deliver_dossiers(later()) == 1
    hanoi_system.refresh_from_db()
    assert hanoi_system.last_error == ""


def test_an_integration_naming_an_unknown_connector_waits(hanoi_system: AgencyIntegration) -> None:
    AgencyIntegration.objects.filter(pk=hanoi_system.pk).update(connector="fax")
    dossier = submit_dossier()
    deliver_dossiers()
    assert message_of(dossier).state == "pending"
    assert "unknown one-stop connector 'fax'" in AgencyIntegration.objects.get(pk=hanoi_system.pk).last_error


def test_a_message_for_a_dossier_that_does_not_exist_is_given_up(db: None) -> None:
    with transaction.atomic():
        message = outbox.enqueue(
            topic=services.DELIVER_TOPIC, key="KHONG-CO", payload={"dossier_code": "KHONG-CO"}
        )
    assert outbox.deliver(message.pk) is False
    message.refresh_from_db()
    assert message.state == "failed" and "does not exist" in message.last_error


# --- acceptance: an agency outage -------------------------------------------------------------------------------


def test_delivery_survives_an_agency_outage(hanoi_system: AgencyIntegration, onestop: OnestopServer) -> None:
    onestop.control("outage", down=True, status=503)
    dossiers = [submit_dossier() for _ in range(3)]
    seen_before = onestop.state()["requests_seen"]

    # Every attempt during the outage fails and is scheduled again, with back-off; nothing is lost.
    now = datetime.now(UTC)
    for _ in range(2):
        assert deliver_dossiers(now) == 0
        messages = [message_of(d) for d in dossiers]
        assert all(m.state == "pending" and "answered 503" in m.last_error for m in messages)
        now = max(m.available_at for m in messages)
    assert onestop.state()["requests_seen"] == seen_before + 6
    assert not {d.code for d in dossiers} & set(onestop.dossiers())

    onestop.control("outage", down=False)
    assert deliver_dossiers(now) == 3
    assert deliver_dossiers(later(2)) == 0
    stored = onestop.dossiers()
    for dossier in dossiers:
        assert stored[dossier.code]["deliveries"] == 1  # once each
        dossier.refresh_from_db()
        assert dossier.delivered_at is not None and message_of(dossier).attempts == 3


# --- acceptance: a worker killed with SIGKILL mid-delivery ------------------------------------------------------

# Short times so that the test takes seconds: the lease outlives the connector's read timeout, as in production.
WORKER_SETTINGS = {
    "OUTBOX_LEASE_SECONDS": "8",
    "OUTBOX_SWEEP_SECONDS": "1",
    "OUTBOX_BACKOFF_BASE_SECONDS": "1",
    "OUTBOX_BACKOFF_MAX_SECONDS": "2",
    "ONESTOP_CONNECT_TIMEOUT_SECONDS": "2",
    "ONESTOP_READ_TIMEOUT_SECONDS": "6",
}


@pytest.fixture
def publish_to(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[Any]:
    """Dispatch on commit through Celery, to the broker (filesystem) of the workers of this test."""
    from kombu import Connection

    from dichvucong.core import tasks

    connections: list[Connection] = []

    def use(var_dir: Path) -> None:
        folder = str(var_dir / "broker" / "queue")
        connection = Connection(
            "filesystem://",
            transport_options={
                "data_folder_in": folder,
                "data_folder_out": folder,
                "control_folder": str(var_dir / "broker" / "control"),
            },
        )
        connections.append(connection)
        settings.OUTBOX_DISPATCH = "celery"
        monkeypatch.setattr(
            tasks.deliver_outbox_message,
            "delay",
            lambda message_id: tasks.deliver_outbox_message.apply_async((message_id,), connection=connection),
        )

    yield use
    for connection in connections:
        connection.release()


@pytest.mark.django_db(transaction=True)
def test_delivery_survives_a_kill_9_of_a_worker(tmp_path: Path, settings: Any, publish_to: Any) -> None:
    var_dir = tmp_path / "var"
    with running_onestop(tmp_path / "onestop") as onestop, shared_database(tmp_path) as database_url:
        settings.SANDBOX_ONESTOP_URL = onestop.url
        load_demo_integrations()
        environment = worker_environment(database_url, var_dir, **WORKER_SETTINGS)
        onestop.control("slow", seconds=30)  # the first delivery hangs: the worker is killed during it

        with celery_worker(environment, tmp_path / "worker-1.log") as first:
            publish_to(var_dir)
            dossiers = [submit_dossier() for _ in range(3)]  # each published when it commits
            wait_for(lambda: onestop.state()["in_flight"] >= 1, timeout=60, what="a delivery in flight")
            first.kill_9()
        onestop.control("slow", seconds=0)

        # The worker died holding the lease of the message it was delivering; nothing is delivered yet.
        [in_flight] = OutboxMessage.objects.filter(topic=services.DELIVER_TOPIC, locked_until__isnull=False)
        assert in_flight.delivered_at is None and in_flight.attempts == 1
        assert not Dossier.objects.filter(delivered_at__isnull=False).exists()

        with celery_worker(environment, tmp_path / "worker-2.log") as second:
            wait_for(
                lambda: (
                    not OutboxMessage.objects.filter(
                        topic=services.DELIVER_TOPIC, delivered_at__isnull=True
                    ).exists()
                ),
                timeout=90,
                interval=0.2,
                what=f"every dossier delivered; worker log:\n{second.log_text()[-3000:]}",
            )

        stored = onestop.dossiers()  # fails if a dossier is stored twice
        for dossier in dossiers:
            assert dossier.code in stored
            dossier.refresh_from_db()
            assert dossier.delivered_at is not None
        in_flight.refresh_from_db()
        assert in_flight.attempts >= 2  # taken over once its lease ran out
        assert all(m.failed_at is None for m in OutboxMessage.objects.filter(topic=services.DELIVER_TOPIC))
