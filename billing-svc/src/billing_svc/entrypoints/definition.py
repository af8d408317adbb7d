"""billing-svc as the runtime sees it: its schema and topic so far; its resources come with its issue."""

from __future__ import annotations

from pathlib import Path

from billing_svc.bootstrap import build
from services.runtime import ServiceDefinition

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="billing",
        title="billing-svc",
        migrations=MIGRATIONS,
        routers=[],
        build=build,
        produces=["billing.events"],
    )
