"""A hire pushed by an association: its outcome, once, under the hire's id (stream `hire-<id>`).

The hire's contract is drafted, declared and signed by the contract aggregate; this one only records whether
the hire became that contract or was rejected, and why, so a redelivered hire is answered the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict

# Any fixed UUID: the namespace of the contract ids of hires (never change it: ids are derived from it).
HIRE_CONTRACTS = UUID("3f0b7a52-9c1e-5d84-a6f3-2b8e41d07c95")


class Rejection(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str  # the problem code the API would give (`contract_rule_cddu_sector`, `hire_declaration_late`...)
    param: str | None = None


class HireAccepted(BaseModel):
    model_config = ConfigDict(frozen=True)

    hire_id: UUID
    contract_id: UUID
    employer_id: UUID
    member_id: UUID
    decided_at: datetime


class HireRejected(BaseModel):
    model_config = ConfigDict(frozen=True)

    hire_id: UUID
    employer_id: UUID
    reasons: tuple[Rejection, ...]
    decided_at: datetime


HireEvent = HireAccepted | HireRejected


@dataclass(frozen=True)
class NoOutcome:
    pass


@dataclass(frozen=True)
class Outcome:
    event: HireEvent


HireState = NoOutcome | Outcome


@dataclass(frozen=True)
class RecordHireOutcome:
    hire_id: UUID
    outcome: HireEvent
    now: datetime


initial_state: HireState = NoOutcome()


def decide(command: RecordHireOutcome, state: HireState) -> list[HireEvent]:
    """The first outcome stands: a hire processed again (a redelivered batch) changes nothing."""
    if isinstance(state, Outcome):
        return []
    return [command.outcome]


def evolve(state: HireState, event: HireEvent) -> HireState:
    return state if isinstance(state, Outcome) else Outcome(event)


def contract_of(hire_id: UUID) -> UUID:
    """The contract a hire becomes: the same hire always drafts the same contract (so at most once)."""
    return uuid5(HIRE_CONTRACTS, str(hire_id))


def stream_id(hire_id: UUID) -> str:
    return f"hire-{hire_id}"
