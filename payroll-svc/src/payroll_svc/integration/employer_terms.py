"""The employers' payroll terms (headcount band, accident-at-work rate) per tenant and employer, from TOML.

Contracts' events do not carry them: URSSAF notifies each employer its accident-at-work rate, and the
headcount band is the employer's own. The file gives a tenant's terms and an employer's own under it;
what it does not name takes the settings' single values (DOMAIN.md's worked examples' terms).

    [tenants.smartfr]
    accident_at_work_rate = "0.0090"
    [tenants.smartfr.employers.5b0c3f9e-2d7a-5e41-9c8b-1f6a2e4d7c30]
    headcount_band = "under_11"
    accident_at_work_rate = "0.0120"
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from payroll_svc.domain.contract_pay.pay_input import EmployerTerms
from payroll_svc.domain.payroll import HeadcountBand


class InvalidEmployerTerms(ValueError):
    """The employer terms file names an unknown band or a rate outside [0, 1)."""


@dataclass(frozen=True)
class EmployerTermsBook:
    default: EmployerTerms
    tenants: Mapping[str, EmployerTerms] = field(default_factory=dict)
    employers: Mapping[tuple[str, UUID], EmployerTerms] = field(default_factory=dict)

    def terms(self, tenant: str, employer_id: UUID) -> EmployerTerms:
        return self.employers.get((tenant, employer_id)) or self.tenants.get(tenant) or self.default

    @classmethod
    def load(cls, default: EmployerTerms, path: Path | None) -> EmployerTermsBook:
        if path is None:
            return cls(default)
        data = tomllib.loads(path.read_text())
        tenants: dict[str, EmployerTerms] = {}
        employers: dict[tuple[str, UUID], EmployerTerms] = {}
        for tenant, entry in data.get("tenants", {}).items():
            tenant_terms = _terms(entry, default, f"tenants.{tenant}")
            tenants[tenant] = tenant_terms
            for employer, own in entry.get("employers", {}).items():
                employers[(tenant, UUID(employer))] = _terms(own, tenant_terms, f"{tenant}.{employer}")
        return cls(default, tenants, employers)


def _terms(entry: Mapping[str, Any], inherited: EmployerTerms, where: str) -> EmployerTerms:
    try:
        band = HeadcountBand(entry.get("headcount_band", inherited.headcount))
    except ValueError as error:
        raise InvalidEmployerTerms(f"{where}.headcount_band: {error}") from error
    rate = Decimal(str(entry.get("accident_at_work_rate", inherited.accident_at_work_rate)))
    if not Decimal(0) <= rate < Decimal(1):
        raise InvalidEmployerTerms(f"{where}.accident_at_work_rate: {rate} is not a rate")
    return EmployerTerms(headcount=band, accident_at_work_rate=rate, portage_level=inherited.portage_level)
