"""payroll-svc as the runtime sees it: its schema, the consumer of contracts' events, its routers."""

from __future__ import annotations

from pathlib import Path

from payroll_svc import metrics
from payroll_svc.api import payslips, simulations
from payroll_svc.bootstrap import CONTRACTS_TOPIC, Payroll, build
from services.runtime import Consumer, ServiceDefinition

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="payroll",
        title="payroll-svc",
        migrations=MIGRATIONS,
        routers=[simulations.router, payslips.router, metrics.ops_router],
        build=build,
        consumers=lambda service: (
            [Consumer("payroll.payslips", (CONTRACTS_TOPIC,), service.on_contracts_event, concurrency=6)]
            if isinstance(service, Payroll)
            else []
        ),
        background=metrics.background,
        produces=["payroll.events"],
        problem_mappers={**simulations.PROBLEM_MAPPERS, **payslips.PROBLEM_MAPPERS},
    )
