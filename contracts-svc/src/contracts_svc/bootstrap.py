"""Composition root: what contracts-svc's routes and runners use, built from the running resources."""

from __future__ import annotations

from services.runtime import Resources


def build(resources: Resources) -> Resources:
    # Contracts' command handlers come with its issue; until then the routes only read the pool.
    return resources
