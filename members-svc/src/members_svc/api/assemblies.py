"""General assemblies: convene one on its resolutions, cast a member's votes, read the weighted results.

Self-contained: the voter's college comes from the category the ballot names (the register is not read), and
the tenant's colleges and rules from `domain/assemblies/statutes.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from members_svc.bootstrap import Members
from members_svc.command_runner import CommandRunner
from members_svc.domain import assemblies
from members_svc.domain.assemblies import CastVote, CloseAssembly, ConveneAssembly
from members_svc.domain.assemblies.result import percent, weighted_result
from members_svc.domain.assemblies.rules import (
    AlreadyVoted,
    AssemblyAlreadyConvened,
    AssemblyClosedToVotes,
    AssemblyRefused,
    UnknownAssembly,
)
from members_svc.domain.assemblies.statutes import configuration_of
from members_svc.integration.assemblies_outbound import to_public
from members_svc.read_models.assembly_results import ASSEMBLY, CODEC, AssemblyRecord, find_assembly
from services import command_loop
from services.caller import CurrentCaller, require_scope
from services.http import Problem
from services.http.preconditions import etag
from services.request_keys import CurrentRequestKey, id_for
from services.runtime import Resources
from services.tenancy import tenant_transaction

# Printable text only: PostgreSQL refuses NUL, and a title has no use for control characters.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"

router = APIRouter(prefix="/internal")

Kind = Literal["ordinary", "extraordinary"]
ChoiceField = Literal["yes", "no", "abstain"]


class ResolutionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500, pattern=PRINTABLE)


class AssemblyConvocation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200, pattern=PRINTABLE)
    kind: Kind
    held_on: date
    members_convened: int = Field(ge=1, le=1_000_000)
    resolutions: list[ResolutionIn] = Field(min_length=1, max_length=100)


class VoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: int = Field(ge=1, le=100)
    choice: ChoiceField


class Ballot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: UUID
    category: int = Field(ge=1, le=9)
    votes: list[VoteIn] = Field(min_length=1, max_length=100)


class CollegeOut(BaseModel):
    code: str
    name: str
    weight: Decimal
    categories: list[int]


class CollegeResultOut(BaseModel):
    college: str
    weight: Decimal
    effective_weight: Decimal
    yes: int
    no: int
    abstain: int
    yes_share: Decimal | None


class ResolutionOut(BaseModel):
    number: int
    title: str
    yes: Decimal
    adopted: bool
    colleges: list[CollegeResultOut]


class RulesOut(BaseModel):
    redistribute_empty_colleges: bool
    abstentions_are_votes_cast: bool
    quorum: Decimal
    majority: str


class AssemblyOut(BaseModel):
    id: UUID
    object: Literal["assembly"] = "assembly"
    title: str
    kind: str
    held_on: date
    members_convened: int
    participants: int
    quorum_reached: bool
    colleges: list[CollegeOut]
    rules: RulesOut
    resolutions: list[ResolutionOut]
    convened_at: datetime


class Closure(BaseModel):
    model_config = ConfigDict(extra="forbid")

    closed_on: date


class OutcomeOut(BaseModel):
    number: int
    yes: Decimal
    quorum_reached: bool
    adopted: bool


class ClosureOut(BaseModel):
    object: Literal["assembly_closure"] = "assembly_closure"
    assembly_id: UUID
    closed_on: date
    participants: int
    resolutions: list[OutcomeOut]
    closed_at: datetime


class BallotOut(BaseModel):
    object: Literal["ballot"] = "ballot"
    assembly_id: UUID
    member_id: UUID
    category: int
    college: str
    votes: list[VoteIn]
    cast_at: datetime


@dataclass(frozen=True)
class Assemblies:
    resources: Resources

    async def handle(
        self, command: assemblies.AssemblyCommand, *, tenant: str, new_stream: bool = False
    ) -> command_loop.Handled[assemblies.AssemblyEvent, assemblies.AssemblyState]:
        runner = CommandRunner(
            self.resources.store,
            ASSEMBLY,
            CODEC,
            lambda c: assemblies.stream_id(c.assembly_id),
            to_public,
            retries_on_conflict=20,  # voters of one assembly append to one stream
        )
        try:
            return await runner.run(command, tenant=tenant, new_stream=new_stream)
        except AssemblyRefused as refused:
            raise _problem(refused) from refused

    async def convene(
        self, command: ConveneAssembly, *, tenant: str
    ) -> tuple[int, assemblies.AssemblyConvened]:
        """The stream's version and the convocation. The assembly's id comes from the request's key: a stream
        already there is this convocation, recorded by an earlier run of the same request whose answer was
        lost; it is answered as that run was, and nothing appended again (ADR 023)."""
        store = self.resources.store
        recorded = await store.read_stream(assemblies.stream_id(command.assembly_id), tenant=tenant)
        if recorded:
            convened = CODEC.decode(recorded[0])
            assert isinstance(convened, assemblies.AssemblyConvened)  # an assembly's stream opens with it
            return recorded[-1].stream_version, convened
        handled = await self.handle(command, tenant=tenant, new_stream=True)  # found empty just above
        (convened,) = handled.events
        assert isinstance(convened, assemblies.AssemblyConvened)
        return handled.version, convened


def _problem(refused: AssemblyRefused) -> Problem:
    detail = str(refused)
    if isinstance(refused, UnknownAssembly):
        return Problem(404, "assembly_not_found", detail=detail)
    if isinstance(refused, AlreadyVoted):
        return Problem(409, "already_voted", detail=detail)
    if isinstance(refused, AssemblyAlreadyConvened):
        return Problem(409, "assembly_already_convened", detail=detail)
    if isinstance(refused, AssemblyClosedToVotes):
        return Problem(409, "assembly_closed", detail=detail)
    code = "".join(f"_{c.lower()}" if c.isupper() else c for c in type(refused).__name__).lstrip("_")
    return Problem(400, code, detail=detail, param=refused.param)


async def _assemblies(request: Request) -> Assemblies:  # async: no worker-thread hop
    members: Members = request.app.state.service
    return Assemblies(members.resources)


AssembliesDep = Annotated[Assemblies, Depends(_assemblies)]


@router.post("/assemblies", status_code=201)
async def convene_assembly(
    body: AssemblyConvocation,
    caller: CurrentCaller,
    service: AssembliesDep,
    response: Response,
    request_key: CurrentRequestKey,
) -> AssemblyOut:
    require_scope(caller, "members:write")
    command = ConveneAssembly(
        assembly_id=id_for(request_key, "assembly"),  # a retried request names the same assembly
        title=body.title,
        kind=body.kind,
        held_on=body.held_on,
        members_convened=body.members_convened,
        resolutions=tuple(r.title for r in body.resolutions),
        configuration=configuration_of(caller.tenant),
        now=datetime.now(UTC),
    )
    version, convened = await service.convene(command, tenant=caller.tenant)
    response.headers["ETag"] = etag(version)
    response.headers["Location"] = f"/v1/assemblies/{command.assembly_id}"
    # The results are a projection that may lag: a new assembly has none yet, computed on no vote.
    empty = AssemblyRecord(
        assembly_id=convened.assembly_id,
        title=convened.title,
        kind=convened.kind,
        held_on=convened.held_on,
        members_convened=convened.members_convened,
        resolutions=convened.resolutions,
        colleges=convened.colleges,
        rules=convened.rules,
        convened_at=convened.convened_at,
        version=version,
        participants=0,
        results={},
    )
    return _assembly(empty)


@router.post("/assemblies/{assembly_id}/votes", status_code=201)
async def cast_votes(
    assembly_id: UUID, body: Ballot, caller: CurrentCaller, service: AssembliesDep
) -> BallotOut:
    require_scope(caller, "members:write")
    command = CastVote(
        assembly_id=assembly_id,
        member_id=body.member_id,
        category=body.category,
        votes=tuple((v.resolution, v.choice) for v in body.votes),
        now=datetime.now(UTC),
    )
    handled = await service.handle(command, tenant=caller.tenant)
    first = handled.events[0]
    assert isinstance(first, assemblies.VoteCast)
    return BallotOut(
        assembly_id=assembly_id,
        member_id=body.member_id,
        category=body.category,
        college=first.college,
        votes=body.votes,
        cast_at=command.now,
    )


@router.post("/assemblies/{assembly_id}/closure")
async def close_assembly(
    assembly_id: UUID, body: Closure, caller: CurrentCaller, service: AssembliesDep, response: Response
) -> ClosureOut:
    """The vote is over: each resolution's weighted result as it stands is recorded, and no ballot follows."""
    require_scope(caller, "members:write")
    command = CloseAssembly(assembly_id=assembly_id, closed_on=body.closed_on, now=datetime.now(UTC))
    handled = await service.handle(command, tenant=caller.tenant)
    (closed,) = handled.events
    assert isinstance(closed, assemblies.AssemblyClosed)
    response.headers["ETag"] = etag(handled.version)
    return ClosureOut(
        assembly_id=assembly_id,
        closed_on=closed.closed_on,
        participants=closed.participants,
        resolutions=[
            OutcomeOut(number=o.number, yes=o.yes_percent, quorum_reached=o.quorum_reached, adopted=o.adopted)
            for o in closed.outcomes
        ],
        closed_at=closed.closed_at,
    )


@router.get("/assemblies/{assembly_id}")
async def read_assembly(
    assembly_id: UUID, caller: CurrentCaller, service: AssembliesDep, response: Response
) -> AssemblyOut:
    require_scope(caller, "members:read")
    # Several queries (the assembly, the tallies, the participants): one snapshot, or a batch of votes
    # projected between them would give a result that no state of the votes ever had.
    async with tenant_transaction(service.resources.pool, caller.tenant, snapshot=True) as conn:
        found = await find_assembly(conn, caller.tenant, assembly_id)
    if found is None:
        raise Problem(404, "assembly_not_found", detail=f"no assembly {assembly_id}")
    response.headers["ETag"] = etag(found.version)
    return _assembly(found)


def _assembly(found: AssemblyRecord) -> AssemblyOut:
    resolutions = []
    quorum_reached = False
    for resolution in found.resolutions:
        result = found.results.get(resolution.number) or weighted_result(
            found.colleges,
            {},
            found.rules,
            participants=found.participants,
            members_convened=found.members_convened,
        )
        quorum_reached = result.quorum_reached
        resolutions.append(
            ResolutionOut(
                number=resolution.number,
                title=resolution.title,
                yes=percent(result.yes),
                adopted=result.adopted,
                colleges=[
                    CollegeResultOut(
                        college=r.college.code,
                        weight=r.college.weight,
                        effective_weight=percent(r.effective_weight),
                        yes=r.tally.yes,
                        no=r.tally.no,
                        abstain=r.tally.abstain,
                        yes_share=None if r.yes_share is None else percent(r.yes_share * 100),
                    )
                    for r in result.colleges
                ],
            )
        )
    return AssemblyOut(
        id=found.assembly_id,
        title=found.title,
        kind=found.kind,
        held_on=found.held_on,
        members_convened=found.members_convened,
        participants=found.participants,
        quorum_reached=quorum_reached,
        colleges=[
            CollegeOut(code=c.code, name=c.name, weight=c.weight, categories=list(c.categories))
            for c in found.colleges
        ],
        rules=RulesOut(**found.rules.model_dump()),
        resolutions=resolutions,
        convened_at=found.convened_at,
    )
