"""The social-security ceiling shared by a person's contracts of one month: one PMSS in all, at most."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from payroll_svc.domain.payroll.payslip import InvalidPayInput, PayInput, contract_ceiling_cents
from payroll_svc.domain.payroll.tables import Parameters, parameters_on


def share_the_ceiling(contracts: Sequence[PayInput], parameters: Parameters | None = None) -> list[PayInput]:
    """The person's contracts of one month, in the order given (the order they are paid in), each told how
    much of the PMSS the earlier ones used: its ceiling is its own (days, part time) up to what is left."""
    if not contracts:
        return []
    period = contracts[0].period.replace(day=1)
    if any(contract.period.replace(day=1) != period for contract in contracts):
        raise InvalidPayInput("period", "the contracts share a ceiling only within one month")
    p = parameters or parameters_on(period)
    used = 0
    shared = []
    for contract in contracts:
        shared.append(replace(contract, ceiling_used_elsewhere_cents=used))
        used += min(contract_ceiling_cents(contract, p), p.pmss_cents - used)
    return shared
