"""The CPU meter of the benchmarks reads what a process spent from /proc."""

import os
import subprocess
import sys

from tests.perf.process_cpu import CpuMeter


def test_the_meter_counts_the_cpu_a_named_process_spends_and_nothing_for_an_idle_one() -> None:
    # Given a child that computes for about 0.3 s of CPU, and one that only waits for its input
    busy = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass",
        ]
    )
    idle = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        meter = CpuMeter({"busy": busy.pid, "idle": idle.pid, "this": os.getpid()})
        before = meter.reading()
        # When the busy one has finished (its time is read before it is reaped)
        os.waitid(os.P_PID, busy.pid, os.WEXITED | os.WNOWAIT)
        spent = meter.since(before)
    finally:
        busy.wait()
        idle.communicate(b"")
    # Then the meter saw the busy one's computing, and next to nothing of the idle one's
    assert spent["busy"] >= 0.2
    assert spent.get("idle", 0.0) < 0.1
