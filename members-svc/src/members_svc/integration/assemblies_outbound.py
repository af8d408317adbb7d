"""Private assembly events -> public `members.*` events. Ballots stay private: how one voted is theirs."""

from __future__ import annotations

from collections.abc import Sequence

from members_svc.domain.assemblies import AssemblyClosed, AssemblyConvened, AssemblyEvent
from schemas.generated.members.assembly_closed_v1 import AssemblyClosedV1, Resolution
from schemas.generated.members.assembly_convened_v1 import AssemblyConvenedV1
from services.command_loop import Decided
from services.envelope import Envelope


def to_public(decided: Sequence[Decided[AssemblyEvent]]) -> list[Envelope]:
    public: list[Envelope] = []
    for one in decided:
        match one.event:
            case AssemblyConvened() as convened:
                data = AssemblyConvenedV1(
                    assembly_id=convened.assembly_id,
                    kind=convened.kind,
                    held_on=convened.held_on,
                    members_convened=convened.members_convened,
                    resolutions=len(convened.resolutions),
                )
                public.append(one.public("members.AssemblyConvened", data.model_dump(mode="json")))
            case AssemblyClosed() as closed:
                result = AssemblyClosedV1(
                    assembly_id=closed.assembly_id,
                    closed_on=closed.closed_on,
                    participants=closed.participants,
                    resolutions=[
                        Resolution(
                            number=o.number,
                            yes_percent=str(o.yes_percent),
                            quorum_reached=o.quorum_reached,
                            adopted=o.adopted,
                        )
                        for o in closed.outcomes
                    ],
                )
                public.append(one.public("members.AssemblyClosed", result.model_dump(mode="json")))
    return public
