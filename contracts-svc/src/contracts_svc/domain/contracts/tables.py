"""The rules of contracts as data: the TOML files in `data/`, each citing its sources, read once at import.

Reading files shipped in the package is the one input the domain takes that is not a command: the tables are
constants that change with the law, so they live where a reviewer can correct them without reading code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any, Literal, TypeVar

ContractType = Literal["cddu", "cdd", "cdi", "portage", "cae", "cape"]
CONTRACT_TYPES: tuple[ContractType, ...] = ("cddu", "cdd", "cdi", "portage", "cae", "cape")


def _load(name: str) -> dict[str, Any]:
    return tomllib.loads(resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ContractRules:
    contract_type: ContractType
    label: str
    basis: str
    employment: bool  # False for a CAPE: no salary, no payslip, no DPAE, no reported work
    reason_required: bool
    max_months: int  # 0: no maximum
    max_renewals: int  # -1: no limit
    waiting_period: bool
    needs_end_date: bool
    written_within_working_days: int  # 0: no delay to enforce
    precarity_bonus_rate: Decimal
    paid_leave_pay_rate: Decimal
    forbidden_sectors: tuple[str, ...] = ()
    tenant_forms: tuple[str, ...] = ()  # empty: any tenant
    associate_within_years: int = 0


def _rules(contract_type: ContractType, raw: dict[str, Any]) -> ContractRules:
    return ContractRules(
        contract_type=contract_type,
        label=raw["label"],
        basis=raw["basis"],
        employment=raw["employment"],
        reason_required=raw["reason_required"],
        max_months=raw["max_months"],
        max_renewals=raw["max_renewals"],
        waiting_period=raw["waiting_period"],
        needs_end_date=raw["needs_end_date"],
        written_within_working_days=raw["written_within_working_days"],
        precarity_bonus_rate=Decimal(raw["precarity_bonus_rate"]),
        paid_leave_pay_rate=Decimal(raw["paid_leave_pay_rate"]),
        forbidden_sectors=tuple(raw.get("forbidden_sectors", ())),
        tenant_forms=tuple(raw.get("tenant_forms", ())),
        associate_within_years=raw.get("associate_within_years", 0),
    )


_TYPES = _load("contract_types.toml")
RULES: dict[ContractType, ContractRules] = {t: _rules(t, _TYPES[t]) for t in CONTRACT_TYPES}
CDDU_SECTORS: dict[str, str] = _load("cddu_sectors.toml")["sectors"]
CDD_REASONS: dict[str, str] = _load("cdd_reasons.toml")["reasons"]
TENANT_FORMS: dict[str, str] = _load("tenants.toml")["forms"]
DPAE_EARLIEST_DAYS: int = _load("hire_declaration.toml")["earliest_days_before"]


@dataclass(frozen=True)
class PortageMinimum:
    effective_from: date
    junior: int  # cents a month, full time
    senior: int
    forfait_jours: int


@dataclass(frozen=True)
class WorkingTimeLimits:
    effective_from: date
    daily_max_hours: Decimal
    weekly_max_hours: Decimal
    average_weeks: int
    average_max_hours: Decimal
    daily_rest_hours: Decimal
    weekly_rest_hours: Decimal


PORTAGE_MINIMUMS: tuple[PortageMinimum, ...] = tuple(
    PortageMinimum(p["effective_from"], p["junior"], p["senior"], p["forfait_jours"])
    for p in _load("portage_minimum_pay.toml")["periods"]
)
WORKING_TIME: tuple[WorkingTimeLimits, ...] = tuple(
    WorkingTimeLimits(
        p["effective_from"],
        Decimal(p["daily_max_hours"]),
        Decimal(p["weekly_max_hours"]),
        p["average_weeks"],
        Decimal(p["average_max_hours"]),
        Decimal(p["daily_rest_hours"]),
        Decimal(p["weekly_rest_hours"]),
    )
    for p in _load("working_time.toml")["periods"]
)


_T = TypeVar("_T", PortageMinimum, WorkingTimeLimits)


class NoRuleInForce(LookupError):
    """No row of an effective-dated table covers the day asked for."""


def portage_minimum(on: date) -> PortageMinimum:
    return _in_force(PORTAGE_MINIMUMS, on, "portage minimum pay")


def working_time_limits(on: date) -> WorkingTimeLimits:
    return _in_force(WORKING_TIME, on, "working-time limits")


def _in_force(rows: tuple[_T, ...], on: date, what: str) -> _T:
    found = [row for row in rows if row.effective_from <= on]
    if not found:
        raise NoRuleInForce(f"no {what} in force on {on.isoformat()}")
    return max(found, key=lambda row: row.effective_from)
