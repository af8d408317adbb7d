"""contracts-svc as the runtime sees it."""

from __future__ import annotations

from pathlib import Path

from contracts_svc.api.routes import router
from contracts_svc.integration.when_member_applied import TOPIC, when_member_applied
from services.runtime import Consumer, ServiceDefinition

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="contracts",
        title="contracts-svc",
        migrations=MIGRATIONS,
        routers=[router],
        consumers=lambda _: [Consumer("contracts.known-members", (TOPIC,), when_member_applied)],
        produces=["contracts.events"],
    )
