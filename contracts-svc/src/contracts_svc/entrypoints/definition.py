"""contracts-svc as the runtime sees it."""

from __future__ import annotations

from pathlib import Path

from contracts_svc.api.routes import router
from contracts_svc.bootstrap import build
from contracts_svc.read_models.known_members import TOPIC, on_members_event
from services.runtime import Consumer, ServiceDefinition

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="contracts",
        title="contracts-svc",
        migrations=MIGRATIONS,
        routers=[router],
        build=build,
        consumers=lambda _: [Consumer("contracts.known-members", (TOPIC,), on_members_event)],
        produces=["contracts.events"],
    )
