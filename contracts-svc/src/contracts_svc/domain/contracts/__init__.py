"""The contract aggregate: drafted -> hire declared (DPAE) -> signed -> work reported -> completed; cancelled,
renewed or amended with a reason at the points the law allows."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from contracts_svc.domain.contracts.budget_answer import AnswerBudgetReservation, decide_answer
from contracts_svc.domain.contracts.draft_contract import DraftContract, PreviousContract, decide_draft
from contracts_svc.domain.contracts.events import (
    BudgetReservationAnswered,
    ContractAmended,
    ContractCancelled,
    ContractCompleted,
    ContractDrafted,
    ContractEvent,
    ContractRenewed,
    ContractSigned,
    Employer,
    HireDeclarationRefused,
    HireDeclared,
    LateHireDeclarationFlagged,
    Pay,
    WorkPeriod,
    WorkReported,
)
from contracts_svc.domain.contracts.hire_declaration import (
    FlagLateHireDeclaration,
    RecordHireDeclaration,
    decide_flag_late,
    decide_record,
)
from contracts_svc.domain.contracts.lifecycle import (
    AmendContract,
    CancelContract,
    CompleteContract,
    RenewContract,
    SignContract,
    decide_amend,
    decide_cancel,
    decide_complete,
    decide_renew,
    decide_sign,
)
from contracts_svc.domain.contracts.report_work import ReportWork, decide_report
from contracts_svc.domain.contracts.state import Contract, ContractState, NoContract

__all__ = [
    "AmendContract",
    "AnswerBudgetReservation",
    "BudgetReservationAnswered",
    "CancelContract",
    "CompleteContract",
    "Contract",
    "ContractAmended",
    "ContractCancelled",
    "ContractCommand",
    "ContractCompleted",
    "ContractDrafted",
    "ContractEvent",
    "ContractRenewed",
    "ContractSigned",
    "ContractState",
    "DraftContract",
    "Employer",
    "FlagLateHireDeclaration",
    "HireDeclarationRefused",
    "HireDeclared",
    "LateHireDeclarationFlagged",
    "NoContract",
    "Pay",
    "PreviousContract",
    "RecordHireDeclaration",
    "RenewContract",
    "ReportWork",
    "SignContract",
    "WorkPeriod",
    "WorkReported",
    "decide",
    "evolve",
    "initial_state",
    "stream_id",
]

ContractCommand = (
    DraftContract
    | RecordHireDeclaration
    | FlagLateHireDeclaration
    | SignContract
    | ReportWork
    | RenewContract
    | AmendContract
    | CompleteContract
    | CancelContract
    | AnswerBudgetReservation
)
initial_state: ContractState = NoContract()


def decide(command: ContractCommand, state: ContractState) -> list[ContractEvent]:
    match command:
        case DraftContract():
            return list(decide_draft(command, state))
        case RecordHireDeclaration():
            return list(decide_record(command, state))
        case FlagLateHireDeclaration():
            return list(decide_flag_late(command, state))
        case SignContract():
            return list(decide_sign(command, state))
        case ReportWork():
            return list(decide_report(command, state))
        case RenewContract():
            return list(decide_renew(command, state))
        case AmendContract():
            return list(decide_amend(command, state))
        case CompleteContract():
            return list(decide_complete(command, state))
        case CancelContract():
            return list(decide_cancel(command, state))
        case AnswerBudgetReservation():
            return list(decide_answer(command, state))


def evolve(state: ContractState, event: ContractEvent) -> ContractState:
    if isinstance(event, ContractDrafted):
        return Contract(
            contract_id=event.contract_id,
            member_id=event.member_id,
            employer=event.employer,
            contract_type=event.contract_type,
            job_title=event.job_title,
            sector=event.sector,
            reason=event.reason,
            starts_at=event.starts_at,
            first_ends_on=event.ends_on,
            ends_on=event.ends_on,
            working_time=event.working_time,
            weekly_hours=event.weekly_hours,
            pay=event.pay,
            status=event.status,
            portage_level=event.portage_level,
            trial_period_days=event.trial_period_days,
            associate_by=event.associate_by,
            drafted_at=event.drafted_at,
            budget_reservation=event.budget_reservation,
        )
    if not isinstance(state, Contract):
        return state
    match event:
        case HireDeclared():
            return replace(state, lifecycle="hire_declared", acknowledgement_id=event.acknowledgement_id)
        case HireDeclarationRefused():
            return replace(state, declaration_refusals=state.declaration_refusals + 1)
        case LateHireDeclarationFlagged():
            return replace(state, late_declaration_flagged=True)
        case ContractSigned():
            return replace(state, lifecycle="signed", signed_within_legal_delay=event.within_legal_delay)
        case WorkReported():
            return replace(
                state,
                periods=(*state.periods, *event.periods),
                minutes_worked=state.minutes_worked + event.minutes,
                days_worked=state.days_worked | frozenset(event.days),
                moves_recorded=state.with_move(event.report_id),
            )
        case ContractRenewed() | ContractAmended() if _awaiting_budget(event):
            move_id = event.renewal_id if isinstance(event, ContractRenewed) else event.amendment_id
            return replace(state, budget_change=event, moves_recorded=state.with_move(move_id))
        case ContractRenewed() | ContractAmended():
            return _changed(state, event)
        case ContractCompleted():
            return replace(state, lifecycle="completed", completed_on=event.completed_on)
        case ContractCancelled():
            return replace(state, lifecycle="cancelled", cancel_reason=event.reason)
        case BudgetReservationAnswered() if event.reservation_id not in (None, event.contract_id):
            return _top_up_answered(state, event)
        case BudgetReservationAnswered() if state.budget_reservation is not None:
            answered = state.budget_reservation.model_copy(update={"status": event.status})
            return replace(state, budget_reservation=answered)
    return state


def _awaiting_budget(event: ContractRenewed | ContractAmended) -> bool:
    return event.budget_top_up is not None and event.budget_top_up.status == "pending"


def _changed(state: Contract, event: ContractRenewed | ContractAmended) -> Contract:
    """The renewal or amendment in force; its accepted top-up joins what the contract holds (ADR 026)."""
    if isinstance(event, ContractRenewed):
        state = replace(
            state,
            ends_on=event.ends_on,
            renewals=state.renewals + 1,
            moves_recorded=state.with_move(event.renewal_id),
        )
    else:
        state = replace(
            state,
            job_title=event.job_title or state.job_title,
            working_time=event.working_time or state.working_time,
            weekly_hours=state.weekly_hours if event.weekly_hours is None else event.weekly_hours,
            pay=event.pay or state.pay,
            moves_recorded=state.with_move(event.amendment_id),
        )
    top_up, reserved = event.budget_top_up, state.budget_reservation
    if top_up is None or reserved is None:
        return state
    # billing holds the top-up with what it holds for the contract: nothing if it refused the draft's.
    held = reserved.amount_cents if reserved.status == "accepted" else 0
    grown = reserved.model_copy(update={"amount_cents": held + top_up.amount_cents, "status": "accepted"})
    return replace(state, budget_change=event, budget_reservation=grown)


def _top_up_answered(state: Contract, event: BudgetReservationAnswered) -> Contract:
    """billing answered the top-up a change awaits: accepted, the change takes effect; refused, it is dropped
    (kept as `budget_change` with the refusal, so the member reads why). A cancelled contract stays as is."""
    change = state.change_awaiting_budget
    if change is None or change.budget_top_up is None:
        return state
    top_up = change.budget_top_up.model_copy(
        update={"status": event.status, "available_cents": event.available_cents}
    )
    answered = change.model_copy(update={"budget_top_up": top_up})
    if event.status == "refused" or state.lifecycle == "cancelled":
        return replace(state, budget_change=answered)
    return _changed(state, answered)


def stream_id(contract_id: UUID) -> str:
    return f"contract-{contract_id}"
