"""CPU accounting from /proc for the benchmarks: the CPU time of given processes, of the whole machine, the
children of a process, waiting for the machine to be idle before timing, and the CPU's model for the report."""

from __future__ import annotations

import os
import time
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces; the fields after it are space-separated.
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """CPU time (user + system) of each process still alive."""
    times = {}
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            times[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return times


def children_of(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[1]) == parent:
                pids.append(int(entry.name))
    return pids


def machine_cpu_seconds() -> tuple[float, float]:
    """CPU time run on the machine by every process and the kernel (all cores), and the time the hypervisor
    took away from this virtual machine (steal), from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq) / CLOCK_TICKS, steal / CLOCK_TICKS


def wait_until_idle(limit: float) -> float:
    """Wait (up to `limit` seconds) until the machine's work uses under 0.3 of a core (an idle machine shows
    0.1–0.2: the kernel's housekeeping); returns the share of a core used in the last sample."""
    deadline = time.monotonic() + limit
    while True:
        before, _steal = machine_cpu_seconds()
        time.sleep(3)
        busy = (machine_cpu_seconds()[0] - before) / 3
        if busy < 0.3 or time.monotonic() > deadline:
            return busy
        print(f"waiting for the machine to be idle: other processes use {busy:.1f} cores", flush=True)


def cpu_model() -> str:
    """The CPU's model name, as /proc/cpuinfo gives it ("" where it does not)."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return ""
