"""Members as contracts-svc learns of them (a `members.MemberApplied` handed to its projection: a hire is
declared only for a member it knows), an employee's identity for the DPAE, and a contract at an
association."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from contracts_svc.domain import contracts
from contracts_svc.domain.contracts import Employer, Pay
from contracts_svc.domain.contracts.hire_declaration import EmployeeIdentity
from contracts_svc.read_models.known_members import on_members_event
from services.envelope import Envelope
from services.ids import new_event_id
from services.runtime import Resources

NIR = "295107512611162"
IDENTITY = EmployeeIdentity(
    last_name="Garnier-Unique",  # unique enough to be looked for in the stored events
    first_names="Léa",
    sex="F",
    birth_date=datetime(1995, 10, 3).date(),
    birth_place="Paris",
    birth_department="75",
    nir=NIR,
)


async def know(resources: Resources, tenant: str, member_id: UUID) -> None:
    envelope = Envelope(
        event_id=new_event_id(),
        event_type="members.MemberApplied",
        schema_version=1,
        stream_id=f"member-{member_id}",
        stream_version=1,
        occurred_at=datetime.now(UTC),
        tenant=tenant,
        correlation_id=new_event_id(),
        data={
            "member_id": str(member_id),
            "person_kind": "natural_person",
            "category": 1,
            "applied_at": datetime.now(UTC).isoformat(),
        },
    )
    async with resources.pool.acquire() as conn:
        await on_members_event(conn, envelope)


async def known_member(resources: Resources, tenant: str = "smartfr") -> UUID:
    """A new member, known to contracts-svc in `tenant`."""
    member_id = new_event_id()
    await know(resources, tenant, member_id)
    return member_id


def employer(n: int) -> Employer:
    return Employer(
        employer_id=UUID(int=n),
        kind="association",
        legal_name=f"Association {n}",
        siret="73282932000074",
        ape_code="90.01Z",
        street="12 rue des Arts",
        postal_code="75011",
        city="Paris",
        occupational_health_service="CMB Paris",
    )


def cdi_draft(
    member_id: UUID, starts_at: datetime, n: int = 1, contract_id: UUID | None = None
) -> contracts.DraftContract:
    """A full-time CDI at association `n`, drafted now."""
    return contracts.DraftContract(
        contract_id=contract_id or new_event_id(),
        tenant="smartfr",
        member_id=member_id,
        employer=employer(n),
        contract_type="cdi",
        job_title="Régisseur",
        starts_at=starts_at,
        ends_on=None,
        working_time="full_time",
        weekly_hours=Decimal(35),
        pay=Pay(basis="monthly", amount_cents=250000),
        status="non_cadre",
        now=datetime.now(UTC),
    )
