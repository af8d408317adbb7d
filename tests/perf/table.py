"""The one shape every benchmark returns, and the table `make bench` prints and writes to docs/benchmarks.md.

A benchmark module's API is one function: `def main() -> list[Figure]`. A figure is a measured value with
its unit; `target` says what it must be (or None: recorded, not judged); `reference` names the figure it is
compared with, measured in the same run (figures on this shared machine move with the load, so only ratios
measured side by side are compared). Scale: `scale()` is BENCH_SCALE (1 = the seed's size, 10 = ten times).
"""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BENCHMARKS_MD = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
_RUNS_HEADING = "## Runs of `make bench`"


def scale() -> int:
    """BENCH_SCALE: 1 (the seed's size, default) or 10 (ten times it)."""
    value = int(os.environ.get("BENCH_SCALE", "1"))
    if value not in (1, 10):
        raise SystemExit("BENCH_SCALE is 1 (the seed's size) or 10 (ten times it)")
    return value


@dataclass(frozen=True)
class Target:
    """`value <op> bound`: at least (>=) or below (<)."""

    op: str
    bound: float

    @classmethod
    def at_least(cls, bound: float) -> Target:
        return cls(">=", bound)

    @classmethod
    def below(cls, bound: float) -> Target:
        return cls("<", bound)

    def met_by(self, value: float) -> bool:
        return value >= self.bound if self.op == ">=" else value < self.bound

    def __str__(self) -> str:
        return f"{self.op} {_number(self.bound)}"


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    target: Target | None = None
    reference: str = ""  # the figure it is judged against, measured in the same run ("bare asyncpg: 5,300/s")
    benchmark: str = ""  # filled by the runner: the module's short name

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        return "ok" if self.target.met_by(self.value) else "NOT MET"


def _number(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return "never" if value > 0 else str(value)
    if value == int(value) and abs(value) >= 10:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:.2f}"


def machine() -> str:
    """CPU model, cores, memory, Python: what the figures were measured on."""
    model = platform.machine()
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
        if found:
            model = found.group(1).strip()
    except OSError:
        pass
    memory = "?"
    try:
        total_kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{total_kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{model}, {os.cpu_count()} cores, {memory} memory, Python {platform.python_version()}"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def cpu_seconds(*names: str, pids: tuple[int, ...] = ()) -> float:
    """CPU time (user + system) used so far by the given processes and every process of these names."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        command = stat[stat.index("(") + 1 : stat.rindex(")")]
        if int(entry.name) in pids or command in names:
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def markdown(figures: list[Figure]) -> str:
    lines = [
        "| benchmark | figure | value | target | verdict | reference (same run) |",
        "| --- | --- | ---: | --- | --- | --- |",
    ]
    for f in figures:
        target = "" if f.target is None else str(f.target)
        value = f"{_number(f.value)} {f.unit}".strip()
        lines.append(f"| {f.benchmark} | {f.name} | {value} | {target} | {f.verdict} | {f.reference} |")
    return "\n".join(lines)


def section(figures: list[Figure], *, started: datetime, load_before: str, chosen: list[str]) -> str:
    when = f"{started:%Y-%m-%d %H:%M} UTC"
    return (
        f"### {when}, BENCH_SCALE={scale()}: {', '.join(chosen)}\n\n"
        f"Machine: {machine()}. Load average (1 / 5 / 15 min) before: {load_before}; after: "
        f"{load_average()} (finished {datetime.now(UTC):%H:%M} UTC).\n\n{markdown(figures)}\n"
    )


def record(text: str, path: Path = BENCHMARKS_MD) -> None:
    """Put a run's section first under the runs' heading (made if absent); older sections stay after it."""
    document = path.read_text()
    if _RUNS_HEADING not in document:
        title, _, rest = document.partition("\n")
        intro = (
            f"{_RUNS_HEADING}\n\nEach run of `make bench` (`uv run python -m tests.perf`) adds its table "
            "here, newest first. The sections after these runs describe each benchmark and keep earlier "
            "figures.\n"
        )
        document = f"{title}\n\n{intro}\n{rest.lstrip()}"
    head, heading, tail = document.partition(_RUNS_HEADING)
    next_section = tail.find("\n## ")
    own = tail if next_section < 0 else tail[: next_section + 1]
    newest = own.find("\n### ")
    cut = len(own) if newest < 0 else newest + 1
    path.write_text(f"{head}{heading}{tail[:cut].rstrip()}\n\n{text}\n{tail[cut:]}")
