"""Sign, renew, amend, complete, cancel: the contract's moves after its draft, each at its legal points."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from contracts_svc.domain.contracts.budget import BudgetAnswer, ReservationRequest
from contracts_svc.domain.contracts.budget_answer import check_budget_answered
from contracts_svc.domain.contracts.budget_top_up import (
    additional_cost_cents,
    check_no_budget_awaited,
    top_up_of,
    top_up_request,
)
from contracts_svc.domain.contracts.calendar import add_months, add_working_days, paris_day
from contracts_svc.domain.contracts.draft_contract import (
    FULL_TIME_WEEKLY_HOURS,
    check_max_duration,
    check_pay,
)
from contracts_svc.domain.contracts.events import (
    BudgetTopUp,
    ContractAmended,
    ContractCancelled,
    ContractCompleted,
    ContractRenewed,
    ContractSigned,
    Pay,
    WorkingTime,
)
from contracts_svc.domain.contracts.rules import (
    ContractRuleBroken,
    InvalidContractField,
    LifecycleRefused,
    UnknownContract,
    check_text,
)
from contracts_svc.domain.contracts.state import Contract, ContractState
from contracts_svc.domain.contracts.tables import RULES


@dataclass(frozen=True)
class SignContract:
    contract_id: UUID
    now: datetime


@dataclass(frozen=True)
class RenewContract:
    contract_id: UUID
    renewal_id: UUID  # the same renewal sent again is recorded once
    ends_on: date
    reason: str
    now: datetime
    budget: BudgetAnswer | None = None  # an activity's contract: the account's answer to the extra cost


@dataclass(frozen=True)
class AmendContract:
    contract_id: UUID
    amendment_id: UUID  # the same amendment sent again is recorded once
    reason: str
    now: datetime
    job_title: str | None = None
    working_time: WorkingTime | None = None
    weekly_hours: Decimal | None = None
    pay: Pay | None = None
    budget: BudgetAnswer | None = None  # an activity's contract: the account's answer to the extra cost


@dataclass(frozen=True)
class CompleteContract:
    contract_id: UUID
    completed_on: date
    now: datetime


@dataclass(frozen=True)
class CancelContract:
    contract_id: UUID
    reason: str
    now: datetime


def existing(state: ContractState, contract_id: UUID) -> Contract:
    if not isinstance(state, Contract):
        raise UnknownContract(f"no contract {contract_id}")
    return state


def _open(state: ContractState, contract_id: UUID, doing: str) -> Contract:
    contract = existing(state, contract_id)
    if contract.lifecycle in ("completed", "cancelled"):
        raise LifecycleRefused(f"contract {contract_id} is {contract.lifecycle}: it cannot be {doing}")
    return contract


def decide_sign(command: SignContract, state: ContractState) -> list[ContractSigned]:
    contract = _open(state, command.contract_id, "signed")
    check_budget_answered(contract, "signed")
    rules = RULES[contract.contract_type]
    expected = "hire_declared" if rules.employment else "drafted"
    if contract.lifecycle != expected:
        why = (
            "a contract cannot start without its DPAE acknowledgement (R1221-1)"
            if contract.lifecycle == "drafted"
            else f"it is {contract.lifecycle}"
        )
        raise LifecycleRefused(f"contract {command.contract_id} cannot be signed: {why}")
    within = True
    if rules.written_within_working_days:
        due = add_working_days(paris_day(contract.starts_at), rules.written_within_working_days)
        within = paris_day(command.now) <= due
    return [
        ContractSigned(
            contract_id=command.contract_id,
            parties=contract.parties,
            starts_at=contract.starts_at,
            ends_on=contract.ends_on,
            signed_at=command.now,
            within_legal_delay=within,
        )
    ]


def decide_renew(command: RenewContract, state: ContractState) -> list[ContractRenewed]:
    if existing(state, command.contract_id).recorded(command.renewal_id):
        return []  # sent again (its answer was lost): renewed already, not once more
    contract = _open(state, command.contract_id, "renewed")
    check_no_budget_awaited(contract, "renewed")
    rules = RULES[contract.contract_type]
    if contract.ends_on is None or rules.max_renewals == 0:
        raise ContractRuleBroken("renewal", f"a {rules.label} is not renewed ({rules.basis})")
    if rules.max_renewals > 0 and contract.renewals >= rules.max_renewals:
        raise ContractRuleBroken(
            "max_renewals", f"a {rules.label} is renewed at most {rules.max_renewals} times ({rules.basis})"
        )
    if paris_day(command.now) > contract.ends_on:
        raise ContractRuleBroken(
            "renewal_after_end",
            f"contract {command.contract_id} ended on {contract.ends_on.isoformat()}: a renewal is agreed "
            "before the term",
        )
    if command.ends_on <= contract.ends_on:
        raise InvalidContractField("ends_on", "a renewal ends after the current end")
    starts_on = paris_day(contract.starts_at)
    if contract.contract_type == "cape":  # each period at most 12 months, so 3 periods at most 36 months
        period_months = rules.max_months * (contract.renewals + 2)
        if command.ends_on >= add_months(starts_on, period_months):
            raise ContractRuleBroken(
                "max_duration",
                f"a CAPE period lasts at most {rules.max_months} months ({rules.basis})",
                "ends_on",
            )
    else:
        check_max_duration(rules, starts_on, command.ends_on)
    top_up = _top_up(command, contract)
    return [
        ContractRenewed(
            contract_id=command.contract_id,
            previous_ends_on=contract.ends_on,
            ends_on=command.ends_on,
            reason=check_text("reason", command.reason, max_length=500),
            renewed_at=command.now,
            renewal_id=command.renewal_id,
            budget_top_up=top_up,
        )
    ]


def decide_amend(command: AmendContract, state: ContractState) -> list[ContractAmended]:
    if existing(state, command.contract_id).recorded(command.amendment_id):
        return []  # sent again (its answer was lost): amended already
    contract = _open(state, command.contract_id, "amended")
    check_no_budget_awaited(contract, "amended")
    reason = check_text("reason", command.reason, max_length=500)
    if command.job_title is None and command.weekly_hours is None and command.pay is None:
        raise InvalidContractField("body", "name what the amendment changes: job_title, weekly_hours or pay")
    working_time = command.working_time or contract.working_time
    hours = command.weekly_hours if command.weekly_hours is not None else contract.weekly_hours
    if working_time == "full_time" and hours != FULL_TIME_WEEKLY_HOURS:
        raise InvalidContractField("weekly_hours", f"full time is {FULL_TIME_WEEKLY_HOURS} hours a week")
    if working_time == "part_time" and not Decimal(0) < hours < FULL_TIME_WEEKLY_HOURS:
        raise InvalidContractField(
            "weekly_hours", f"part time is under {FULL_TIME_WEEKLY_HOURS} hours a week"
        )
    pay = command.pay or contract.pay
    rules = RULES[contract.contract_type]
    check_pay(contract.contract_type, rules, pay, hours, contract.portage_level, paris_day(command.now))
    top_up = _top_up(command, contract)
    return [
        ContractAmended(
            contract_id=command.contract_id,
            reason=reason,
            job_title=None if command.job_title is None else check_text("job_title", command.job_title),
            weekly_hours=command.weekly_hours,
            working_time=command.working_time,
            pay=command.pay,
            amended_at=command.now,
            amendment_id=command.amendment_id,
            budget_top_up=top_up,
        )
    ]


def _additional_cost(command: RenewContract | AmendContract, contract: Contract) -> int:
    """The extra employer cost of the terms the renewal or amendment leaves (ADR 026)."""
    if isinstance(command, RenewContract):
        return additional_cost_cents(contract, contract.pay, contract.weekly_hours, command.ends_on)
    hours = contract.weekly_hours if command.weekly_hours is None else command.weekly_hours
    return additional_cost_cents(contract, command.pay or contract.pay, hours, contract.ends_on)


def _top_up(command: RenewContract | AmendContract, contract: Contract) -> BudgetTopUp | None:
    if isinstance(command, RenewContract):
        move_id, kind, field = command.renewal_id, "renewal", "ends_on"
    else:
        move_id, kind = command.amendment_id, "amendment"
        field = "pay" if command.pay is not None else "weekly_hours"
    cost = _additional_cost(command, contract)
    return top_up_of(contract, move_id, cost, command.budget, kind=kind, field=field)


def budget_request(
    command: RenewContract | AmendContract, state: ContractState, tenant: str
) -> ReservationRequest | None:
    """What the handler asks the activity account before deciding the change; None when nothing is to ask
    (no activity, costs no more, or a change the decision refuses or finds recorded already)."""
    if not isinstance(state, Contract) or state.lifecycle in ("completed", "cancelled"):
        return None
    move_id = command.renewal_id if isinstance(command, RenewContract) else command.amendment_id
    draft_pending = state.budget_reservation is not None and state.budget_reservation.status == "pending"
    if state.recorded(move_id) or draft_pending or state.change_awaiting_budget is not None:
        return None
    if isinstance(command, RenewContract) and (state.ends_on is None or command.ends_on <= state.ends_on):
        return None
    return top_up_request(state, move_id, _additional_cost(command, state), tenant)


def decide_complete(command: CompleteContract, state: ContractState) -> list[ContractCompleted]:
    contract = _open(state, command.contract_id, "completed")
    check_no_budget_awaited(contract, "completed")  # its payslip settles what billing holds: all of it
    if contract.lifecycle != "signed":
        raise LifecycleRefused(
            f"contract {command.contract_id} is {contract.lifecycle}: only a signed one ends"
        )
    last_worked = max(contract.days_worked, default=None)
    if last_worked is not None and command.completed_on < last_worked:
        raise InvalidContractField(
            "completed_on", f"is before the last day worked, {last_worked.isoformat()}"
        )
    if command.completed_on < paris_day(contract.starts_at):
        raise InvalidContractField("completed_on", "is before the contract's start")
    if command.completed_on > paris_day(command.now):
        raise InvalidContractField("completed_on", "is in the future: a contract is completed once ended")
    return [
        ContractCompleted(
            contract_id=command.contract_id,
            parties=contract.parties,
            terms=contract.terms,
            starts_on=paris_day(contract.starts_at),
            completed_on=command.completed_on,
            minutes_worked=contract.minutes_worked,
            days_worked=len(contract.days_worked),
            first_day_worked=min(contract.days_worked, default=None),
            last_day_worked=last_worked,
            completed_at=command.now,
        )
    ]


def decide_cancel(command: CancelContract, state: ContractState) -> list[ContractCancelled]:
    contract = _open(state, command.contract_id, "cancelled")
    if contract.minutes_worked:
        raise LifecycleRefused(
            f"contract {command.contract_id} has work reported: it is completed or terminated, not cancelled"
        )
    return [
        ContractCancelled(
            contract_id=command.contract_id,
            parties=contract.parties,
            reason=check_text("reason", command.reason, max_length=500),
            cancelled_at=command.now,
            released_reservation=contract.budget_reservation,
        )
    ]
