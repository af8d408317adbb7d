"""payroll-svc as the runtime sees it: its schema, topic and the simulation router."""

from __future__ import annotations

from pathlib import Path

from payroll_svc.api import simulations
from payroll_svc.bootstrap import build
from services.runtime import ServiceDefinition

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="payroll",
        title="payroll-svc",
        migrations=MIGRATIONS,
        routers=[simulations.router],
        build=build,
        produces=["payroll.events"],
        problem_mappers=dict(simulations.PROBLEM_MAPPERS),
    )
