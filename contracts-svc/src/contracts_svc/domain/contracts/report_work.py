"""Report work done under a signed contract: days and hours, within the limits across all employers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from contracts_svc.domain.contracts.calendar import paris_day
from contracts_svc.domain.contracts.events import WorkPeriod, WorkReported
from contracts_svc.domain.contracts.lifecycle import existing
from contracts_svc.domain.contracts.rules import InvalidContractField, LifecycleRefused
from contracts_svc.domain.contracts.state import ContractState
from contracts_svc.domain.contracts.tables import RULES, working_time_limits
from contracts_svc.domain.contracts.working_time import check_working_time, minutes_by_day, overlapping

MAX_PERIODS = 62  # a report covers at most a month of two stretches a day


@dataclass(frozen=True)
class ReportWork:
    """`others` is the work the person already reported (any contract, any employer), read by the handler;
    `report_id` names the report, so that the same report sent again is recorded once."""

    contract_id: UUID
    report_id: UUID
    periods: tuple[WorkPeriod, ...]
    others: tuple[WorkPeriod, ...]
    now: datetime


def decide_report(command: ReportWork, state: ContractState) -> list[WorkReported]:
    contract = existing(state, command.contract_id)
    if contract.recorded(command.report_id):
        return []  # sent again (its answer was lost): recorded already
    rules = RULES[contract.contract_type]
    if not rules.employment:
        raise LifecycleRefused(f"a {rules.label} is not employment: no work is reported under it")
    if contract.lifecycle != "signed":
        raise LifecycleRefused(
            f"contract {command.contract_id} is {contract.lifecycle}: work is reported on a signed contract"
        )
    if not command.periods or len(command.periods) > MAX_PERIODS:
        raise InvalidContractField("periods", f"report 1 to {MAX_PERIODS} periods of work")
    for n, period in enumerate(command.periods):
        _check_period(f"periods.{n}", period, contract.starts_at, contract.ends_on, command.now)
    clash = overlapping([*command.periods, *command.others])
    if clash is not None:
        raise InvalidContractField(
            "periods",
            f"{clash[1].starts_at.isoformat()} overlaps work already reported until "
            f"{clash[0].ends_at.isoformat()}: a person works for one employer at a time",
        )
    first_day = min(paris_day(p.starts_at) for p in command.periods)
    check_working_time(command.others, command.periods, working_time_limits(first_day))
    by_day = minutes_by_day(command.periods)
    return [
        WorkReported(
            contract_id=command.contract_id,
            parties=contract.parties,
            terms=contract.terms,
            periods=tuple(sorted(command.periods, key=lambda p: p.starts_at)),
            minutes=sum(by_day.values()),
            days=tuple(sorted(by_day)),
            reported_at=command.now,
            report_id=command.report_id,
        )
    ]


def _check_period(
    field: str, period: WorkPeriod, starts_at: datetime, ends_on: date | None, now: datetime
) -> None:
    if period.starts_at.tzinfo is None or period.ends_at.tzinfo is None:
        raise InvalidContractField(field, "give the time zone (UTC offset) of both instants")
    if period.ends_at <= period.starts_at:
        raise InvalidContractField(f"{field}.ends_at", "is not after the start")
    if period.ends_at > now:
        raise InvalidContractField(f"{field}.ends_at", "is in the future: work is reported once done")
    if period.starts_at < starts_at:
        raise InvalidContractField(f"{field}.starts_at", "is before the contract's start")
    if ends_on is not None and paris_day(period.ends_at) > ends_on:
        raise InvalidContractField(f"{field}.ends_at", "is after the contract's end")
