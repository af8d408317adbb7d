"""Suspend, reinstate or close an employer structure: active <-> suspended, either -> closed (final)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from members_svc.domain.employers.events import (
    EmployerStructureClosed,
    EmployerStructureReinstated,
    EmployerStructureSuspended,
)
from members_svc.domain.employers.rules import (
    StatusChangeRefused,
    UnknownEmployerStructure,
    check_effective_on,
    check_text,
)
from members_svc.domain.employers.state import EmployerStructure, EmployerStructureState


@dataclass(frozen=True)
class SuspendEmployerStructure:
    employer_structure_id: UUID
    reason: str
    effective_on: date
    now: datetime


@dataclass(frozen=True)
class ReinstateEmployerStructure:
    employer_structure_id: UUID
    effective_on: date
    now: datetime


@dataclass(frozen=True)
class CloseEmployerStructure:
    employer_structure_id: UUID
    reason: str
    effective_on: date
    now: datetime


def _registered(employer_structure_id: UUID, state: EmployerStructureState) -> EmployerStructure:
    if not isinstance(state, EmployerStructure):
        raise UnknownEmployerStructure(f"no employer structure {employer_structure_id}")
    if state.status == "closed":
        raise StatusChangeRefused(f"employer structure {employer_structure_id} is closed: closing is final")
    return state


def decide_suspend(
    command: SuspendEmployerStructure, state: EmployerStructureState
) -> list[EmployerStructureSuspended]:
    structure = _registered(command.employer_structure_id, state)
    if structure.status == "suspended":
        raise StatusChangeRefused(f"employer structure {command.employer_structure_id} is already suspended")
    check_effective_on(command.effective_on, structure.registered_at)
    return [
        EmployerStructureSuspended(
            employer_structure_id=command.employer_structure_id,
            reason=check_text("reason", command.reason, max_length=500),
            effective_on=command.effective_on,
            recorded_at=command.now,
        )
    ]


def decide_reinstate(
    command: ReinstateEmployerStructure, state: EmployerStructureState
) -> list[EmployerStructureReinstated]:
    structure = _registered(command.employer_structure_id, state)
    if structure.status != "suspended":
        raise StatusChangeRefused(f"employer structure {command.employer_structure_id} is not suspended")
    check_effective_on(command.effective_on, structure.registered_at)
    return [
        EmployerStructureReinstated(
            employer_structure_id=command.employer_structure_id,
            effective_on=command.effective_on,
            recorded_at=command.now,
        )
    ]


def decide_close(
    command: CloseEmployerStructure, state: EmployerStructureState
) -> list[EmployerStructureClosed]:
    structure = _registered(command.employer_structure_id, state)
    check_effective_on(command.effective_on, structure.registered_at)
    return [
        EmployerStructureClosed(
            employer_structure_id=command.employer_structure_id,
            reason=check_text("reason", command.reason, max_length=500),
            effective_on=command.effective_on,
            recorded_at=command.now,
        )
    ]
