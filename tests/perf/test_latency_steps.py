"""The latency benchmark's choice of the next rate: up while under a p99 of 1 s, down while over, then halving
the interval between the highest rate under and the lowest over."""

from tests.perf.bench_latency import Step, _next_rate


def step(rate: float, p99_ms: float) -> Step:
    latencies = [p99_ms] * 10  # every quantile is the p99 asked
    return Step(rate, rate, len(latencies), len(latencies), latencies)


def test_doubles_while_under_and_halves_while_over() -> None:
    assert _next_rate([step(50, 300)]) == 100
    assert _next_rate([step(200, 5000), step(100, 2000)]) == 50


def test_tries_the_midpoint_once_both_sides_are_known() -> None:
    assert _next_rate([step(200, 5000), step(100, 2000), step(50, 400)]) == 75
    assert _next_rate([step(200, 5000), step(100, 2000), step(50, 400), step(75, 700)]) == 88


def test_stops_when_under_and_over_are_within_a_fifth() -> None:
    steps = [step(200, 5000), step(100, 2000), step(50, 400), step(75, 700), step(88, 1200)]
    assert _next_rate(steps) is None


def test_an_incomplete_step_counts_as_over() -> None:
    lost = Step(100, 100, 1000, 990, [100.0] * 990)  # ten contracts never seen signed
    assert _next_rate([lost]) == 50
