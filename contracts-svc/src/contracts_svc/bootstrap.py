"""Composition root: contracts-svc's command handlers, the DPAE port's adapter, the read models."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from contracts_svc.config import Settings
from contracts_svc.domain import contracts
from contracts_svc.domain.contracts import Contract, ContractEvent, WorkReported
from contracts_svc.domain.contracts.budget import (
    BudgetReservationPolicy,
    ReservationRequest,
    planned_employer_cost_cents,
)
from contracts_svc.domain.contracts.calendar import paris_day
from contracts_svc.domain.contracts.codec import EVENT_TYPES
from contracts_svc.domain.contracts.hire_declaration import (
    Acknowledged,
    EmployeeIdentity,
    HireDeclarationPort,
    Refused,
    check_identity,
    declarable,
    payload_of,
)
from contracts_svc.domain.contracts.lifecycle import budget_request, existing
from contracts_svc.domain.contracts.rules import (
    ContractAlreadyExists,
    HireDeclarationLate,
    HireDeclarationRefusedByUrssaf,
)
from contracts_svc.domain.contracts.statistics_attributes import age_band, gender_of
from contracts_svc.domain.contracts.tables import RULES
from contracts_svc.integration import budget
from contracts_svc.integration.budget import AlwaysAccept
from contracts_svc.integration.outbound import to_public
from contracts_svc.integration.urssaf import FakeUrssaf, RetryingDeclarations
from contracts_svc.read_models import worked_time
from contracts_svc.read_models.contract_directory import ContractDirectory, previous_on_post
from contracts_svc.read_models.contract_statistics import ContractStatisticsProjection
from contracts_svc.read_models.known_members import find_known_member
from contracts_svc.read_models.worked_time import WorkedTime
from services import command_loop
from services.decider import Decider, EventCodec, in_turn
from services.eventstore.errors import ConcurrencyConflict
from services.ids import new_event_id
from services.log_reader import Conn
from services.runtime import Resources
from services.telemetry import current_traceparent

CODEC: EventCodec[ContractEvent] = EventCodec(EVENT_TYPES)
CONTRACT = Decider(contracts.decide, contracts.evolve, contracts.initial_state)
CONTRACT_IN_TURN = in_turn(CONTRACT)


class UnknownEmployee(LookupError):
    """The member is not (yet) known to contracts-svc: members-svc's events did not name them."""


@dataclass(frozen=True)
class Contracts:
    resources: Resources
    declarations: HireDeclarationPort
    directory: ContractDirectory
    worked: WorkedTime
    statistics: ContractStatisticsProjection
    budget: BudgetReservationPolicy = field(default_factory=AlwaysAccept)

    async def draft(
        self,
        command: contracts.DraftContract,
        *,
        tenant: str,
        correlation_id: str,
        read: tuple[int, contracts.ContractState] | None = None,
    ) -> tuple[int, Contract]:
        """`read`: the stream as the caller has just read it (not read again)."""
        # The member is checked at the DPAE, not here: members-svc's events may lag behind a new member.
        version, found = read or await self.read(command.contract_id, tenant=tenant)
        if isinstance(found, Contract):
            return version, found  # drafted by this request before its answer was lost: no second contract
        async with self.resources.pool.acquire() as conn:
            previous = await self._previous_on_post(conn, command, tenant)
        # Found empty just above: decided without reading it again. A draft of this id that got there
        # meanwhile (the same request, or the same hire, at once) makes the append conflict, and the one
        # retry reads the contract: it is answered as the read would have answered it.
        try:
            return await self.handle(
                _with_previous(await self._with_budget(command, tenant), previous),
                tenant=tenant,
                correlation_id=correlation_id,
                new_stream=True,
            )
        except ContractAlreadyExists:
            version, found = await self.read(command.contract_id, tenant=tenant)
            return version, _contract(found)

    async def _with_budget(self, command: contracts.DraftContract, tenant: str) -> contracts.DraftContract:
        """A member's activity contract: ask the activity account for its employer cost before deciding."""
        if command.activity_id is None or command.starts_at.tzinfo is None:
            return command  # not an activity's contract, or refused by the draft's own checks
        amount = planned_employer_cost_cents(
            command.pay, command.weekly_hours, paris_day(command.starts_at), command.ends_on
        )
        answer = await self.budget.reserve(
            ReservationRequest(command.contract_id, tenant, command.activity_id, amount)
        )
        return replace(command, budget=answer)

    async def move(
        self,
        command: contracts.ContractCommand,
        *,
        tenant: str,
        correlation_id: str,
        expected_version: int | None = None,
    ) -> tuple[int, Contract]:
        """A move after the draft; a renewal or amendment of an activity's contract first asks its account
        for the extra cost (ADR 026). That one reads the stream first, to know what to ask, and is decided on
        the state read: the cost asked is the one of the state decided on (a move meanwhile is a 409)."""
        if not isinstance(command, contracts.RenewContract | contracts.AmendContract):
            return await self.handle(
                command, tenant=tenant, correlation_id=correlation_id, expected_version=expected_version
            )
        read = await self.read(command.contract_id, tenant=tenant)
        version, state = read
        if expected_version is not None and version != expected_version:
            raise ConcurrencyConflict(contracts.stream_id(command.contract_id), expected_version, version)
        request = budget_request(command, state, tenant)
        if request is None:
            return await self.handle(
                command,
                tenant=tenant,
                correlation_id=correlation_id,
                expected_version=expected_version,
                read=read,
            )
        asked = replace(command, budget=await self.budget.reserve(request))
        return await self.handle(
            asked, tenant=tenant, correlation_id=correlation_id, expected_version=version, read=read
        )

    async def read(
        self, contract_id: UUID, *, tenant: str, conn: Conn | None = None
    ) -> tuple[int, contracts.ContractState]:
        recorded = await self.resources.store.read_stream(
            contracts.stream_id(contract_id), tenant=tenant, conn=conn
        )
        version = recorded[-1].stream_version if recorded else 0
        return version, CONTRACT.fold(CODEC.decode(r) for r in recorded)

    async def declare_hire(
        self,
        contract_id: UUID,
        identity: EmployeeIdentity,
        *,
        now: datetime,
        tenant: str,
        correlation_id: str,
        expected_version: int | None = None,
    ) -> tuple[int, Contract]:
        """Send the DPAE through the port and keep URSSAF's answer; the identity is not stored.

        One declaration of a contract at a time: it is read, sent and recorded under a lock on the contract,
        so a declaration at the same moment (a request sent twice) waits, then finds the contract declared and
        sends nothing; without it both would send a DPAE."""
        async with self._under_declaration_lock(contract_id, tenant) as (conn, version, state):
            existing(state, contract_id)  # no such contract: 404 before any precondition
            if expected_version is not None and version != expected_version:
                raise ConcurrencyConflict(contracts.stream_id(contract_id), expected_version, version)
            steps, outcome = await self._declaration(conn, state, contract_id, identity, now, tenant)
            version, contract = await self._append(conn, steps, (version, state), tenant, correlation_id)
        _raise_unless_acknowledged(contract, outcome)
        return version, contract

    async def take_hire(
        self,
        command: contracts.DraftContract,
        identity: EmployeeIdentity,
        *,
        tenant: str,
        correlation_id: str,
    ) -> Contract:
        """A pushed hire's contract, drafted, declared (DPAE) and signed at `command.now` in one append under
        the contract's lock, from wherever an earlier delivery left it: another delivery of the hire at the
        same moment waits, then finds the contract as this one left it. Refused as the contracts API would
        refuse each step; a refused or late DPAE is recorded (with the draft) before it raises."""
        contract_id, now = command.contract_id, command.now
        async with self._under_declaration_lock(contract_id, tenant) as (conn, version, state):
            steps: tuple[contracts.ContractCommand, ...] = ()
            if isinstance(state, contracts.NoContract):
                steps = (_with_previous(command, await self._previous_on_post(conn, command, tenant)),)
            planned = _after(state, steps)
            declaring = planned.lifecycle == "drafted" and RULES[planned.contract_type].employment
            outcome: Acknowledged | Refused | None = None
            if declaring:
                declared, outcome = await self._declaration(
                    conn, planned, contract_id, identity, now, tenant, sign_at=now
                )
                steps += declared
            elif planned.lifecycle in ("drafted", "hire_declared"):  # no DPAE (a CAPE), or declared before
                steps += _signature_if_decided(contracts.SignContract(contract_id, now), planned)
            if steps:
                _, planned = await self._append(conn, steps, (version, state), tenant, correlation_id)
        if declaring:
            _raise_unless_acknowledged(planned, outcome)
        if planned.lifecycle in ("drafted", "hire_declared"):  # a signature that does not decide: its refusal
            contracts.decide(contracts.SignContract(contract_id, now), planned)
        return planned

    @asynccontextmanager
    async def _under_declaration_lock(
        self, contract_id: UUID, tenant: str
    ) -> AsyncIterator[tuple[Conn, int, contracts.ContractState]]:
        """The contract read under its DPAE lock, in a transaction: what is appended on the connection is
        committed (and the store's readers told) when the block ends without an error."""
        async with self.resources.pool.acquire() as conn, conn.transaction():
            await _lock_declarations(conn, tenant, contract_id)
            version, state = await self.read(contract_id, tenant=tenant, conn=conn)
            yield conn, version, state
        self.resources.store.committed()

    async def _append(
        self,
        conn: Conn,
        steps: tuple[contracts.ContractCommand, ...],
        read: tuple[int, contracts.ContractState],
        tenant: str,
        correlation_id: str,
    ) -> tuple[int, Contract]:
        """`steps` decided in turn on the contract as `read`, their events in one append on `conn`."""
        return await self.handle(
            steps[0], then=steps[1:], tenant=tenant, correlation_id=correlation_id, read=read, conn=conn
        )

    async def _previous_on_post(
        self, conn: Conn, command: contracts.DraftContract, tenant: str
    ) -> contracts.PreviousContract | None:
        if not RULES[command.contract_type].waiting_period:
            return None
        return await previous_on_post(
            conn, tenant, command.employer.employer_id, command.job_title, paris_day(command.starts_at)
        )

    async def _declaration(
        self,
        conn: Conn,
        state: contracts.ContractState,
        contract_id: UUID,
        identity: EmployeeIdentity,
        now: datetime,
        tenant: str,
        sign_at: datetime | None = None,
    ) -> tuple[tuple[contracts.ContractCommand, ...], Acknowledged | Refused | None]:
        """What a declaration records, under the contract's lock: URSSAF's answer to the DPAE sent (and the
        signature with it, if asked and it decides), or the flag of a late attempt (None: nothing sent)."""
        member_id = existing(state, contract_id).member_id
        if await find_known_member(conn, tenant, member_id) is None:
            raise UnknownEmployee(
                f"member {member_id} is not known to contracts (yet): a hire is declared for a member "
                "once members-svc has published their application"
            )
        if declarable(state, contract_id, now) == "late":
            return (contracts.FlagLateHireDeclaration(contract_id, now),), None
        outcome = await self.declarations.declare(payload_of(existing(state, contract_id), identity))
        record = _declaration_record(outcome, identity, now, state, contract_id)
        if sign_at is None or not isinstance(outcome, Acknowledged):
            return (record,), outcome
        sign = contracts.SignContract(contract_id, sign_at)
        return (record, *_signature_if_decided(sign, _after(state, (record,)))), outcome

    async def report_work(
        self,
        contract_id: UUID,
        periods: tuple[contracts.WorkPeriod, ...],
        *,
        report_id: UUID | None = None,
        now: datetime,
        tenant: str,
        correlation_id: str,
        expected_version: int | None = None,
    ) -> tuple[int, Contract]:
        """Check the person's work at every employer and record this report, under a lock on the person.

        `report_id` names the report (from the request's key): sent again, it is found and not recorded twice;
        without one the report is a new one."""
        _, state = await self.read(contract_id, tenant=tenant)
        member_id = existing(state, contract_id).member_id
        async with self.resources.pool.acquire() as conn, conn.transaction():
            await worked_time.lock_person(conn, tenant, member_id)
            others: tuple[contracts.WorkPeriod, ...] = ()
            if periods:
                others = await worked_time.worked_around(
                    conn,
                    tenant,
                    member_id,
                    min(p.starts_at for p in periods),
                    max(p.ends_at for p in periods),
                )
            handled = await command_loop.handle(
                self.resources.store,
                CONTRACT,
                CODEC,
                contracts.stream_id(contract_id),
                contracts.ReportWork(contract_id, report_id or new_event_id(), periods, others, now),
                tenant=tenant,
                metadata=_metadata(correlation_id),
                to_public=to_public,
                occurred_at=now,
                conn=conn,
                expected_version=expected_version,
            )
            for offset, event in enumerate(handled.events):
                if isinstance(event, WorkReported):
                    await worked_time.record(
                        conn, tenant, handled.version - len(handled.events) + 1 + offset, event
                    )
        self.resources.store.committed()
        return handled.version, _contract(handled.state)

    async def handle(
        self,
        command: contracts.ContractCommand,
        *,
        tenant: str,
        correlation_id: str,
        expected_version: int | None = None,
        new_stream: bool = False,
        read: tuple[int, contracts.ContractState] | None = None,
        then: tuple[contracts.ContractCommand, ...] = (),
        conn: Conn | None = None,
    ) -> tuple[int, Contract]:
        """`new_stream` or `read` (the stream as the caller has just read it): decided without a read; one
        retry on a conflict reads it, and gives the answer a read would have given. `then`: commands decided
        after `command`, each on the state the ones before made, all their events in one append. `conn`: a
        transaction of the caller's to append in (it tells the store's readers once committed)."""
        handled = await command_loop.handle(
            self.resources.store,
            CONTRACT_IN_TURN,
            CODEC,
            contracts.stream_id(command.contract_id),
            (command, *then),
            tenant=tenant,
            metadata=_metadata(correlation_id),
            to_public=to_public,
            occurred_at=command.now,
            expected_version=expected_version,
            new_stream=new_stream,
            read=read,
            retries_on_conflict=1 if new_stream or read is not None else 0,
            conn=conn,
        )
        return handled.version, _contract(handled.state)


async def _lock_declarations(conn: Conn, tenant: str, contract_id: UUID) -> None:
    """Serialises the DPAEs of one contract in the transaction (held while URSSAF answers)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"dpae:{tenant}:{contract_id}"
    )


def _declaration_record(
    outcome: Acknowledged | Refused,
    identity: EmployeeIdentity,
    now: datetime,
    state: contracts.ContractState,
    contract_id: UUID,
) -> contracts.RecordHireDeclaration:
    checked = check_identity(identity)
    return contracts.RecordHireDeclaration(
        contract_id,
        outcome,
        now,
        gender=gender_of(checked.nir, checked.sex),
        age_band=age_band(checked.birth_date, paris_day(existing(state, contract_id).starts_at)),
    )


def _after(state: contracts.ContractState, steps: tuple[contracts.ContractCommand, ...]) -> Contract:
    """The contract once `steps` are decided in turn on `state` (pure: what the append will record)."""
    return _contract(CONTRACT.fold_from(state, CONTRACT_IN_TURN.decide(steps, state)))


def _signature_if_decided(
    sign: contracts.SignContract, state: contracts.Contract
) -> tuple[contracts.ContractCommand, ...]:
    """The signature to append with the steps before it, if it decides on the contract they make: a DPAE is
    sent, so its record must never be refused for the signature's sake (that one is then tried on its own)."""
    try:
        contracts.decide(sign, state)
    except Exception:  # a refusal of the signature: raised where the caller maps it
        return ()
    return (sign,)


def _raise_unless_acknowledged(contract: Contract, outcome: Acknowledged | Refused | None) -> None:
    """After the commit: a late attempt (flagged, nothing sent) or URSSAF's refusal (recorded) raises."""
    if outcome is None:
        raise HireDeclarationLate(
            f"contract {contract.contract_id} started at {contract.starts_at.isoformat()}: a DPAE is due "
            "before the hiring hour (R1221-5); the late attempt is flagged on the contract"
        )
    if isinstance(outcome, Refused):
        raise HireDeclarationRefusedByUrssaf(f"URSSAF refused the DPAE: {outcome.reason}")


def _contract(state: contracts.ContractState) -> Contract:
    assert isinstance(state, Contract)  # every command leaves a drafted contract or is refused
    return state


def _metadata(correlation_id: str) -> dict[str, object]:
    return {"correlation_id": correlation_id or None, "traceparent": current_traceparent()}


def _with_previous(
    command: contracts.DraftContract, previous: contracts.PreviousContract | None
) -> contracts.DraftContract:
    return replace(command, previous_on_post=previous)


def build(resources: Resources) -> Contracts:
    settings = resources.settings
    fake = FakeUrssaf(
        mode=settings.urssaf_mode if isinstance(settings, Settings) else "acknowledge",
        transient_failures=settings.urssaf_transient_failures if isinstance(settings, Settings) else 0,
    )
    attempts = settings.urssaf_attempts if isinstance(settings, Settings) else 3
    return Contracts(
        resources=resources,
        declarations=RetryingDeclarations(fake, attempts=attempts),
        directory=ContractDirectory(CODEC),
        worked=WorkedTime(CODEC),
        statistics=ContractStatisticsProjection(CODEC),
        budget=budget.policy(settings.budget_policy, settings.budget_refuse_above_cents)
        if isinstance(settings, Settings)
        else AlwaysAccept(),
    )
