"""A hire's outcome is recorded once: given no outcome, when recorded, then it; given one, nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from contracts_svc.domain import hires
from contracts_svc.domain.hires import HireAccepted, HireRejected, RecordHireOutcome, Rejection
from services.decider import Decider, EventCodec
from services.testkit.spec import Spec

HIRE = UUID("0197a3d0-0000-7000-8000-00000000beef")
NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)
ACCEPTED = HireAccepted(
    hire_id=HIRE,
    contract_id=hires.contract_of(HIRE),
    employer_id=UUID(int=1),
    member_id=UUID(int=2),
    decided_at=NOW,
)
REJECTED = HireRejected(
    hire_id=HIRE,
    employer_id=UUID(int=1),
    reasons=(Rejection(code="contract_rule_cddu_sector", param="sector"),),
    decided_at=NOW,
)
spec = Spec(
    Decider(hires.decide, hires.evolve, hires.initial_state),
    codec=EventCodec({"HireAccepted": HireAccepted, "HireRejected": HireRejected}),
)


def test_a_hire_s_first_outcome_is_recorded() -> None:
    spec.given().when(RecordHireOutcome(HIRE, ACCEPTED, NOW)).then(ACCEPTED)
    spec.given().when(RecordHireOutcome(HIRE, REJECTED, NOW)).then(REJECTED)


def test_a_hire_processed_again_changes_nothing() -> None:
    spec.given(ACCEPTED).when(RecordHireOutcome(HIRE, ACCEPTED, NOW)).then()
    spec.given(REJECTED).when(RecordHireOutcome(HIRE, ACCEPTED, NOW)).then()


def test_the_same_hire_always_drafts_the_same_contract() -> None:
    assert hires.contract_of(HIRE) == hires.contract_of(UUID(str(HIRE)))
    assert hires.contract_of(HIRE) != hires.contract_of(UUID(int=3))
