"""payroll-svc as the runtime sees it: its schema, the consumer of contracts' events, its routers, and its
read models' inline projection (rebuilt by replay, never run live: the commands write those tables)."""

from __future__ import annotations

from pathlib import Path

from payroll_svc import metrics
from payroll_svc.api import payslips, simulations
from payroll_svc.bootstrap import CONTRACTS_TOPIC, Payroll, build
from payroll_svc.config import Settings
from payroll_svc.read_models.payroll_projection import PayrollViews
from services.runtime import Consumer, ServiceDefinition

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="payroll",
        title="payroll-svc",
        migrations=MIGRATIONS,
        routers=[simulations.router, payslips.router, metrics.ops_router],
        build=build,
        consumers=lambda service: payslips_consumer(service) if isinstance(service, Payroll) else [],
        inline_projections=lambda service: (
            [PayrollViews(service.resources.store)] if isinstance(service, Payroll) else []
        ),
        background=metrics.background,
        produces=["payroll.events"],
        problem_mappers={**simulations.PROBLEM_MAPPERS, **payslips.PROBLEM_MAPPERS},
    )


def payslips_consumer(payroll: Payroll) -> list[Consumer]:
    settings = payroll.resources.settings
    assert isinstance(settings, Settings)
    return [
        Consumer(
            "payroll.payslips",
            (CONTRACTS_TOPIC,),
            payroll.on_contracts_event,
            concurrency=settings.payslips_concurrency,
            messages_per_transaction=settings.payslips_messages_per_transaction,
            linger=settings.payslips_linger,
        )
    ]
