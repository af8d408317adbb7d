"""/v1/assemblies: convene a general assembly, cast a member's votes, read the weighted results."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.auth.dependencies import require
from gateway.routes.upstreams import ServiceUpstreams
from gateway.upstream import passed_through
from services.http import problem_responses
from services.internal_token import Caller

# Printable text only: PostgreSQL refuses NUL, and a title has no use for control characters.
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"

router = APIRouter(prefix="/v1/assemblies", tags=["assemblies"])

Kind = Literal["ordinary", "extraordinary"]
Choice = Literal["yes", "no", "abstain"]


class ResolutionDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(
        min_length=1, max_length=500, pattern=PRINTABLE, description="What the assembly is asked to decide."
    )


class AssemblyConvocation(BaseModel):
    """A general assembly convened on its resolutions, numbered from 1 in the order given."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Assemblée générale ordinaire 2027",
                    "kind": "ordinary",
                    "held_on": "2027-06-15",
                    "members_convened": 3658,
                    "resolutions": [{"title": "Approval of the 2026 accounts"}],
                }
            ]
        },
    )

    title: str = Field(min_length=1, max_length=200, pattern=PRINTABLE)
    kind: Kind = Field(description="ordinary or extraordinary: sets the quorum and majority of the statutes.")
    held_on: date = Field(description="The day the assembly is held.")
    members_convened: int = Field(
        ge=1, le=1_000_000, description="The members with a vote convened: the base of the quorum."
    )
    resolutions: list[ResolutionDraft] = Field(min_length=1, max_length=100)


class Vote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: int = Field(ge=1, le=100, description="The resolution's number.")
    choice: Choice


class Ballot(BaseModel):
    """A member's votes on some of the resolutions: one vote per member and resolution, never changed."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "member_id": "0192f0a0-0000-7000-8000-000000000001",
                    "category": 1,
                    "votes": [{"resolution": 1, "choice": "yes"}],
                }
            ]
        },
    )

    member_id: UUID
    category: int = Field(
        ge=1, le=9, description="The member's category (1-9): it places the vote in its college."
    )
    votes: list[Vote] = Field(min_length=1, max_length=100)


class College(BaseModel):
    code: str
    name: str
    weight: Decimal = Field(description="Percent of the votes (10 to 50, loi 47-1775 art. 19 octies).")
    categories: list[int]


class CollegeResult(BaseModel):
    college: str
    weight: Decimal
    effective_weight: Decimal = Field(
        description="Percent, after the weight of colleges with no vote cast is shared (per the rules)."
    )
    yes: int
    no: int
    abstain: int
    yes_share: Decimal | None = Field(
        description="Percent of yes among the college's votes cast; null: none."
    )


class ResolutionResult(BaseModel):
    number: int
    title: str
    yes: Decimal = Field(
        description="Σ effective weight × yes share: percent of the weighted votes, to 0.01."
    )
    adopted: bool
    colleges: list[CollegeResult]


class VotingRules(BaseModel):
    redistribute_empty_colleges: bool
    abstentions_are_votes_cast: bool
    quorum: Decimal = Field(description="Percent of the members convened who must take part.")
    majority: Literal["more_than_half", "two_thirds"]


class Assembly(BaseModel):
    id: UUID
    object: Literal["assembly"] = "assembly"
    title: str
    kind: Kind
    held_on: date
    members_convened: int
    participants: int = Field(description="Members who cast at least one vote.")
    quorum_reached: bool
    colleges: list[College]
    rules: VotingRules
    resolutions: list[ResolutionResult]
    convened_at: datetime


class CastBallot(BaseModel):
    object: Literal["ballot"] = "ballot"
    assembly_id: UUID
    member_id: UUID
    category: int
    college: str
    votes: list[Vote]
    cast_at: datetime


@router.post(
    "",
    status_code=201,
    response_model=Assembly,
    summary="Convene a general assembly",
    description="Under the tenant's colleges and voting rules (its statutes), recorded with the assembly.",
    responses=problem_responses(400, 401, 403, 409, 413),
)
async def convene_assembly(
    body: AssemblyConvocation,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:write")],
) -> Response:
    answer = await upstreams.members.call(
        "POST", "/internal/assemblies", caller, json=body.model_dump(mode="json")
    )
    return passed_through(answer)


@router.post(
    "/{assembly_id}/votes",
    status_code=201,
    response_model=CastBallot,
    summary="Cast a member's votes",
    description="A member votes once per resolution (409 if again), in the college of the category given.",
    responses=problem_responses(400, 401, 403, 404, 409, 413),
)
async def cast_votes(
    assembly_id: UUID,
    body: Ballot,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:write")],
) -> Response:
    answer = await upstreams.members.call(
        "POST", f"/internal/assemblies/{assembly_id}/votes", caller, json=body.model_dump(mode="json")
    )
    return passed_through(answer)


class Closure(BaseModel):
    """Close the vote: each resolution's weighted result as it stands is recorded; no ballot follows."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"closed_on": "2027-06-15"}]})

    closed_on: date = Field(description="The day the vote closed.")


class Outcome(BaseModel):
    number: int
    yes: Decimal = Field(description="The weighted yes, in percent of the weighted votes cast.")
    quorum_reached: bool
    adopted: bool


class AssemblyClosure(BaseModel):
    object: Literal["assembly_closure"] = "assembly_closure"
    assembly_id: UUID
    closed_on: date
    participants: int = Field(description="Members who voted on at least one resolution.")
    resolutions: list[Outcome]
    closed_at: datetime


@router.post(
    "/{assembly_id}/closure",
    response_model=AssemblyClosure,
    summary="Close an assembly's vote",
    description="Records each resolution's result (adopted or not) as it stands; later ballots and a second "
    "closure are refused (409 `assembly_closed`). Published as `members.AssemblyClosed`.",
    responses=problem_responses(400, 401, 403, 404, 409, 413),
)
async def close_assembly(
    assembly_id: UUID,
    body: Closure,
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:write")],
) -> Response:
    answer = await upstreams.members.call(
        "POST", f"/internal/assemblies/{assembly_id}/closure", caller, json=body.model_dump(mode="json")
    )
    return passed_through(answer)


@router.get(
    "/{assembly_id}",
    response_model=Assembly,
    summary="Read an assembly and its weighted results",
    responses=problem_responses(400, 401, 403, 404),
)
async def read_assembly(
    assembly_id: UUID, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("members:read")]
) -> Response:
    answer = await upstreams.members.call("GET", f"/internal/assemblies/{assembly_id}", caller)
    return passed_through(answer)
