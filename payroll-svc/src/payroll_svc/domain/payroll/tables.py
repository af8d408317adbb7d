"""The effective-dated parameter tables (parameters/*.toml), read once and picked for a pay period.

Reading the package's own data files is the only thing done here besides selection: no network, no database.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any


class HeadcountBand(StrEnum):
    UNDER_11 = "under_11"
    FROM_11_TO_49 = "11_to_49"
    FROM_50 = "50_and_over"


class Status(StrEnum):
    CADRE = "cadre"
    NON_CADRE = "non_cadre"


class ContractType(StrEnum):
    CDI = "cdi"
    CDD = "cdd"
    CDDU = "cddu"
    PORTAGE = "portage"


class Scheme(StrEnum):
    GENERAL = "general"
    INTERMITTENT = "intermittent"


class Base(StrEnum):
    GROSS = "gross"
    TRANCHE_1 = "tranche_1"
    TRANCHE_2 = "tranche_2"
    CEILING_X4 = "ceiling_x4"
    CET = "cet"
    CSG = "csg"
    EMPLOYER_PREVOYANCE = "employer_prevoyance"


PER_EMPLOYER = "per_employer"


@dataclass(frozen=True, slots=True)
class LineRule:
    """One contribution line as the tables define it; `employer_rate` None means the employer's own rate."""

    code: str
    label: str
    base: Base
    employee_rate: Decimal
    employer_rate: Decimal | None
    social_security: bool
    taxable: bool
    rgdu_covered: bool
    headcount: frozenset[HeadcountBand] | None
    status: frozenset[Status] | None
    contract_types: frozenset[ContractType] | None
    schemes: frozenset[Scheme] | None
    source: str

    def applies(
        self, headcount: HeadcountBand, status: Status, contract: ContractType, scheme: Scheme
    ) -> bool:
        return (
            (self.headcount is None or headcount in self.headcount)
            and (self.status is None or status in self.status)
            and (self.contract_types is None or contract in self.contract_types)
            and (self.schemes is None or scheme in self.schemes)
        )


@dataclass(frozen=True, slots=True)
class Rgdu:
    minimum: Decimal
    tdelta: Decimal
    maximum: Decimal
    exponent: Decimal
    ceiling_smic: int
    quantum: Decimal
    leave_fund_factor: Decimal


@dataclass(frozen=True, slots=True)
class Parameters:
    """Every figure in force for one pay period."""

    pmss_cents: int
    pass_cents: int
    smic_hourly: Decimal
    full_time_monthly_hours: Decimal
    days_divisor: int
    rounding: str
    portage_minimum: dict[str, Decimal]
    precarite_rate: Decimal
    iccp_rate: Decimal
    csg_abated_share: Decimal
    csg_abated_ceilings: int
    artist_share: Decimal
    lines: tuple[LineRule, ...]
    rgdu: dict[HeadcountBand, Rgdu]
    neutral_grid: tuple[tuple[int, Decimal], ...]
    _applicable: dict[tuple[HeadcountBand, Status, ContractType, Scheme], tuple[LineRule, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def lines_for(
        self, headcount: HeadcountBand, status: Status, contract: ContractType, scheme: Scheme
    ) -> tuple[LineRule, ...]:
        """The lines that apply to such a contract (kept: a payroll run asks the same few questions)."""
        key = (headcount, status, contract, scheme)
        found = self._applicable.get(key)
        if found is None:
            found = tuple(rule for rule in self.lines if rule.applies(*key))
            self._applicable[key] = found
        return found


def _load(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath("parameters", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def _in_force(entries: list[dict[str, Any]], on: date) -> list[dict[str, Any]]:
    """The entries of the latest `from` not after `on` (several when they differ by a condition)."""
    started = [entry for entry in entries if entry["from"] <= on]
    if not started:
        raise NoParameters(on)
    latest = max(entry["from"] for entry in started)
    return [entry for entry in started if entry["from"] == latest]


def _one(entries: list[dict[str, Any]], on: date) -> dict[str, Any]:
    return _in_force(entries, on)[0]


def _set(values: list[str] | None, kind: type[StrEnum]) -> Any:
    return None if values is None else frozenset(kind(value) for value in values)


def _line(entry: dict[str, Any]) -> LineRule:
    employer = entry["employer"]
    return LineRule(
        code=entry["code"],
        label=entry["label"],
        base=Base(entry["base"]),
        employee_rate=Decimal(entry["employee"]),
        employer_rate=None if employer == PER_EMPLOYER else Decimal(employer),
        social_security=entry.get("social_security", False),
        taxable=entry.get("taxable", False),
        rgdu_covered=entry.get("rgdu", False),
        headcount=_set(entry.get("headcount"), HeadcountBand),
        status=_set(entry.get("status"), Status),
        contract_types=_set(entry.get("contract_types"), ContractType),
        schemes=_set(entry.get("schemes"), Scheme),
        source=entry["source"],
    )


def _lines_in_force(entries: list[dict[str, Any]], on: date) -> tuple[LineRule, ...]:
    """Per line code and conditions, the latest entry in force; the file's order is the payslip's order."""
    chosen: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        if entry["from"] > on:
            continue
        key = (entry["code"], repr(entry.get("headcount")))
        if key not in chosen or chosen[key]["from"] <= entry["from"]:
            chosen[key] = entry
    in_order = sorted(chosen.values(), key=entries.index)
    return tuple(_line(entry) for entry in in_order)


class NoParameters(Exception):
    def __init__(self, on: date) -> None:
        super().__init__(f"no payroll parameters in force on {on.isoformat()}")
        self.on = on


@cache
def parameters_on(on: date) -> Parameters:
    """The parameters in force on a date (a pay period's first day)."""
    on = on.replace(day=1)
    reference = _load("reference.toml")
    smic = _one(reference["smic"], on)
    ending = _one(reference["end_of_contract"], on)
    csg = _one(reference["csg_base"], on)
    portage = _one(reference["portage_minimum"], on)
    rgdu: dict[HeadcountBand, Rgdu] = {}
    for entry in _in_force(_load("rgdu.toml")["rgdu"], on):
        for band in entry["headcount"]:
            rgdu[HeadcountBand(band)] = Rgdu(
                minimum=Decimal(entry["minimum"]),
                tdelta=Decimal(entry["tdelta"]),
                maximum=Decimal(entry["maximum"]),
                exponent=Decimal(entry["exponent"]),
                ceiling_smic=entry["ceiling_smic"],
                quantum=Decimal(1).scaleb(-entry["decimals"]),
                leave_fund_factor=Decimal(entry["leave_fund_numerator"])
                / Decimal(entry["leave_fund_denominator"]),
            )
    grid = _one(_load("neutral_rate_grid.toml")["grid"], on)
    return Parameters(
        pmss_cents=_one(reference["pmss"], on)["cents"],
        pass_cents=_one(reference["pass"], on)["cents"],
        smic_hourly=Decimal(smic["hourly"]),
        full_time_monthly_hours=Decimal(smic["full_time_monthly_hours"]),
        days_divisor=_one(reference["incomplete_month"], on)["days_divisor"],
        rounding=_one(reference["rounding"], on)["mode"],
        portage_minimum={level: Decimal(portage[level]) for level in ("junior", "senior", "forfait_jours")},
        precarite_rate=Decimal(ending["precarite"]),
        iccp_rate=Decimal(ending["iccp"]),
        csg_abated_share=Decimal(csg["abated_share"]),
        csg_abated_ceilings=csg["ceilings"],
        artist_share=Decimal(_one(reference["artists"], on)["reduced_share"]),
        lines=_lines_in_force(_load("contributions.toml")["line"], on),
        rgdu=rgdu,
        neutral_grid=tuple(
            (bracket["from_cents"], Decimal(bracket["rate"]))
            for bracket in sorted(grid["brackets"], key=lambda bracket: bracket["from_cents"])
        ),
    )
