"""Benchmarks: scripts that print tables (`uv run python -m tests.perf`), not tests."""
