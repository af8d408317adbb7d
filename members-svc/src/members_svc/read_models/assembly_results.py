"""General assemblies and their weighted results as the API reads them.

The votes are kept one row per member and resolution; a read counts them per college and weighs them with the
domain's `weighted_result` (the colleges and rules are those the assembly was convened under).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from members_svc.domain import assemblies
from members_svc.domain.assemblies import (
    AssemblyClosed,
    AssemblyConvened,
    AssemblyEvent,
    College,
    Resolution,
    VoteCast,
    VotingRules,
)
from members_svc.domain.assemblies.result import ResolutionResult, Tally, weighted_result
from services.decider import Decider, EventCodec
from services.eventstore.types import RecordedEvent
from services.log_reader import Conn

CODEC: EventCodec[AssemblyEvent] = EventCodec(
    {"AssemblyConvened": AssemblyConvened, "VoteCast": VoteCast, "AssemblyClosed": AssemblyClosed}
)
ASSEMBLY = Decider(assemblies.decide, assemblies.evolve, assemblies.initial_state)


class AssemblyResults:
    """Projection of the assembly events into `assemblies` and `assembly_votes`."""

    name = "assembly_results"

    async def handle(self, conn: Conn, event: RecordedEvent) -> None:
        if not event.stream_id.startswith("assembly-"):
            return
        match CODEC.decode(event):
            case AssemblyConvened() as convened:
                await conn.execute(
                    """INSERT INTO assemblies (tenant, assembly_id, title, kind, held_on, members_convened,
                                               resolutions, colleges, rules, convened_at, version)
                       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9::jsonb, $10, $11)
                       ON CONFLICT (tenant, assembly_id) DO NOTHING""",
                    event.tenant,
                    convened.assembly_id,
                    convened.title,
                    convened.kind,
                    convened.held_on,
                    convened.members_convened,
                    json.dumps([r.model_dump(mode="json") for r in convened.resolutions]),
                    json.dumps([c.model_dump(mode="json") for c in convened.colleges]),
                    convened.rules.model_dump_json(),
                    convened.convened_at,
                    event.stream_version,
                )
            case VoteCast() as vote:
                await conn.execute(
                    """INSERT INTO assembly_votes
                         (tenant, assembly_id, member_id, resolution, category, college, choice, cast_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                       ON CONFLICT (tenant, assembly_id, resolution, member_id) DO NOTHING""",
                    event.tenant,
                    vote.assembly_id,
                    vote.member_id,
                    vote.resolution,
                    vote.category,
                    vote.college,
                    vote.choice,
                    vote.cast_at,
                )
                await conn.execute(
                    """UPDATE assemblies SET version = greatest(version, $3)
                       WHERE tenant = $1 AND assembly_id = $2""",
                    event.tenant,
                    vote.assembly_id,
                    event.stream_version,
                )

            case AssemblyClosed() as closed:
                # No vote follows a closure, so the results read from the votes stay the closing ones.
                await conn.execute(
                    """UPDATE assemblies SET version = greatest(version, $3)
                       WHERE tenant = $1 AND assembly_id = $2""",
                    event.tenant,
                    closed.assembly_id,
                    event.stream_version,
                )

    async def reset(self, conn: Conn) -> None:
        await conn.execute("TRUNCATE assemblies, assembly_votes")


@dataclass(frozen=True)
class AssemblyRecord:
    assembly_id: UUID
    title: str
    kind: str
    held_on: date
    members_convened: int
    resolutions: tuple[Resolution, ...]
    colleges: tuple[College, ...]
    rules: VotingRules
    convened_at: datetime
    version: int
    participants: int
    results: dict[int, ResolutionResult]


async def find_assembly(conn: Conn | Any, tenant: str, assembly_id: UUID) -> AssemblyRecord | None:
    row = await conn.fetchrow(
        """SELECT assembly_id, title, kind, held_on, members_convened, resolutions::text AS resolutions,
                  colleges::text AS colleges, rules::text AS rules, convened_at, version
           FROM assemblies WHERE tenant = $1 AND assembly_id = $2""",
        tenant,
        assembly_id,
    )
    if row is None:
        return None
    counts = await conn.fetch(
        """SELECT resolution, college,
                  count(*) FILTER (WHERE choice = 'yes') AS yes,
                  count(*) FILTER (WHERE choice = 'no') AS no,
                  count(*) FILTER (WHERE choice = 'abstain') AS abstain
           FROM assembly_votes WHERE tenant = $1 AND assembly_id = $2
           GROUP BY resolution, college""",
        tenant,
        assembly_id,
    )
    participants = await conn.fetchval(
        "SELECT count(DISTINCT member_id) FROM assembly_votes WHERE tenant = $1 AND assembly_id = $2",
        tenant,
        assembly_id,
    )
    resolutions = tuple(Resolution.model_validate(r) for r in json.loads(row["resolutions"]))
    colleges = tuple(College.model_validate(c) for c in json.loads(row["colleges"]))
    rules = VotingRules.model_validate_json(row["rules"])
    tallies: dict[int, dict[str, Tally]] = {r.number: {} for r in resolutions}
    for count in counts:
        tallies.setdefault(count["resolution"], {})[count["college"]] = Tally(
            count["yes"], count["no"], count["abstain"]
        )
    results = {
        number: weighted_result(
            colleges,
            tally,
            rules,
            participants=participants,
            members_convened=row["members_convened"],
        )
        for number, tally in tallies.items()
    }
    return AssemblyRecord(
        assembly_id=row["assembly_id"],
        title=row["title"],
        kind=row["kind"],
        held_on=row["held_on"],
        members_convened=row["members_convened"],
        resolutions=resolutions,
        colleges=colleges,
        rules=rules,
        convened_at=row["convened_at"],
        version=row["version"],
        participants=participants,
        results=results,
    )
