"""The DPAE (déclaration préalable à l'embauche, R1221-1): its timing, its payload, the port that sends it.

The employee's identity comes with the command that declares, goes into the payload handed to the port, and
is never stored by contracts-svc: its events keep URSSAF's acknowledgement id only (personal data belongs to
members-svc, where it can be erased).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Protocol
from uuid import UUID

from stdnum.exceptions import ValidationError
from stdnum.fr import nir as stdnum_nir

from contracts_svc.domain.contracts.budget_answer import check_budget_answered
from contracts_svc.domain.contracts.calendar import PARIS
from contracts_svc.domain.contracts.events import (
    HireDeclarationRefused,
    HireDeclared,
    LateHireDeclarationFlagged,
)
from contracts_svc.domain.contracts.rules import (
    HireDeclarationLate,
    HireDeclarationTooEarly,
    InvalidContractField,
    LifecycleRefused,
    UnknownContract,
    check_text,
)
from contracts_svc.domain.contracts.state import Contract, ContractState
from contracts_svc.domain.contracts.tables import DPAE_EARLIEST_DAYS, RULES

Sex = Literal["F", "M"]
NIR_SEX = {"1": "M", "2": "F"}  # the NIR's first digit (7 and 8 are provisional numbers: not checked)


@dataclass(frozen=True)
class EmployeeIdentity:
    """R1221-1 2°: names, sex, birth date and place, NIR if known. Never stored by contracts-svc."""

    last_name: str
    first_names: str
    sex: Sex
    birth_date: date
    birth_place: str  # commune, or country for someone born abroad
    birth_department: str | None = None  # "99" for abroad, "2A"/"2B" for Corsica
    nir: str | None = None


def check_identity(identity: EmployeeIdentity) -> EmployeeIdentity:
    last_name = check_text("employee.last_name", identity.last_name, max_length=80)
    first_names = check_text("employee.first_names", identity.first_names, max_length=80)
    birth_place = check_text("employee.birth_place", identity.birth_place, max_length=80)
    nir = None
    if identity.nir is not None:
        try:
            nir = str(stdnum_nir.validate(identity.nir))
        except ValidationError as invalid:
            raise InvalidContractField("employee.nir", f"is not a valid NIR ({invalid})") from None
        sex = NIR_SEX.get(nir[0])
        if sex is not None and sex != identity.sex:
            raise InvalidContractField("employee.nir", "its first digit does not match the sex given")
        if nir[1:3] != f"{identity.birth_date.year % 100:02d}":
            raise InvalidContractField("employee.nir", "its digits 2-3 do not match the birth year")
        if nir[3:5].isdigit() and 1 <= int(nir[3:5]) <= 12 and int(nir[3:5]) != identity.birth_date.month:
            raise InvalidContractField("employee.nir", "its digits 4-5 do not match the birth month")
    return EmployeeIdentity(
        last_name=last_name,
        first_names=first_names,
        sex=identity.sex,
        birth_date=identity.birth_date,
        birth_place=birth_place,
        birth_department=identity.birth_department,
        nir=nir,
    )


@dataclass(frozen=True)
class HireDeclarationPayload:
    """Every field R1221-1 requires, as the port sends it (names after URSSAF's DPAE form)."""

    declaration_id: UUID  # the contract id: a resend of the same contract is the same declaration
    employer_legal_name: str
    employer_siret: str
    employer_ape_code: str
    employer_address: str
    occupational_health_service: str
    employee_last_name: str
    employee_first_names: str
    employee_sex: Sex
    employee_birth_date: date
    employee_birth_place: str
    employee_birth_department: str | None
    employee_nir: str | None
    hiring_date: date
    hiring_time: str  # HH:MM, Paris time
    contract_type: str  # URSSAF's nature: CDI, CDD, CTT...
    contract_end_date: date | None
    trial_period_days: int


@dataclass(frozen=True)
class Acknowledged:
    acknowledgement_id: str
    acknowledged_at: datetime


@dataclass(frozen=True)
class Refused:
    reason: str


class TransientDeclarationFailure(Exception):
    """URSSAF could not be reached or answered 'try later': the declaration may be sent again."""


class HireDeclarationPort(Protocol):
    """Sends a DPAE to URSSAF: acknowledged with an id, or refused with a reason."""

    async def declare(self, payload: HireDeclarationPayload) -> Acknowledged | Refused: ...


# URSSAF's contract natures on the DPAE (*check*: the DUE form's list; CDDU is declared as a CDD).
DPAE_NATURE = {"cddu": "CDD", "cdd": "CDD", "cdi": "CDI", "portage": "CDD", "cae": "CDI"}


def declarable(state: ContractState, contract_id: UUID, now: datetime) -> Literal["on_time", "late"]:
    """Whether a DPAE may be sent now: refused before the window, 'late' at or after the hiring hour."""
    contract = _drafted(state, contract_id)
    earliest = contract.starts_at - timedelta(days=DPAE_EARLIEST_DAYS)
    if now < earliest:
        raise HireDeclarationTooEarly(
            f"the DPAE of contract {contract_id} may be sent from {earliest.isoformat()} on, "
            f"{DPAE_EARLIEST_DAYS} days before the hiring hour at the earliest (R1221-5)"
        )
    return "on_time" if now < contract.starts_at else "late"


def payload_of(contract: Contract, identity: EmployeeIdentity) -> HireDeclarationPayload:
    employer = contract.employer
    checked = check_identity(identity)
    local_start = contract.starts_at.astimezone(PARIS)
    return HireDeclarationPayload(
        declaration_id=contract.contract_id,
        employer_legal_name=employer.legal_name,
        employer_siret=employer.siret,
        employer_ape_code=employer.ape_code,
        employer_address=f"{employer.street}, {employer.postal_code} {employer.city}",
        occupational_health_service=employer.occupational_health_service,
        employee_last_name=checked.last_name,
        employee_first_names=checked.first_names,
        employee_sex=checked.sex,
        employee_birth_date=checked.birth_date,
        employee_birth_place=checked.birth_place,
        employee_birth_department=checked.birth_department,
        employee_nir=checked.nir,
        hiring_date=local_start.date(),
        hiring_time=local_start.strftime("%H:%M"),
        contract_type=DPAE_NATURE[contract.contract_type],
        contract_end_date=contract.ends_on,
        trial_period_days=contract.trial_period_days,
    )


@dataclass(frozen=True)
class FlagLateHireDeclaration:
    contract_id: UUID
    now: datetime


@dataclass(frozen=True)
class RecordHireDeclaration:
    """URSSAF's answer to a DPAE sent at `now`."""

    contract_id: UUID
    outcome: Acknowledged | Refused
    now: datetime
    gender: Sex | None = None  # the statistics' coarse attributes (statistics_attributes), not the identity
    age_band: str | None = None


def _drafted(state: ContractState, contract_id: UUID) -> Contract:
    if not isinstance(state, Contract):
        raise UnknownContract(f"no contract {contract_id}")
    if not RULES[state.contract_type].employment:
        raise LifecycleRefused(f"a {RULES[state.contract_type].label} is not employment: no DPAE")
    if state.lifecycle != "drafted":
        raise LifecycleRefused(f"contract {contract_id} is {state.lifecycle}: only a draft is declared")
    check_budget_answered(state, "declared (DPAE)")
    return state


def decide_flag_late(
    command: FlagLateHireDeclaration, state: ContractState
) -> list[LateHireDeclarationFlagged]:
    if declarable(state, command.contract_id, command.now) != "late":
        raise HireDeclarationLate("the declaration is not late: nothing to flag")  # guarded by the handler
    assert isinstance(state, Contract)
    return [
        LateHireDeclarationFlagged(
            contract_id=command.contract_id, attempted_at=command.now, starts_at=state.starts_at
        )
    ]


def decide_record(
    command: RecordHireDeclaration, state: ContractState
) -> list[HireDeclared | HireDeclarationRefused]:
    contract = _drafted(state, command.contract_id)
    if declarable(state, command.contract_id, command.now) == "late":
        raise HireDeclarationLate(
            f"contract {command.contract_id} starts before {command.now.isoformat()}: a DPAE is due before "
            "the hiring hour (R1221-5)"
        )
    match command.outcome:
        case Acknowledged(acknowledgement_id=ack):
            return [
                HireDeclared(
                    contract_id=command.contract_id,
                    parties=contract.parties,
                    acknowledgement_id=ack,
                    declared_at=command.now,
                    gender=command.gender,
                    age_band=command.age_band,
                )
            ]
        case Refused(reason=reason):
            return [
                HireDeclarationRefused(contract_id=command.contract_id, reason=reason, refused_at=command.now)
            ]
