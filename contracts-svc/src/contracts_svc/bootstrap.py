"""Composition root: contracts-svc's command handlers, the DPAE port's adapter, the read models."""

from __future__ import annotations

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
            previous = None
            if RULES[command.contract_type].waiting_period:
                previous = await previous_on_post(
                    conn,
                    tenant,
                    command.employer.employer_id,
                    command.job_title,
                    paris_day(command.starts_at),
                )
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
        sign_at: datetime | None = None,
    ) -> tuple[int, Contract]:
        """Send the DPAE through the port and keep URSSAF's answer; the identity is not stored. `sign_at`: an
        acknowledged DPAE is recorded with the signature at that time, in one append (a pushed hire), when the
        signature decides on the declared contract; else the declaration alone, and the caller signs as it
        would have.

        One declaration of a contract at a time: it is read, sent and recorded under a lock on the contract,
        so a declaration at the same moment (the same hire in two messages, a request sent twice) waits, then
        finds the contract declared and sends nothing; without it both would send a DPAE."""
        async with self.resources.pool.acquire() as conn, conn.transaction():
            await lock_declarations(conn, tenant, contract_id)
            version, state = await self.read(contract_id, tenant=tenant, conn=conn)
            member_id = existing(state, contract_id).member_id
            if await find_known_member(conn, tenant, member_id) is None:
                raise UnknownEmployee(
                    f"member {member_id} is not known to contracts (yet): a hire is declared for a member "
                    "once members-svc has published their application"
                )
            if expected_version is not None and version != expected_version:
                raise ConcurrencyConflict(contracts.stream_id(contract_id), expected_version, version)
            if declarable(state, contract_id, now) == "late":
                outcome = None
                version, contract = await self.handle(
                    contracts.FlagLateHireDeclaration(contract_id, now),
                    tenant=tenant,
                    correlation_id=correlation_id,
                    read=(version, state),
                    conn=conn,
                )
            else:
                outcome = await self.declarations.declare(payload_of(existing(state, contract_id), identity))
                record, signature = _declaration_records(outcome, identity, now, sign_at, state, contract_id)
                version, contract = await self.handle(
                    record,
                    then=signature,
                    tenant=tenant,
                    correlation_id=correlation_id,
                    read=(version, state),
                    conn=conn,
                )
        self.resources.store.committed()
        if outcome is None:
            raise HireDeclarationLate(
                f"contract {contract_id} started at {contract.starts_at.isoformat()}: a DPAE is due before "
                "the hiring hour (R1221-5); the late attempt is flagged on the contract"
            )
        if isinstance(outcome, Refused):
            raise HireDeclarationRefusedByUrssaf(f"URSSAF refused the DPAE: {outcome.reason}")
        return version, contract

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


async def lock_declarations(conn: Conn, tenant: str, contract_id: UUID) -> None:
    """Serialises the DPAEs of one contract in the transaction (held while URSSAF answers)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"dpae:{tenant}:{contract_id}"
    )


def _declaration_records(
    outcome: Acknowledged | Refused,
    identity: EmployeeIdentity,
    now: datetime,
    sign_at: datetime | None,
    state: contracts.ContractState,
    contract_id: UUID,
) -> tuple[contracts.RecordHireDeclaration, tuple[contracts.ContractCommand, ...]]:
    """URSSAF's answer to record, and the signature to record with it if asked (`sign_at`), acknowledged."""
    checked = check_identity(identity)
    record = contracts.RecordHireDeclaration(
        contract_id,
        outcome,
        now,
        gender=gender_of(checked.nir, checked.sex),
        age_band=age_band(checked.birth_date, paris_day(existing(state, contract_id).starts_at)),
    )
    if sign_at is None or not isinstance(outcome, Acknowledged):
        return record, ()
    return record, _signature_if_decided(record, contracts.SignContract(contract_id, sign_at), state)


def _signature_if_decided(
    record: contracts.RecordHireDeclaration, sign: contracts.SignContract, state: contracts.ContractState
) -> tuple[contracts.ContractCommand, ...]:
    """The signature to append with the declaration, if it decides on the declared contract: the DPAE is sent,
    so its record must never be refused for the signature's sake (that one is then tried on its own)."""
    declared = CONTRACT.fold_from(state, contracts.decide(record, state))
    try:
        contracts.decide(sign, declared)
    except Exception:  # a refusal of the signature: the caller's own attempt raises it where it is mapped
        return ()
    return (sign,)


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
