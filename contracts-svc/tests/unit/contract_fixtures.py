"""Builders shared by the contract specs: a valid draft of each type, and its drafted event."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from contracts_svc.domain import contracts
from contracts_svc.domain.contracts import (
    ContractDrafted,
    ContractSigned,
    DraftContract,
    Employer,
    HireDeclared,
    Pay,
)
from contracts_svc.domain.contracts.codec import EVENT_TYPES
from contracts_svc.domain.contracts.events import Parties, Terms
from services.decider import Decider, EventCodec
from services.testkit.spec import Spec

CONTRACT = UUID("0197a3d0-0000-7000-8000-000000000001")
MEMBER = UUID("0197a3d0-0000-7000-8000-0000000000aa")
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
STARTS = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 in Paris, a Tuesday
EMPLOYER = Employer(
    employer_id=UUID("5b0c3f9e-2d7a-5e41-9c8b-1f6a2e4d7c30"),
    kind="association",
    legal_name="Les Ateliers du Spectacle",
    siret="73282932000074",
    ape_code="90.01Z",
    street="12 rue des Arts",
    postal_code="75011",
    city="Paris",
    occupational_health_service="CMB Paris",
)
CODEC: EventCodec[contracts.ContractEvent] = EventCodec(EVENT_TYPES)
spec = Spec(Decider(contracts.decide, contracts.evolve, contracts.initial_state), codec=CODEC)

TYPES: dict[str, dict[str, Any]] = {
    "cddu": {
        "sector": "spectacle",
        "ends_on": date(2026, 12, 5),
        "pay": Pay(basis="hourly", amount_cents=1500),
    },
    "cdd": {"reason": "temporary_increase", "ends_on": date(2027, 5, 31)},
    "cdi": {"ends_on": None},
    "portage": {
        "tenant": "coop-portage",
        "ends_on": date(2027, 11, 30),
        "portage_level": "junior",
        "pay": Pay(basis="monthly", amount_cents=280350),
    },
    "cae": {"tenant": "grandsensemble", "ends_on": None},
    "cape": {
        "tenant": "grandsensemble",
        "ends_on": date(2027, 11, 30),
        "pay": Pay(basis="none", amount_cents=0),
    },
}


def draft(contract_type: str = "cddu", **fields: Any) -> DraftContract:
    values: dict[str, Any] = {
        "contract_id": CONTRACT,
        "tenant": "smartfr",
        "member_id": MEMBER,
        "employer": EMPLOYER,
        "contract_type": contract_type,
        "job_title": "Régisseur",
        "starts_at": STARTS,
        "ends_on": None,
        "working_time": "full_time",
        "weekly_hours": Decimal(35),
        "pay": Pay(basis="monthly", amount_cents=250000),
        "status": "non_cadre",
        "now": NOW,
    }
    values.update(TYPES[contract_type])
    values.update(fields)
    return DraftContract(**values)


def drafted(contract_type: str = "cddu", **fields: Any) -> ContractDrafted:
    """The event the draft of `contract_type` decides (the decider's own output, so specs start from it)."""
    [event] = contracts.decide(draft(contract_type, **fields), contracts.initial_state)
    assert isinstance(event, ContractDrafted)
    return event


def parties(contract_type: str = "cddu") -> Parties:
    return Parties(
        member_id=MEMBER,
        employer_id=EMPLOYER.employer_id,
        employer_kind="association",
        contract_type=contract_type,
    )


# The CDDU's terms, written out: its pay, and the 10 % paid-leave pay without précarité bonus of the table.
CDDU_TERMS = Terms(
    status="non_cadre",
    pay=Pay(basis="hourly", amount_cents=1500),
    weekly_hours=Decimal(35),
    paid_leave_pay_rate=Decimal("0.10"),
    precarity_bonus_rate=Decimal(0),
)
CDI_TERMS = Terms(
    status="non_cadre",
    pay=Pay(basis="monthly", amount_cents=250000),
    weekly_hours=Decimal(35),
    paid_leave_pay_rate=Decimal(0),
    precarity_bonus_rate=Decimal(0),
)


def declared(at: datetime = NOW, contract_type: str = "cddu") -> HireDeclared:
    return HireDeclared(
        contract_id=CONTRACT, parties=parties(contract_type), acknowledgement_id="DPAE-0001", declared_at=at
    )


def signed(at: datetime, contract_type: str = "cddu", *, within: bool = True) -> ContractSigned:
    ends_on = TYPES[contract_type]["ends_on"]
    return ContractSigned(
        contract_id=CONTRACT,
        parties=parties(contract_type),
        starts_at=STARTS,
        ends_on=ends_on,
        signed_at=at,
        within_legal_delay=within,
    )
