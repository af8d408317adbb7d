"""Every deployable of the back-office, by name, with its settings and definition."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from billing_svc.config import Settings as BillingSettings
from billing_svc.entrypoints.definition import definition as billing
from contracts_svc.config import Settings as ContractsSettings
from contracts_svc.entrypoints.definition import definition as contracts
from gateway.config import Settings as GatewaySettings
from members_svc.config import Settings as MembersSettings
from members_svc.entrypoints.definition import definition as members
from payroll_svc.config import Settings as PayrollSettings
from payroll_svc.entrypoints.definition import definition as payroll
from services.runtime import ServiceDefinition
from services.settings import ServiceSettings


@dataclass(frozen=True)
class Deployable:
    name: str
    settings: type[ServiceSettings]
    definition: Callable[[], ServiceDefinition]


SERVICES: dict[str, Deployable] = {
    "members": Deployable("members", MembersSettings, members),
    "contracts": Deployable("contracts", ContractsSettings, contracts),
    "billing": Deployable("billing", BillingSettings, billing),
    "payroll": Deployable("payroll", PayrollSettings, payroll),
}
GATEWAY_SETTINGS = GatewaySettings
