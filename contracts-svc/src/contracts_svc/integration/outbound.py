"""Private contract events -> public `contracts.*` events: ids, dates, hours and cents, no personal data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from contracts_svc.domain.contracts import (
    ContractCancelled,
    ContractCompleted,
    ContractDrafted,
    ContractEvent,
    ContractSigned,
    HireDeclared,
    WorkReported,
)
from contracts_svc.domain.contracts.events import (
    BudgetReservation,
    BudgetTopUp,
    ContractAmended,
    ContractRenewed,
    Employer,
    Parties,
    Terms,
)
from schemas.generated.contracts.budget_reservation_released_v1 import BudgetReservationReleasedV1
from schemas.generated.contracts.budget_reservation_requested_v1 import BudgetReservationRequestedV1
from schemas.generated.contracts.contract_cancelled_v1 import ContractCancelledV1
from schemas.generated.contracts.contract_completed_v1 import ContractCompletedV1
from schemas.generated.contracts.contract_drafted_v1 import ContractDraftedV1, EmployerEstablishment
from schemas.generated.contracts.contract_signed_v1 import ContractSignedV1
from schemas.generated.contracts.hire_declared_v1 import HireDeclaredV1
from schemas.generated.contracts.work_reported_v1 import WorkReportedV1
from services.command_loop import Decided
from services.envelope import Envelope


def _ids(contract_id: Any, parties: Parties) -> dict[str, Any]:
    return {
        "contract_id": contract_id,
        "member_id": parties.member_id,
        "employer_id": parties.employer_id,
        "employer_is_association": parties.employer_kind == "association",
        "contract_type": parties.contract_type,
    }


def _establishment(employer: Employer) -> EmployerEstablishment:
    """The employer's SIRENE registration (public), for payroll's payslips and DSN; not its contacts."""
    return EmployerEstablishment(
        siret=employer.siret,
        legal_name=employer.legal_name,
        ape_code=employer.ape_code,
        street=employer.street,
        postal_code=employer.postal_code,
        city=employer.city,
    )


def _drafted_parties(event: ContractDrafted) -> Parties:
    return Parties(
        member_id=event.member_id,
        employer_id=event.employer.employer_id,
        employer_kind=event.employer.kind,
        contract_type=event.contract_type,
    )


def hours_of(minutes: int) -> str:
    return str((Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def gross_cents(minutes: int, terms: Terms) -> int | None:
    """Hourly pay only: minutes x rate / 60, rounded half up (monthly pay is payroll's to prorate)."""
    if terms.pay.basis != "hourly":
        return None
    return int((Decimal(minutes) * terms.pay.amount_cents / 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _pay(terms: Terms, minutes: int) -> dict[str, Any]:
    return {
        "status": terms.status,
        "pay_basis": terms.pay.basis,
        "hourly_rate_cents": terms.pay.amount_cents if terms.pay.basis == "hourly" else None,
        "monthly_gross_cents": terms.pay.amount_cents if terms.pay.basis == "monthly" else None,
        "weekly_hours": str(terms.weekly_hours),
        "paid_leave_pay_rate": str(terms.paid_leave_pay_rate),
        "precarity_bonus_rate": str(terms.precarity_bonus_rate),
        "minutes": minutes,
        "hours": hours_of(minutes),
        "gross_cents": gross_cents(minutes, terms),
    }


def _requested(
    contract_id: UUID,
    parties: Parties,
    reservation_id: UUID,
    activity_id: UUID,
    amount_cents: int,
    at: datetime,
) -> list[tuple[str, BaseModel]]:
    request = BudgetReservationRequestedV1(
        **_ids(contract_id, parties),
        reservation_id=reservation_id,
        activity_id=activity_id,
        amount_cents=amount_cents,
        requested_at=at,
    )
    return [("contracts.BudgetReservationRequested", request)]


def _budget_events(event: ContractEvent) -> list[tuple[str, BaseModel]]:
    """The reservation exchanged with billing-svc: requested with a draft, topped up with an amendment or a
    renewal that costs more (ADR 026), released with a cancellation."""
    match event:
        case ContractDrafted(budget_reservation=BudgetReservation() as reserved):
            return _requested(
                event.contract_id,
                _drafted_parties(event),
                event.contract_id,
                reserved.activity_id,
                reserved.amount_cents,
                event.drafted_at,
            )
        case (
            ContractAmended(budget_top_up=BudgetTopUp() as top_up)
            | ContractRenewed(budget_top_up=BudgetTopUp() as top_up)
        ):
            at = event.amended_at if isinstance(event, ContractAmended) else event.renewed_at
            return _requested(
                event.contract_id,
                top_up.parties,
                top_up.reservation_id,
                top_up.activity_id,
                top_up.amount_cents,
                at,
            )
        case ContractCancelled(released_reservation=BudgetReservation() as released):
            return [
                (
                    "contracts.BudgetReservationReleased",
                    BudgetReservationReleasedV1(
                        **_ids(event.contract_id, event.parties),
                        reservation_id=event.contract_id,
                        activity_id=released.activity_id,
                        amount_cents=released.amount_cents,
                        released_at=event.cancelled_at,
                    ),
                )
            ]
    return []


def _public_of(event: ContractEvent) -> tuple[str, BaseModel] | None:
    match event:
        case ContractDrafted():
            return "contracts.ContractDrafted", ContractDraftedV1(
                **_ids(event.contract_id, _drafted_parties(event)),
                starts_at=event.starts_at,
                ends_on=event.ends_on,
                drafted_at=event.drafted_at,
                employer_establishment=_establishment(event.employer),
            )
        case HireDeclared():
            return "contracts.HireDeclared", HireDeclaredV1(
                **_ids(event.contract_id, event.parties),
                acknowledgement_id=event.acknowledgement_id,
                declared_at=event.declared_at,
            )
        case ContractSigned():
            return "contracts.ContractSigned", ContractSignedV1(
                **_ids(event.contract_id, event.parties),
                starts_at=event.starts_at,
                ends_on=event.ends_on,
                signed_at=event.signed_at,
                within_legal_delay=event.within_legal_delay,
            )
        case WorkReported():
            return "contracts.WorkReported", WorkReportedV1(
                **_ids(event.contract_id, event.parties),
                **_pay(event.terms, event.minutes),
                days=len(event.days),
                period_start=event.days[0],
                period_end=event.days[-1],
                reported_at=event.reported_at,
            )
        case ContractCompleted():
            return "contracts.ContractCompleted", ContractCompletedV1(
                **_ids(event.contract_id, event.parties),
                **_pay(event.terms, event.minutes_worked),
                days=event.days_worked,
                period_start=event.starts_on,
                period_end=event.completed_on,
                first_day_worked=event.first_day_worked,
                last_day_worked=event.last_day_worked,
                completed_at=event.completed_at,
            )
        case ContractCancelled():
            # The reason stays here: free text may name people.
            return "contracts.ContractCancelled", ContractCancelledV1(
                **_ids(event.contract_id, event.parties), cancelled_at=event.cancelled_at
            )
    return None  # DPAE refusals, late flags, renewals and amendments stay private for now


def to_public(decided: Sequence[Decided[ContractEvent]]) -> list[Envelope]:
    public: list[Envelope] = []
    for one in decided:
        found = _public_of(one.event)
        for event_type, data in [*([] if found is None else [found]), *_budget_events(one.event)]:
            public.append(one.public(event_type, data.model_dump(mode="json")))
    return public
