"""contracts-svc's handlers on the real PostgreSQL: the DPAE through its port (acknowledged, refused, retried,
late), no identity stored, and working time checked across a person's employers under a lock."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from member_fixtures import IDENTITY, NIR, cdi_draft, known_member

from contracts_svc.bootstrap import Contracts, build
from contracts_svc.domain import contracts
from contracts_svc.domain.contracts import WorkPeriod
from contracts_svc.domain.contracts.rules import (
    HireDeclarationLate,
    HireDeclarationRefusedByUrssaf,
    WorkingTimeExceeded,
)
from contracts_svc.integration.urssaf import FakeUrssaf, RetryingDeclarations
from services.runtime import Resources

TENANT = "smartfr"


def service_with(resources: Resources, fake: FakeUrssaf) -> Contracts:
    return dataclasses.replace(build(resources), declarations=RetryingDeclarations(fake, base_delay=0.001))


async def drafted(service: Contracts, member_id: UUID, starts_at: datetime, n: int = 1) -> UUID:
    command = cdi_draft(member_id, starts_at, n)
    _, contract = await service.draft(command, tenant=TENANT, correlation_id="")
    return contract.contract_id


async def signed(service: Contracts, member_id: UUID, starts_at: datetime, n: int) -> UUID:
    contract_id = await drafted(service, member_id, starts_at, n)
    # Declared on time: the command's clock is an hour before the hire.
    await service.declare_hire(
        contract_id, IDENTITY, now=starts_at - timedelta(hours=1), tenant=TENANT, correlation_id=""
    )
    await service.handle(contracts.SignContract(contract_id, starts_at), tenant=TENANT, correlation_id="")
    return contract_id


async def test_an_acknowledged_dpae_keeps_the_acknowledgement_and_no_identity(resources: Resources) -> None:
    fake = FakeUrssaf()
    service = service_with(resources, fake)
    member_id = await known_member(resources)
    contract_id = await drafted(service, member_id, datetime.now(UTC) + timedelta(days=2))
    _, contract = await service.declare_hire(
        contract_id, IDENTITY, now=datetime.now(UTC), tenant=TENANT, correlation_id=""
    )
    assert contract.lifecycle == "hire_declared"
    assert contract.acknowledgement_id == "DPAE-00000001"
    [sent] = fake.received
    assert (sent["employee_nir"], sent["employee_last_name"], sent["employer_siret"]) == (
        NIR,
        "Garnier-Unique",
        "73282932000074",
    )
    async with resources.pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT string_agg(data::text || metadata::text, ' ') FROM events WHERE stream_id = $1",
            contracts.stream_id(contract_id),
        )
        published = await conn.fetchval("SELECT string_agg(envelope::text, ' ') FROM outbox")
    assert "DPAE-00000001" in stored
    for personal in (NIR, "Garnier-Unique", "1995-10-03"):
        assert personal not in stored
        assert personal not in published


async def test_a_pushed_hires_contract_is_drafted_declared_and_signed_in_one_append(
    resources: Resources,
) -> None:
    service = service_with(resources, FakeUrssaf())
    command = cdi_draft(await known_member(resources), datetime.now(UTC) + timedelta(days=2))

    # When a pushed hire is taken
    contract = await service.take_hire(command, IDENTITY, tenant=TENANT, correlation_id="")

    # Then its contract is signed, the three events one append: one transaction, consecutive versions
    assert (contract.lifecycle, contract.acknowledgement_id) == ("signed", "DPAE-00000001")
    async with resources.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT event_type, stream_version, tx_id::text FROM events WHERE stream_id = $1"
            " ORDER BY stream_version",
            contracts.stream_id(command.contract_id),
        )
    assert [(r["event_type"], r["stream_version"]) for r in rows] == [
        ("ContractDrafted", 1),
        ("HireDeclared", 2),
        ("ContractSigned", 3),
    ]
    assert rows[0]["tx_id"] == rows[1]["tx_id"] == rows[2]["tx_id"]


async def test_a_pushed_hire_whose_dpae_is_refused_keeps_the_draft_and_the_refusal(
    resources: Resources,
) -> None:
    service = service_with(resources, FakeUrssaf(mode="refuse", refusal_reason="NIR inconnu"))
    command = cdi_draft(await known_member(resources), datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(HireDeclarationRefusedByUrssaf, match="NIR inconnu"):
        await service.take_hire(command, IDENTITY, tenant=TENANT, correlation_id="")
    _, state = await service.read(command.contract_id, tenant=TENANT)
    assert isinstance(state, contracts.Contract)
    assert (state.lifecycle, state.declaration_refusals) == ("drafted", 1)


async def test_transient_failures_are_retried_until_acknowledged(resources: Resources) -> None:
    fake = FakeUrssaf(transient_failures=2)
    service = service_with(resources, fake)
    contract_id = await drafted(service, await known_member(resources), datetime.now(UTC) + timedelta(days=1))
    _, contract = await service.declare_hire(
        contract_id, IDENTITY, now=datetime.now(UTC), tenant=TENANT, correlation_id=""
    )
    assert (fake.attempts, contract.lifecycle) == (3, "hire_declared")


async def test_a_refused_dpae_is_an_error_and_leaves_the_contract_drafted(resources: Resources) -> None:
    service = service_with(resources, FakeUrssaf(mode="refuse", refusal_reason="NIR inconnu"))
    contract_id = await drafted(service, await known_member(resources), datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(HireDeclarationRefusedByUrssaf, match="NIR inconnu"):
        await service.declare_hire(
            contract_id, IDENTITY, now=datetime.now(UTC), tenant=TENANT, correlation_id=""
        )
    _, state = await service.read(contract_id, tenant=TENANT)
    assert isinstance(state, contracts.Contract)
    assert (state.lifecycle, state.declaration_refusals) == ("drafted", 1)


async def test_a_late_dpae_is_refused_flagged_and_never_sent(resources: Resources) -> None:
    fake = FakeUrssaf()
    service = service_with(resources, fake)
    contract_id = await drafted(
        service, await known_member(resources), datetime.now(UTC) - timedelta(hours=1)
    )
    with pytest.raises(HireDeclarationLate, match="flagged"):
        await service.declare_hire(
            contract_id, IDENTITY, now=datetime.now(UTC), tenant=TENANT, correlation_id=""
        )
    _, state = await service.read(contract_id, tenant=TENANT)
    assert isinstance(state, contracts.Contract)
    assert (state.lifecycle, state.late_declaration_flagged, fake.attempts) == ("drafted", True, 0)


def day_at(monday: datetime, day: int, hours: int) -> WorkPeriod:
    starts = monday + timedelta(days=day, hours=7)
    return WorkPeriod(starts_at=starts, ends_at=starts + timedelta(hours=hours))


@pytest.mark.parametrize("reporting_last", ["second employer", "first employer"])
async def test_the_hour_that_breaks_the_48_hour_week_is_refused_whichever_employer_reports_it(
    resources: Resources, reporting_last: str
) -> None:
    service = service_with(resources, FakeUrssaf())
    member_id = await known_member(resources)
    monday = datetime(2026, 11, 2, tzinfo=UTC)
    at_a = await signed(service, member_id, monday, 1)
    at_b = await signed(service, member_id, monday, 2)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    four_days = tuple(day_at(monday, d, 8) for d in range(4))  # 32 h at A
    friday, saturday = (day_at(monday, 4, 8),), (day_at(monday, 5, 9),)  # 8 h at A, 9 h at B: 49 h
    await service.report_work(at_a, four_days, now=now, tenant=TENANT, correlation_id="")
    first, last = ((at_a, friday), (at_b, saturday))
    if reporting_last == "first employer":
        first, last = (at_b, saturday), (at_a, friday)
    await service.report_work(first[0], first[1], now=now, tenant=TENANT, correlation_id="")
    with pytest.raises(WorkingTimeExceeded, match="48 h a week") as refused:
        await service.report_work(last[0], last[1], now=now, tenant=TENANT, correlation_id="")
    assert refused.value.limit == "weekly_maximum"
    # An hour less passes: the limit is 48 h, not less.
    shorter = (WorkPeriod(starts_at=last[1][0].starts_at, ends_at=last[1][0].ends_at - timedelta(hours=1)),)
    _, contract = await service.report_work(last[0], shorter, now=now, tenant=TENANT, correlation_id="")
    # B's Saturday of 8 h, or A's week of 32 h and a Friday of 7 h.
    assert contract.minutes_worked == (8 * 60 if last[0] == at_b else 39 * 60)


async def test_two_employers_reporting_at_once_cannot_both_break_the_week(resources: Resources) -> None:
    service = service_with(resources, FakeUrssaf())
    member_id = await known_member(resources)
    monday = datetime(2026, 11, 9, tzinfo=UTC)
    at_a = await signed(service, member_id, monday, 1)
    at_b = await signed(service, member_id, monday, 2)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    await service.report_work(
        at_a, tuple(day_at(monday, d, 8) for d in range(4)), now=now, tenant=TENANT, correlation_id=""
    )
    # 32 h reported; A reports Friday 8 h and B Saturday 9 h at the same moment: 49 h if both passed.
    outcomes = await asyncio.gather(
        service.report_work(at_a, (day_at(monday, 4, 8),), now=now, tenant=TENANT, correlation_id=""),
        service.report_work(at_b, (day_at(monday, 5, 9),), now=now, tenant=TENANT, correlation_id=""),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, WorkingTimeExceeded)]
    assert len(refused) == 1, outcomes
