"""The benchmark table: verdicts from targets, and each run's section first in the document, older kept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.perf.table import Figure, Target, markdown, record, section

DOCUMENT = """# Benchmarks

## Event store

### An older subsection of the event store
"""


def test_a_figure_is_judged_by_its_target() -> None:
    assert Figure("p99", 120, "ms", Target.below(500)).verdict == "ok"
    assert Figure("p99", 500, "ms", Target.below(500)).verdict == "NOT MET"
    assert Figure("rate", 0.4, "x", Target.at_least(0.5)).verdict == "NOT MET"
    assert Figure("rate", 12, "/s").verdict == ""
    row = markdown([Figure("p50", 42.5, "ms", Target.below(100), "bare 1 ms", benchmark="latency")])
    assert "| latency | p50 | 42.5 ms | < 100 | ok | bare 1 ms |" in row


def test_each_run_goes_first_under_the_runs_heading_and_older_sections_stay(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    path.write_text(DOCUMENT)
    for name in ("first", "second"):
        text = section(
            [Figure(name, 1, "x", benchmark=name)],
            started=datetime(2026, 11, 26, 17, 0, tzinfo=UTC),
            load_before="1.00 / 1.00 / 1.00",
            chosen=[name],
        )
        record(text, path)
    written = path.read_text()
    assert written.startswith("# Benchmarks\n\n## Runs of `make bench`")
    assert written.index(": second") < written.index(": first") < written.index("## Event store")
    assert written.endswith("### An older subsection of the event store\n")
    assert written.count("## Event store") == 1
