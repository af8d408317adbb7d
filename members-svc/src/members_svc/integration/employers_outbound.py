"""Private employer structure events -> public `members.*` events (no contact or address crosses the bus)."""

from __future__ import annotations

from collections.abc import Sequence

from members_svc.domain.employers import EmployerStructureEvent, EmployerStructureRegistered
from schemas.generated.members.employer_structure_registered_v1 import EmployerStructureRegisteredV1
from services.command_loop import Decided
from services.envelope import Envelope


def to_public(decided: Sequence[Decided[EmployerStructureEvent]]) -> list[Envelope]:
    public: list[Envelope] = []
    for one in decided:
        match one.event:
            case EmployerStructureRegistered() as registered:
                data = EmployerStructureRegisteredV1(
                    employer_structure_id=registered.employer_structure_id,
                    siret=registered.siret,
                    legal_name=registered.legal_name,
                    kind=registered.kind,
                    registered_at=registered.registered_at,
                )
                event_type = "members.EmployerStructureRegistered"
                public.append(one.public(event_type, data.model_dump(mode="json", exclude_none=True)))
    return public
