"""Timing an exchange with an agency's system (`observe`) and telling whoever keeps the record (`call_observed`).

The domain apps that talk to agencies' systems (dossier delivery, paid-bill webhooks, the national sync interface)
wrap each exchange in `observe`; when the block ends it sends `call_observed` with what happened. The integration
monitor (`dichvucong.monitoring`) connects the receiver that stores it, so that the apps it watches need not import
it (dependencies point one way: the monitor reads them, they only report to core). Without a receiver the call
is simply not recorded.

A receiver must not change the outcome of the exchange: the signal is sent robustly, so a receiver that raises is
logged by Django and the exchange goes on as if nothing had been recorded.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.dispatch import Signal

# sender: this module; kind, integration_id, direction, operation, ok, status_code (int | None), duration_ms,
# error (str, "" when ok), is_test: the fields of the exchange, as `monitoring.services.record_call` takes them.
call_observed = Signal()

# What an exchange is with (the monitor's `Kind`) and which way it went (its `Direction`).
ONESTOP = "onestop"
BILLER = "biller"
OUT = "out"
IN = "in"
_ANSWERED = re.compile(r"answered (\d{3})\b")


class Observation:
    """What the observed code may add to the record: the HTTP status it got, and an error when the exchange
    failed without raising (an interface that answers failures in its body)."""

    status_code: int | None = None
    error: str = ""


@contextmanager
def observe(
    *, kind: str, integration_id: int, operation: str, direction: str = OUT, is_test: bool = False
) -> Iterator[Observation]:
    """Time the block and report it as one call (`call_observed`): ok when it ends normally (unless it set
    `error`), failed (with the exception's text) when it raises, the exception going on unchanged. The status
    code is the one the block sets, else the one a connector's error names ("… answered 503: …")."""
    observation = Observation()
    started = time.monotonic()
    try:
        yield observation
    except Exception as exc:
        error = str(exc) or type(exc).__name__
        status = observation.status_code
        if status is None and (found := _ANSWERED.search(error)):
            status = int(found.group(1))
        _report(kind, integration_id, direction, operation, False, status, started, error, is_test)
        raise
    _report(
        kind,
        integration_id,
        direction,
        operation,
        not observation.error,
        observation.status_code,
        started,
        observation.error,
        is_test,
    )


def _report(
    kind: str,
    integration_id: int,
    direction: str,
    operation: str,
    ok: bool,
    status_code: int | None,
    started: float,
    error: str,
    is_test: bool,
) -> None:
    call_observed.send_robust(
        sender=__name__,
        kind=kind,
        integration_id=integration_id,
        direction=direction,
        operation=operation,
        ok=ok,
        status_code=status_code,
        duration_ms=int((time.monotonic() - started) * 1000),
        error=error,
        is_test=is_test,
    )
