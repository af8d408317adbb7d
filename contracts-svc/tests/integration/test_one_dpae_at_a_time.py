"""One DPAE a contract, whatever arrives at once: two declarations of one contract, or two deliveries of one
pushed hire (the hire in two messages, handled side by side by the gateway), on the real PostgreSQL. URSSAF
holds its answer to the first until the second has either reached URSSAF too or is seen waiting. And a draft
sent twice at once answers the same contract twice."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from member_fixtures import IDENTITY, cdi_draft, employer, known_member

from contracts_svc.api.hires import HireIn, hire_outcome
from contracts_svc.bootstrap import Contracts, build
from contracts_svc.bootstrap_hires import HireOutcomes
from contracts_svc.domain import contracts, hires
from contracts_svc.domain.contracts.hire_declaration import Acknowledged, HireDeclarationPayload, Refused
from contracts_svc.domain.contracts.rules import LifecycleRefused
from contracts_svc.domain.hires import HireAccepted, HireEvent, RecordHireOutcome
from contracts_svc.integration.urssaf import FakeUrssaf
from services.ids import new_event_id
from services.runtime import Resources

TENANT = "smartfr"
WAITING_ADVISORY_LOCKS = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
EMPLOYER = employer(7)


@dataclass
class HeldUrssaf:
    """URSSAF answering only once the test lets it: the first declaration stays in flight meanwhile."""

    answering: FakeUrssaf = field(default_factory=FakeUrssaf)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    declarations: int = 0

    async def declare(self, payload: HireDeclarationPayload) -> Acknowledged | Refused:
        self.declarations += 1
        self.reached.set()
        await self.released.wait()
        return await self.answering.declare(payload)


async def the_second_waits_or_reaches_urssaf(resources: Resources, urssaf: HeldUrssaf) -> None:
    """The server's lock table polled until the second declaration waits on the contract's lock, or URSSAF
    counts it (then nothing kept them apart): a condition, not a sleep standing for one."""
    async with resources.pool.acquire() as conn, asyncio.timeout(30):
        while urssaf.declarations < 2 and await conn.fetchval(WAITING_ADVISORY_LOCKS) < 1:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def side_by_side(
    first: asyncio.Task[Any], second: asyncio.Task[Any], resources: Resources, urssaf: HeldUrssaf
) -> list[Any]:
    await the_second_waits_or_reaches_urssaf(resources, urssaf)
    urssaf.released.set()
    return list(await asyncio.gather(first, second, return_exceptions=True))


@dataclass(frozen=True)
class OutcomeHeld(HireOutcomes):
    """Records a hire's outcome only once the test lets it: a delivery stopped between its contract and it."""

    released: asyncio.Event = field(default_factory=asyncio.Event)

    async def record(self, command: RecordHireOutcome, **how: Any) -> HireEvent:
        await self.released.wait()
        return await super().record(command, **how)


def service_with(resources: Resources, urssaf: HeldUrssaf) -> Contracts:
    return dataclasses.replace(build(resources), declarations=urssaf)


async def event_types(resources: Resources, stream_id: str) -> list[str]:
    async with resources.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT event_type FROM events WHERE stream_id = $1 ORDER BY stream_version", stream_id
        )
    return [row["event_type"] for row in rows]


async def test_two_declarations_of_a_contract_at_once_send_one_dpae(resources: Resources) -> None:
    urssaf = HeldUrssaf()
    service = service_with(resources, urssaf)
    command = cdi_draft(await known_member(resources), datetime.now(UTC) + timedelta(days=2))
    contract_id = command.contract_id
    await service.draft(command, tenant=TENANT, correlation_id="")
    now = datetime.now(UTC)

    def declaration() -> asyncio.Task[tuple[int, contracts.Contract]]:
        return asyncio.create_task(
            service.declare_hire(contract_id, IDENTITY, now=now, tenant=TENANT, correlation_id="")
        )

    # When a second declaration comes while URSSAF has not answered the first
    first = declaration()
    await urssaf.reached.wait()
    outcomes = await side_by_side(first, declaration(), resources, urssaf)

    # Then URSSAF got one DPAE; the second found the contract declared, and was refused as a late twin
    assert len(urssaf.answering.received) == 1, outcomes
    declared, refused = outcomes
    assert isinstance(declared, tuple), outcomes
    assert declared[1].lifecycle == "hire_declared"
    assert isinstance(refused, LifecycleRefused), outcomes
    assert "is hire_declared" in str(refused)
    declared_once = ["ContractDrafted", "HireDeclared"]
    assert await event_types(resources, contracts.stream_id(contract_id)) == declared_once


async def test_a_hire_delivered_twice_at_once_is_declared_once_and_accepted_twice(
    resources: Resources,
) -> None:
    urssaf = HeldUrssaf()
    service = service_with(resources, urssaf)
    hire_id = uuid4()
    member_id = await known_member(resources)
    employer = EMPLOYER.model_dump(mode="json", exclude={"employer_id"}) | {"id": str(EMPLOYER.employer_id)}
    body = HireIn.model_validate(
        {
            "contract": {
                "member_id": str(member_id),
                "employer": employer,
                "contract_type": "cdi",
                "job_title": "Régisseur",
                "starts_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
                "pay": {"basis": "monthly", "amount_cents": 250000},
            },
            "employee": dataclasses.asdict(IDENTITY),
        }
    )

    def delivery(outcomes: HireOutcomes) -> asyncio.Task[Any]:
        return asyncio.create_task(hire_outcome(hire_id, body, TENANT, service, outcomes, ""))

    # When the same hire is delivered again while URSSAF has not answered the first delivery's DPAE, and the
    # first records its outcome only after the second is done
    held = OutcomeHeld(resources)
    first = delivery(held)
    await urssaf.reached.wait()
    second = delivery(HireOutcomes(resources))
    await the_second_waits_or_reaches_urssaf(resources, urssaf)
    urssaf.released.set()
    second_answers = await asyncio.gather(second, return_exceptions=True)
    held.released.set()
    answers = [*await asyncio.gather(first, return_exceptions=True), *second_answers]

    # Then one DPAE, one signed contract, and both deliveries answer the hire accepted with it
    assert len(urssaf.answering.received) == 1, answers
    contract_id = hires.contract_of(hire_id)
    assert all(isinstance(a, HireAccepted) and a.contract_id == contract_id for a in answers), answers
    assert await event_types(resources, contracts.stream_id(contract_id)) == [
        "ContractDrafted",
        "HireDeclared",
        "ContractSigned",
    ]
    assert await event_types(resources, hires.stream_id(hire_id)) == ["HireAccepted"]


async def test_a_draft_request_that_lost_the_race_to_its_twin_answers_the_contract_drafted(
    resources: Resources,
) -> None:
    service = service_with(resources, HeldUrssaf())
    contract_id = new_event_id()
    command = cdi_draft(await known_member(resources), datetime.now(UTC) + timedelta(days=2), 7, contract_id)
    # Given this request read the stream empty, then the same request sent again drafted the contract
    read_before = await service.read(contract_id, tenant=TENANT)
    _, drafted_by_other = await service.draft(command, tenant=TENANT, correlation_id="")

    # When this one drafts on what it read
    version, contract = await service.draft(command, tenant=TENANT, correlation_id="", read=read_before)

    # Then it answers the contract its twin drafted, as a read would have, and nothing is appended
    assert (version, contract) == (1, drafted_by_other)
    assert await event_types(resources, contracts.stream_id(contract_id)) == ["ContractDrafted"]
