"""The health of an integration: failures in a row, the error rate over the window, the undelivered outbox items
and their age (the lag), each against the thresholds in settings, and the board in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dichvucong.core.models import OutboxMessage
from dichvucong.dossiers.services import DELIVER_TOPIC
from dichvucong.monitoring import selectors
from dichvucong.monitoring.models import Direction
from tests.monitoring.factories import calls, onestop
from tests.sandboxes.onestop import submit_dossier

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _thresholds(settings: Any) -> None:
    settings.MONITORING_WINDOW_MINUTES = 60
    settings.MONITORING_MIN_CALLS = 10
    settings.MONITORING_ERROR_RATE_AMBER = 0.05
    settings.MONITORING_ERROR_RATE_RED = 0.25
    settings.MONITORING_FAILURES_RED = 3
    settings.MONITORING_LAG_MINUTES_AMBER = 15
    settings.MONITORING_LAG_MINUTES_RED = 60
    settings.MONITORING_QUIET_HOURS_AMBER = 24


def health(integration: Any, now: dt.datetime | None = None) -> selectors.Health:
    found = selectors.health_of("onestop", integration.pk, now=now)
    assert found is not None
    return found


def test_an_integration_without_any_exchange_is_green_with_empty_figures() -> None:
    h = health(onestop())
    assert (h.level, h.reasons, h.calls, h.undelivered, h.lag, h.last_out_ok) == (
        "green",
        [],
        0,
        0,
        None,
        None,
    )
    assert h.level_label == "Bình thường"


def test_one_failure_after_successes_is_amber_and_three_in_a_row_are_red() -> None:
    system = onestop()
    calls(system, "ooox")
    h = health(system)
    assert h.level == "amber" and h.failures_in_a_row == {"out": 1}
    assert h.reasons == ["Lần trao đổi gần nhất thất bại (gửi đi)"]
    calls(system, "xx")
    h = health(system)
    assert h.level == "red" and h.failures_in_a_row == {"out": 3}
    assert h.reasons == ["3 lần trao đổi liên tiếp thất bại (gửi đi)"]
    assert h.level_label == "Sự cố"


def test_a_success_ends_the_run_of_failures_and_few_calls_are_not_judged_by_their_rate() -> None:
    system = onestop()
    calls(system, "xxxo")
    h = health(system)
    assert h.level == "green", h.reasons
    assert (h.calls, h.failures, h.error_rate_text) == (4, 3, "75%")


def test_failures_in_a_row_are_counted_per_direction() -> None:
    system = onestop()
    now = timezone.now()
    calls(system, "xxx", end=now - dt.timedelta(seconds=5))
    calls(system, "ooo", end=now, direction=Direction.IN)
    h = health(system, now)
    assert h.level == "red" and h.failures_in_a_row == {"out": 3}
    assert h.last_in_ok is not None and h.last_out_ok is None


@pytest.mark.parametrize(
    ("pattern", "level", "rate"),
    [
        ("o" * 19 + "x" + "o", "green", "5%"),
        ("oxoooooooooooooooooo", "amber", "5%"),
        ("xoxoxooooo", "red", "30%"),
    ],
)
def test_the_error_rate_over_the_window_against_its_thresholds(pattern: str, level: str, rate: str) -> None:
    # 1/21 (4.8 %) is below the amber threshold; 1/20 (5 %) reaches it; 3/10 reaches red.
    system = onestop()
    calls(system, pattern)
    h = health(system)
    assert (h.level, h.error_rate_text) == (level, rate)
    if level != "green":
        assert any("Tỷ lệ lỗi" in reason for reason in h.reasons)


def test_calls_before_the_window_do_not_count() -> None:
    system = onestop()
    now = timezone.now()
    calls(system, "xxxxx", end=now - dt.timedelta(minutes=61))
    calls(system, "o", end=now)
    h = health(system, now)
    assert (h.level, h.calls, h.failures) == ("green", 1, 0)


def test_undelivered_dossiers_count_for_the_system_serving_their_agency_and_their_age_is_the_lag(
    settings: Any,
) -> None:
    hanoi = onestop("UBND-01")
    other = onestop("UBND-79")
    dossier = submit_dossier("UBND-01")  # its outbox message is pending
    now = timezone.now()
    h = health(hanoi, now + dt.timedelta(minutes=5))
    assert (h.undelivered, h.given_up, h.level) == (1, 0, "green")
    assert h.lag_minutes == 5
    assert health(other, now).undelivered == 0
    assert health(hanoi, now + dt.timedelta(minutes=16)).level == "amber"
    late = health(hanoi, now + dt.timedelta(minutes=61))
    assert late.level == "red" and late.reasons == ["Thông điệp chờ gửi lâu nhất đã chờ 61 phút"]
    OutboxMessage.objects.filter(topic=DELIVER_TOPIC, key=dossier.code).update(delivered_at=now)
    assert health(hanoi, now + dt.timedelta(minutes=61)).undelivered == 0


def test_a_dossier_of_a_commune_counts_for_its_provinces_system_and_a_given_up_one_is_red() -> None:
    from dichvucong.organisations.models import Agency

    hanoi = onestop("UBND-01")
    commune = Agency.objects.filter(parent__code="UBND-01").first()
    assert commune is not None
    dossier = submit_dossier(commune.code)
    OutboxMessage.objects.filter(topic=DELIVER_TOPIC, key=dossier.code).update(
        failed_at=timezone.now(), last_error="answered 400"
    )
    h = health(hanoi)
    assert (h.undelivered, h.given_up, h.level) == (1, 1, "red")
    assert "1 thông điệp đã bị bỏ sau nhiều lần gửi lỗi" in h.reasons


def test_an_integration_without_an_address_is_amber() -> None:
    h = health(onestop(endpoint=""))
    assert (h.level, h.reasons) == ("amber", ["Chưa có địa chỉ tiếp nhận"])


def test_the_board_puts_red_first_and_reads_in_a_fixed_number_of_queries() -> None:
    first = onestop("UBND-01")
    calls(first, "o")
    submit_dossier("UBND-01")

    def board_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            selectors.all_health()
        return len(captured)

    few = board_queries()
    broken = onestop("UBND-79")
    calls(broken, "xxx")
    onestop("UBND-48")
    submit_dossier("UBND-79")
    assert board_queries() == few
    healths = selectors.all_health()
    assert healths[0].integration_id == broken.pk
    assert [h.level for h in healths] == ["red", "green", "green"]


def test_a_system_that_stopped_sending_status_events_turns_amber_after_the_quiet_hours(settings: Any) -> None:
    system = onestop()
    now = timezone.now()
    calls(system, "oo", direction=Direction.IN, end=now - dt.timedelta(hours=23))
    assert health(system, now).level == "green"
    later = now + dt.timedelta(hours=2)  # 25 hours after the last status event
    quiet = health(system, later)
    assert quiet.level == "amber"
    assert quiet.reasons == ["Không nhận được cập nhật trạng thái hồ sơ nào trong 25 giờ qua"]
    settings.MONITORING_QUIET_HOURS_AMBER = 0  # the rule off
    assert health(system, later).level == "green"
    # A system that never sent anything is not "quiet": it has no sync to lose.
    assert health(onestop("UBND-79"), later).level == "green"


def test_look_ups_do_not_keep_a_system_from_going_quiet_but_statuses_and_results_do() -> None:
    from dichvucong.monitoring import services

    system = onestop()
    now = timezone.now()
    calls(system, "o", direction=Direction.IN, end=now - dt.timedelta(hours=30))  # the last status events

    def inbound(operation: str) -> None:
        services.record_call(
            kind="onestop",
            integration_id=system.pk,
            direction=Direction.IN,
            operation=operation,
            ok=True,
            at=now,
        )

    inbound("TraCuuHoSo")  # a look-up through the national sync interface, just now
    inbound("LayThuTuc")
    quiet = health(system, now)
    assert quiet.level == "amber"
    assert quiet.reasons == ["Không nhận được cập nhật trạng thái hồ sơ nào trong 30 giờ qua"]
    assert quiet.last_in_ok == now  # the board still shows the last exchange of any kind
    for operation in ("CapNhatTienDoHoSoMC", "results"):
        inbound(operation)
        assert health(system, now).level == "green", operation


def test_the_quiet_rule_knows_every_inbound_operation_that_carries_statuses() -> None:
    from dichvucong.api import legacy_sync
    from dichvucong.monitoring.models import STATUS_OPERATIONS

    # The national sync interface's status operations, and the agency API's two writes (`inbound(...)` names).
    assert {"DongBoHoSoMC", "CapNhatTienDoHoSoMC"} <= set(legacy_sync.OPERATIONS)
    assert {"DongBoHoSoMC", "CapNhatTienDoHoSoMC", "status-events", "results"} == STATUS_OPERATIONS
    assert not {"TraCuuHoSo", "LayThuTuc", "LayDanhSachTTHC"} & STATUS_OPERATIONS


def test_a_biller_only_looked_up_is_watched_and_its_failed_look_ups_turn_it_red() -> None:
    from tests.payments.factories import make_biller

    biller = make_biller("thue-ha-noi", adapter="signed_json", endpoint_url="http://127.0.0.1:9")
    calls(biller, "oxxx", kind="biller")
    found = selectors.health_of("biller", biller.pk)
    assert found is not None
    assert found.level == "red"
    # No webhook address: paid bills cannot be announced to it, which the board says too.
    assert "Chưa có địa chỉ tiếp nhận" in found.reasons


def test_failed_test_sends_alone_do_not_turn_a_system_red_but_a_successful_one_shows_recovery() -> None:
    from dichvucong.monitoring import services

    system = onestop()
    now = timezone.now()

    def test_send(ok: bool, seconds: int) -> None:
        services.record_call(
            kind="onestop",
            integration_id=system.pk,
            direction=Direction.OUT,
            operation="test:dossier",
            ok=ok,
            status_code=200 if ok else 503,
            is_test=True,
            at=now - dt.timedelta(seconds=seconds),
        )

    for seconds in (30, 20, 10):
        test_send(False, seconds)
    assert health(system, now).level == "green"
    calls(system, "xxx", end=now - dt.timedelta(seconds=5))
    assert health(system, now).level == "red"
    test_send(True, 0)
    assert health(system, now + dt.timedelta(seconds=1)).level == "green"
