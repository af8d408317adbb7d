"""GCRA with the time passed in: bursts, the steady rate, what the headers are computed from."""

from __future__ import annotations

import pytest

from gateway.rate_limit import Gcra, Policy

POLICY = Policy("default", quota=10, window=10.0)  # one request per second, a burst of 10


def test_a_fresh_client_may_use_its_whole_quota_at_once() -> None:
    limiter = Gcra(POLICY)
    decisions = [limiter.check("cli_a", 100.0) for _ in range(10)]
    assert all(d.allowed for d in decisions)
    assert [d.remaining for d in decisions] == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]


def test_the_request_after_the_quota_is_refused_with_the_wait_until_the_next_one() -> None:
    limiter = Gcra(POLICY)
    for _ in range(10):
        limiter.check("cli_a", 100.0)
    refused = limiter.check("cli_a", 100.0)
    assert not refused.allowed
    assert refused.remaining == 0
    assert refused.retry_after == pytest.approx(1.0)
    assert refused.reset == pytest.approx(10.0)


def test_a_refused_request_does_not_use_quota() -> None:
    limiter = Gcra(POLICY)
    for _ in range(10):
        limiter.check("cli_a", 100.0)
    for _ in range(50):
        assert not limiter.check("cli_a", 100.5).allowed
    assert limiter.check("cli_a", 101.0).allowed


def test_quota_comes_back_at_the_steady_rate() -> None:
    limiter = Gcra(POLICY)
    for _ in range(10):
        limiter.check("cli_a", 100.0)
    assert not limiter.check("cli_a", 100.9).allowed
    after_three_seconds = limiter.check("cli_a", 103.0)
    assert after_three_seconds.allowed
    assert after_three_seconds.remaining == 2
    assert limiter.check("cli_a", 103.0).allowed
    assert limiter.check("cli_a", 103.0).allowed
    assert not limiter.check("cli_a", 103.0).allowed


def test_after_a_whole_window_of_silence_the_full_burst_is_back() -> None:
    limiter = Gcra(POLICY)
    for _ in range(10):
        limiter.check("cli_a", 100.0)
    back = limiter.check("cli_a", 110.0)
    assert back.allowed
    assert back.remaining == 9
    assert back.reset == pytest.approx(1.0)


def test_clients_have_separate_quotas() -> None:
    limiter = Gcra(POLICY)
    for _ in range(10):
        limiter.check("cli_a", 100.0)
    assert not limiter.check("cli_a", 100.0).allowed
    assert limiter.check("cli_b", 100.0).remaining == 9


def test_a_quota_that_does_not_divide_the_window_evenly_still_counts_exactly() -> None:
    limiter = Gcra(Policy("default", quota=100, window=10.0))
    decisions = [limiter.check("cli_a", 0.0) for _ in range(101)]
    assert [d.allowed for d in decisions].count(True) == 100
    assert decisions[98].remaining == 1
    assert decisions[99].remaining == 0


def test_keys_whose_quota_is_whole_again_are_forgotten() -> None:
    limiter = Gcra(POLICY, sweep_above=100)
    for n in range(150):
        limiter.check(f"addr:{n}", float(n))
    # Every key but those of the last window had its quota back when the sweep ran.
    assert len(limiter) < 60


def test_a_policy_needs_a_quota_and_a_window() -> None:
    with pytest.raises(ValueError, match="quota"):
        Policy("default", quota=0, window=10.0)
    with pytest.raises(ValueError, match="window"):
        Policy("default", quota=10, window=0.0)


def test_the_policy_header_follows_the_draft() -> None:
    assert POLICY.header() == '"default";q=10;w=10'
    assert Policy("burst", quota=5, window=0.5).header() == '"burst";q=5;w=0.5'
