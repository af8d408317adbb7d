"""billing-svc as the runtime sees it: its schema, the consumers of the bus, its routers, and its read
models' inline projection (rebuilt by replay, never run live: the commands write those tables)."""

from __future__ import annotations

from pathlib import Path

from billing_svc import metrics
from billing_svc.accounts import TOPICS as ACCOUNT_TOPICS
from billing_svc.api import accounts, gdc, invoices, quotes, receivables
from billing_svc.bootstrap import Billing, background, build
from billing_svc.gdc_ledger import MEMBERS_TOPIC, PAYROLL_TOPIC, on_members_event, on_payroll_event
from billing_svc.read_models.billing_projection import BillingViews
from services.runtime import OFF_THE_WAITED_PATH_LINGER, SHORT_HANDLERS_TOGETHER, Consumer, ServiceDefinition

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="billing",
        title="billing-svc",
        migrations=MIGRATIONS,
        routers=[invoices.router, quotes.router, gdc.router, accounts.router, receivables.router],
        build=build,
        background=lambda service, resources: [
            *background(service, resources),
            *metrics.background(service, resources),
        ],
        consumers=lambda service: [
            Consumer(
                "billing.gdc-payslips",
                (PAYROLL_TOPIC,),
                on_payroll_event,
                messages_per_transaction=SHORT_HANDLERS_TOGETHER,
                linger=OFF_THE_WAITED_PATH_LINGER,
            ),
            Consumer(
                "billing.gdc-associations",
                (MEMBERS_TOPIC,),
                on_members_event,
                messages_per_transaction=SHORT_HANDLERS_TOGETHER,
                linger=OFF_THE_WAITED_PATH_LINGER,
            ),
            *(
                [
                    Consumer(
                        "billing.activity-accounts",
                        ACCOUNT_TOPICS,
                        service.accounts.on_event,
                        messages_per_transaction=SHORT_HANDLERS_TOGETHER,
                        linger=OFF_THE_WAITED_PATH_LINGER,  # a budget's answer: 50 ms later at most
                    ),
                    Consumer(
                        "billing.receivables",
                        ("billing.events",),
                        service.receivables.on_billing_event,
                        messages_per_transaction=SHORT_HANDLERS_TOGETHER,
                        linger=OFF_THE_WAITED_PATH_LINGER,
                    ),
                ]
                if isinstance(service, Billing)
                else []
            ),
        ],
        inline_projections=lambda service: (
            [BillingViews(service.resources.store)] if isinstance(service, Billing) else []
        ),
        produces=["billing.events"],
        problem_mappers={
            **invoices.PROBLEM_MAPPERS,
            **quotes.PROBLEM_MAPPERS,
            **gdc.PROBLEM_MAPPERS,
            **accounts.PROBLEM_MAPPERS,
            **receivables.PROBLEM_MAPPERS,
        },
    )
