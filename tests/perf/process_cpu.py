"""CPU time of a deployment's processes, read from /proc (Linux): the services by their pids, PostgreSQL and
Kafka by their command lines, so that a benchmark can say what one unit of work costs each of them.

A process that exits between two readings loses the time it spent after the first (a pool's connections
live through a step, so PostgreSQL's backends do); one that starts between them counts from its start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
POSTGRESQL, KAFKA = "postgresql", "kafka"


def _cpu_seconds(pid: int) -> float | None:
    """User + system time of `pid`, or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (name) ": state is field 3, utime 14, stime 15
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND


def _server_of(pid: int) -> str | None:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    program = command[0].decode(errors="replace")
    if program.startswith("postgres") or program.endswith("/postgres"):
        return POSTGRESQL  # the postmaster (its path) and its children ("postgres: ...")
    if b"kafka.Kafka" in command:
        return KAFKA
    return None


class CpuMeter:
    """`reading()` then `since(reading)`: CPU seconds per service, PostgreSQL and Kafka in between."""

    def __init__(self, services: Mapping[str, int]) -> None:
        self.services = dict(services)  # name -> pid

    def reading(self) -> dict[tuple[str, int], float]:
        found: dict[tuple[str, int], float] = {}
        named = {pid: name for name, pid in self.services.items()}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            group = named.get(pid) or _server_of(pid)
            if group is not None and (seconds := _cpu_seconds(pid)) is not None:
                found[(group, pid)] = seconds
        return found

    def since(self, before: Mapping[tuple[str, int], float]) -> dict[str, float]:
        spent: dict[str, float] = {}
        for (group, pid), seconds in self.reading().items():
            spent[group] = spent.get(group, 0.0) + seconds - before.get((group, pid), 0.0)
        return spent
