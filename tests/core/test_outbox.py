"""The transactional outbox: messages are recorded with the change they announce and sent only once it commits;
a worker claims a message with a lease, so two never run it at once and a dead worker's message is taken over;
failures come back after an exponential back-off with jitter, and are given up after the last attempt for an
operator to retry. The clock is moved by passing `now=`, never by sleeping."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction

from dichvucong.core import outbox
from dichvucong.core.errors import DomainError
from dichvucong.core.models import AuditEvent, OutboxMessage
from dichvucong.core.outbox import PermanentFailure, RetryLater
from tests.conftest import make_operator

TOPIC = "tests.echo"
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

# What the test handler does with each call, in order ("ok" once the list is empty), and the keys it saw.
script: list[Callable[[OutboxMessage], None] | str] = []
seen: list[str] = []


@outbox.handler(TOPIC)
def echo(message: OutboxMessage) -> None:
    seen.append(message.key)
    step = script.pop(0) if script else "ok"
    if callable(step):
        step(message)
    elif step == "retry":
        raise RetryLater("agency answered 503")
    elif step == "permanent":
        raise PermanentFailure("agency answered 400: MaTTHC không hợp lệ")
    elif step == "crash":
        raise ValueError("bug in the handler")


@pytest.fixture(autouse=True)
def _outbox_settings(settings: Any) -> Iterator[None]:
    settings.OUTBOX_DISPATCH = "none"
    settings.OUTBOX_MAX_ATTEMPTS = 4
    settings.OUTBOX_BACKOFF_BASE_SECONDS = 10
    settings.OUTBOX_BACKOFF_MAX_SECONDS = 60
    settings.OUTBOX_LEASE_SECONDS = 120
    script.clear()
    seen.clear()
    yield
    script.clear()
    seen.clear()


def make_message(key: str = "HS-0001", *, at: datetime = T0, **payload: Any) -> OutboxMessage:
    with transaction.atomic():
        message = outbox.enqueue(topic=TOPIC, key=key, payload=payload or {"dossier_code": key})
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=at, available_at=at)
    message.refresh_from_db()
    return message


def reload(message: OutboxMessage) -> OutboxMessage:
    message.refresh_from_db()
    return message


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch, settings: Any) -> list[int]:
    """Dispatch through Celery, with `deliver_outbox_message.delay` recording instead of publishing."""
    from dichvucong.core import tasks

    sent: list[int] = []
    settings.OUTBOX_DISPATCH = "celery"
    monkeypatch.setattr(tasks.deliver_outbox_message, "delay", sent.append)
    return sent


# --- enqueue and dispatch ---------------------------------------------------------------------------------------


def test_enqueueing_the_same_topic_and_key_twice_gives_one_message(db: None) -> None:
    first = make_message("HS-0001", version=1)
    with transaction.atomic():
        again = outbox.enqueue(topic=TOPIC, key="HS-0001", payload={"version": 2})
        other_topic = outbox.enqueue(topic="tests.other", key="HS-0001", payload={})
    assert again.pk == first.pk and again.payload == {"version": 1}
    assert other_topic.pk != first.pk
    assert OutboxMessage.objects.filter(topic=TOPIC).count() == 1


def test_enqueue_outside_a_transaction_is_refused(db: None) -> None:
    current = transaction.get_connection()
    current.in_atomic_block = False  # the test itself runs in a transaction: pretend it does not
    try:
        with pytest.raises(outbox.OutsideTransaction):
            outbox.enqueue(topic=TOPIC, key="HS-0001", payload={})
    finally:
        current.in_atomic_block = True


def test_a_message_is_sent_to_a_worker_only_once_its_transaction_commits(
    db: None, published: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            message = outbox.enqueue(topic=TOPIC, key="HS-0001", payload={})
            assert published == []
        assert published == []  # still inside the request's transaction
    assert published == [message.pk]


def test_nothing_is_sent_or_kept_when_the_transaction_rolls_back(
    db: None, published: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
    ):
        outbox.enqueue(topic=TOPIC, key="HS-0001", payload={})
        _ = 1 / 0
    assert callbacks == [] and published == []
    assert not OutboxMessage.objects.exists()


def test_enqueueing_again_sends_nothing_more(
    db: None, published: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue(topic=TOPIC, key="HS-0001", payload={})
        outbox.enqueue(topic=TOPIC, key="HS-0001", payload={})
    assert len(published) == 1


def test_enqueue_many_records_each_message_once_and_sends_them_after_the_commit(
    db: None, published: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    first = make_message("HS-0001", version=1)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue_many(
            [(TOPIC, "HS-0001", {"version": 2}), (TOPIC, "HS-0002", {}), (TOPIC, "HS-0003", {})]
        )
        assert published == []
    messages = OutboxMessage.objects.filter(topic=TOPIC).order_by("key")
    assert [m.key for m in messages] == ["HS-0001", "HS-0002", "HS-0003"]
    assert messages[0].pk == first.pk and messages[0].payload == {"version": 1}
    assert sorted(published) == sorted(m.pk for m in messages)


def test_a_delayed_message_is_left_to_the_sweep(
    db: None, published: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = outbox.enqueue(topic=TOPIC, key="HS-0001", payload={}, delay=timedelta(minutes=5))
    assert published == []
    assert outbox.due_ids(10, now=message.created_at) == []
    assert outbox.due_ids(10, now=message.created_at + timedelta(minutes=5)) == [message.pk]


def test_a_broker_that_is_down_does_not_fail_the_commit(
    db: None, settings: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from dichvucong.core import tasks

    def broker_down(message_id: int) -> None:
        raise ConnectionRefusedError("amqp://broker:5672")

    settings.OUTBOX_DISPATCH = "celery"
    monkeypatch.setattr(tasks.deliver_outbox_message, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = outbox.enqueue(topic=TOPIC, key="HS-0001", payload={})
    assert outbox.due_ids(10) == [message.pk]  # the sweep will send it


def test_dispatch_none_sends_nothing(db: None, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = outbox.enqueue(topic=TOPIC, key="HS-0001", payload={})
    assert seen == [] and reload(message).state == "pending"


def test_a_topic_has_one_handler(db: None) -> None:
    from django.core.exceptions import ImproperlyConfigured

    def other(message: OutboxMessage) -> None: ...

    with pytest.raises(ImproperlyConfigured, match="already has a handler"):
        outbox.handler(TOPIC)(other)
    assert outbox.handler(TOPIC)(echo) is echo  # the same function again (a module imported twice) is fine
    assert TOPIC in outbox.registered_topics()


# --- delivery, claim and lease ----------------------------------------------------------------------------------


def test_a_delivered_message_is_marked_and_not_delivered_again(db: None) -> None:
    message = make_message()
    assert outbox.deliver(message.pk, now=T0) is True
    message = reload(message)
    assert message.state == "delivered" and message.delivered_at == T0
    assert message.attempts == 1 and message.locked_until is None and message.last_error == ""
    assert outbox.deliver(message.pk, now=T0 + timedelta(hours=1)) is False
    assert seen == ["HS-0001"]


def test_a_claimed_message_cannot_be_claimed_again_while_its_lease_lasts(db: None) -> None:
    message = make_message()
    assert outbox.claim(message.pk, now=T0) == 1
    assert outbox.claim(message.pk, now=T0) is None
    assert outbox.claim(message.pk, now=T0 + timedelta(seconds=119)) is None
    assert outbox.deliver(message.pk, now=T0 + timedelta(seconds=60)) is False
    assert seen == []


def test_the_message_of_a_worker_that_died_is_claimed_again_after_the_lease(db: None) -> None:
    message = make_message()
    assert outbox.claim(message.pk, now=T0) == 1  # … and the worker is killed
    assert outbox.due_ids(10, now=T0 + timedelta(seconds=119)) == []
    assert outbox.due_ids(10, now=T0 + timedelta(seconds=120)) == [message.pk]
    assert outbox.deliver(message.pk, now=T0 + timedelta(seconds=120)) is True
    assert reload(message).attempts == 2


def test_a_worker_whose_lease_ran_out_does_not_overwrite_the_next_workers_outcome(db: None) -> None:
    message = make_message()
    late = T0 + timedelta(minutes=5)

    def slow_then_overtaken(m: OutboxMessage) -> None:
        # While this worker is stuck, its lease runs out and another worker delivers the message.
        assert outbox.deliver(m.pk, now=late) is True
        raise RetryLater("timed out")

    script.append(slow_then_overtaken)
    assert outbox.deliver(message.pk, now=T0) is False
    message = reload(message)
    assert message.state == "delivered" and message.delivered_at == late and message.attempts == 2


@pytest.mark.postgres
@pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="SQLite has one writer at a time: the two UPDATEs cannot interleave (the test above covers it)",
)
@pytest.mark.django_db(transaction=True)
def test_of_two_workers_claiming_at_the_same_moment_one_wins() -> None:
    message = make_message()
    barrier = threading.Barrier(2)
    results: list[int | None] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(outbox.claim(message.pk, now=T0))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results, key=lambda r: r or 0) == [None, 1]
    assert reload(message).attempts == 1


# --- retries, back-off, giving up -------------------------------------------------------------------------------


def test_a_retry_comes_back_after_an_exponential_back_off_with_jitter(db: None) -> None:
    message = make_message()
    script.extend(["retry", "retry", "retry"])
    now = T0
    for attempt, ceiling in ((1, 10), (2, 20), (3, 40)):
        assert outbox.deliver(message.pk, now=now) is False
        message = reload(message)
        wait = (message.available_at - now).total_seconds()
        assert ceiling / 2 <= wait <= ceiling, (attempt, wait)
        assert message.attempts == attempt and message.state == "pending"
        assert message.last_error == "agency answered 503" and message.locked_until is None
        assert outbox.deliver(message.pk, now=message.available_at - timedelta(seconds=1)) is False
        now = message.available_at
    assert outbox.deliver(message.pk, now=now) is True
    assert reload(message).last_error == ""


def test_the_back_off_is_capped_and_its_jitter_spreads_messages() -> None:
    rng = random.Random(7)
    waits = {outbox.backoff(12, rng=rng).total_seconds() for _ in range(20)}
    assert all(30 <= wait <= 60 for wait in waits)  # the cap is 60 s in these tests
    assert len(waits) == 20


def test_an_unexpected_error_in_a_handler_is_retried(db: None) -> None:
    message = make_message()
    script.append("crash")
    assert outbox.deliver(message.pk, now=T0) is False
    message = reload(message)
    assert message.state == "pending" and message.last_error == "ValueError: bug in the handler"


def test_a_topic_without_a_handler_in_this_process_is_retried(db: None) -> None:
    with transaction.atomic():
        message = outbox.enqueue(topic="tests.nobody", key="x", payload={})
    assert outbox.deliver(message.pk) is False
    assert "no handler for topic 'tests.nobody'" in reload(message).last_error


def test_a_permanent_failure_is_given_up_at_once(db: None) -> None:
    message = make_message()
    script.append("permanent")
    assert outbox.deliver(message.pk, now=T0) is False
    message = reload(message)
    assert message.state == "failed" and message.failed_at == T0 and message.attempts == 1
    assert message.last_error == "agency answered 400: MaTTHC không hợp lệ"
    assert outbox.due_ids(10, now=T0 + timedelta(days=1)) == []


def test_a_message_is_given_up_after_the_last_attempt(db: None) -> None:
    message = make_message()
    script.extend(["retry"] * 4)
    now = T0
    for _ in range(4):
        outbox.deliver(message.pk, now=now)
        message = reload(message)
        now = message.available_at if message.failed_at is None else now
    assert message.state == "failed" and message.attempts == 4 and message.failed_at == now
    assert outbox.deliver(message.pk, now=now + timedelta(days=1)) is False
    assert len(seen) == 4


def test_a_worker_lost_during_the_last_attempt_gives_the_message_up(db: None) -> None:
    message = make_message()
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=4, locked_until=T0, last_error="timed out")
    assert outbox.deliver(message.pk, now=T0) is False
    message = reload(message)
    assert message.state == "failed" and message.last_error == "timed out" and seen == []


def test_deliver_due_delivers_what_is_due_oldest_first(db: None) -> None:
    make_message("HS-0002", at=T0 + timedelta(seconds=2))
    make_message("HS-0001", at=T0 + timedelta(seconds=1))
    make_message("HS-0003", at=T0 + timedelta(hours=1))
    assert outbox.deliver_due(now=T0 + timedelta(seconds=5)) == 2
    assert seen == ["HS-0001", "HS-0002"]
    assert outbox.deliver_due(limit=1, now=T0 + timedelta(hours=2)) == 1
    assert outbox.deliver_due(now=T0 + timedelta(hours=2)) == 0


# --- operators ----------------------------------------------------------------------------------------------


def test_an_operator_retries_a_message_given_up_and_it_is_audited(db: None, published: list[int]) -> None:
    operator = make_operator()
    message = make_message()
    script.append("permanent")
    outbox.deliver(message.pk, now=T0)

    with transaction.atomic():  # the commit is simulated: the callbacks run below
        outbox.retry(message.pk, actor=operator)
    message = reload(message)
    assert message.state == "pending" and message.attempts == 0
    event = AuditEvent.objects.get(action="outbox.retry")
    assert event.actor_id == operator.pk and event.object_id == str(message.pk)
    assert event.detail["key"] == "HS-0001" and event.detail["was_failed"] is True
    assert "MaTTHC" in event.detail["last_error"]
    assert outbox.deliver(message.pk) is True


def test_an_operator_retry_is_sent_to_a_worker_once_committed(
    db: None, published: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    message = make_message()
    script.append("permanent")
    outbox.deliver(message.pk, now=T0)
    with django_capture_on_commit_callbacks(execute=True):
        outbox.retry(message.pk, actor=make_operator())
    assert published == [message.pk]


def test_a_delivered_message_or_one_being_delivered_cannot_be_retried(db: None) -> None:
    delivered, in_flight = make_message("HS-0001"), make_message("HS-0002")
    outbox.deliver(delivered.pk)
    outbox.claim(in_flight.pk, now=datetime.now(UTC))
    for message in (delivered, in_flight):
        with pytest.raises(DomainError):
            outbox.retry(message.pk, actor=make_operator(f"op-{message.key}"))
    assert not AuditEvent.objects.filter(action="outbox.retry").exists()


# --- Celery ---------------------------------------------------------------------------------------------------


def test_the_sweep_hands_every_due_message_to_the_workers(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from dichvucong.core import tasks

    due = [make_message(f"HS-000{i}").pk for i in range(3)]
    later = make_message("HS-0009", at=datetime.now(UTC) + timedelta(hours=1))
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.deliver_outbox_message, "apply_async", lambda args, **kw: calls.append(args))
    assert tasks.sweep_outbox() == 3
    assert sorted(c[0] for c in calls) == sorted(due) and later.pk not in [c[0] for c in calls]


def test_the_task_delivers_the_message(db: None) -> None:
    from dichvucong.core import tasks

    message = make_message()
    assert tasks.deliver_outbox_message(message.pk) is True
    assert tasks.deliver_outbox_message(message.pk) is False  # run twice: no harm


def test_celery_is_configured_for_at_least_once_tasks_and_the_periodic_sweeps() -> None:
    import importlib.util

    from django.apps import apps as installed

    from dichvucong.celery import app

    for config in installed.get_app_configs():  # what a worker's autodiscovery imports
        if config.name.startswith("dichvucong.") and importlib.util.find_spec(f"{config.name}.tasks"):
            importlib.import_module(f"{config.name}.tasks")

    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.task_ignore_result
    assert conf.worker_prefetch_multiplier == 1
    scheduled = {entry["task"] for entry in conf.beat_schedule.values()}
    assert {
        "dichvucong.core.tasks.sweep_outbox",
        "dichvucong.accounts.tasks.deliver_pending_logouts",
        "dichvucong.payments.tasks.settle_open_orders",
    } <= scheduled
    assert scheduled <= set(app.tasks)  # every periodic task exists
