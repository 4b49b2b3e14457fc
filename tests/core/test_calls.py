"""Timing an exchange with an agency's system: `observe` reports each call through `call_observed` (ok, or failed
with the status its error names), lets the block's exception go on unchanged, and cannot be made to fail by the
receiver that records it. The integration monitor's receiver is tested in tests/monitoring/test_services.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dichvucong.core.calls import call_observed, observe
from dichvucong.core.outbox import RetryLater

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported() -> Iterator[list[dict[str, Any]]]:
    """The calls reported while the test runs (the monitoring app's receiver, connected too, records them in
    the test's database)."""
    found: list[dict[str, Any]] = []

    def receive(sender: Any, **fields: Any) -> None:
        fields.pop("signal")
        found.append(fields)

    call_observed.connect(receive, dispatch_uid="tests.core.calls")
    try:
        yield found
    finally:
        call_observed.disconnect(dispatch_uid="tests.core.calls")


def test_a_block_that_ends_normally_is_reported_ok_with_the_status_it_set(
    reported: list[dict[str, Any]],
) -> None:
    with observe(kind="onestop", integration_id=7, operation="dossier") as observed:
        observed.status_code = 202
    [call] = reported
    assert call == {
        "kind": "onestop",
        "integration_id": 7,
        "direction": "out",
        "operation": "dossier",
        "ok": True,
        "status_code": 202,
        "duration_ms": call["duration_ms"],
        "error": "",
        "is_test": False,
    }
    assert call["duration_ms"] >= 0


def test_a_block_that_raises_is_reported_failed_with_the_status_its_error_names_and_the_error_goes_on(
    reported: list[dict[str, Any]],
) -> None:
    error = RetryLater("http://x/dossiers answered 503: bảo trì")
    with pytest.raises(RetryLater) as raised, observe(kind="biller", integration_id=3, operation="payment"):
        raise error
    assert raised.value is error
    [call] = reported
    assert (call["ok"], call["status_code"], call["error"]) == (
        False,
        503,
        "http://x/dossiers answered 503: bảo trì",
    )


def test_the_status_the_block_set_wins_over_the_one_its_error_names(reported: list[dict[str, Any]]) -> None:
    with (
        pytest.raises(RuntimeError),
        observe(kind="biller", integration_id=3, operation="payment") as observed,
    ):
        observed.status_code = 502
        raise RuntimeError("answered 503")
    assert reported[0]["status_code"] == 502


def test_an_error_without_text_is_reported_by_its_type_and_without_a_status(
    reported: list[dict[str, Any]],
) -> None:
    with pytest.raises(TimeoutError), observe(kind="onestop", integration_id=1, operation="dossier"):
        raise TimeoutError
    assert (reported[0]["ok"], reported[0]["status_code"], reported[0]["error"]) == (
        False,
        None,
        "TimeoutError",
    )


def test_an_error_the_block_sets_without_raising_is_a_failure(reported: list[dict[str, Any]]) -> None:
    with observe(
        kind="onestop", integration_id=1, operation="DongBoHoSoMC", direction="in", is_test=True
    ) as observed:
        observed.error = '{"error_code": "99"}'
    [call] = reported
    assert (call["ok"], call["error"], call["direction"], call["is_test"]) == (
        False,
        '{"error_code": "99"}',
        "in",
        True,
    )


def test_a_receiver_that_fails_changes_nothing_for_the_exchange(reported: list[dict[str, Any]]) -> None:
    def broken(sender: Any, **fields: Any) -> None:
        raise RuntimeError("the recorder is down")

    call_observed.connect(broken, dispatch_uid="tests.core.calls.broken")
    try:
        with observe(kind="onestop", integration_id=1, operation="dossier"):
            pass
        with pytest.raises(KeyError), observe(kind="onestop", integration_id=1, operation="dossier"):
            raise KeyError("the exchange's own error")
    finally:
        call_observed.disconnect(dispatch_uid="tests.core.calls.broken")
    assert [call["ok"] for call in reported] == [True, False]
