"""contracts-svc as the runtime sees it."""

from __future__ import annotations

from pathlib import Path

from contracts_svc import metrics
from contracts_svc.api import contracts as contracts_api
from contracts_svc.api import hires as hires_api
from contracts_svc.api import statistics as statistics_api
from contracts_svc.api.routes import router
from contracts_svc.bootstrap import Contracts, build
from contracts_svc.budget_answers import BILLING_TOPIC, BudgetAnswers
from contracts_svc.read_models.known_members import TOPIC, on_members_event
from services.runtime import SHORT_HANDLERS_TOGETHER, Consumer, ServiceDefinition

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="contracts",
        title="contracts-svc",
        migrations=MIGRATIONS,
        routers=[router, contracts_api.router, hires_api.router, statistics_api.router],
        build=build,
        consumers=lambda service: [
            Consumer(
                "contracts.known-members",
                (TOPIC,),
                on_members_event,
                messages_per_transaction=SHORT_HANDLERS_TOGETHER,
            ),
            *(
                [
                    Consumer(
                        "contracts.budget-answers",
                        (BILLING_TOPIC,),
                        BudgetAnswers(service.resources.store).on_billing_event,
                        messages_per_transaction=SHORT_HANDLERS_TOGETHER,
                    )
                ]
                if isinstance(service, Contracts)
                else []
            ),
        ],
        projections=lambda service: (
            [service.directory, service.worked, service.statistics] if isinstance(service, Contracts) else []
        ),
        background=metrics.background,
        produces=["contracts.events"],
        problem_mappers=contracts_api.PROBLEM_MAPPERS,
    )
