"""billing-svc as the runtime sees it."""

from __future__ import annotations

from pathlib import Path

from billing_svc.api import invoices, quotes
from billing_svc.bootstrap import background, build
from services.runtime import ServiceDefinition

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="billing",
        title="billing-svc",
        migrations=MIGRATIONS,
        routers=[invoices.router, quotes.router],
        build=build,
        background=background,
        produces=["billing.events"],
        problem_mappers={**invoices.PROBLEM_MAPPERS, **quotes.PROBLEM_MAPPERS},
    )
