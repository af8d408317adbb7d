"""Private employer structure events -> public `members.*` events: the structure's public registration
(SIRET, legal name, the establishment's address: ADR 024), never its contacts."""

from __future__ import annotations

from collections.abc import Sequence

from members_svc.domain.employers import (
    EmployerStructureClosed,
    EmployerStructureEvent,
    EmployerStructureRegistered,
    EmployerStructureReinstated,
    EmployerStructureSuspended,
)
from schemas.generated.members.employer_structure_registered_v1 import (
    Address,
    EmployerStructureRegisteredV1,
)
from schemas.generated.members.employer_structure_status_changed_v1 import (
    EmployerStructureStatusChangedV1,
)
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
                    address=Address.model_validate(registered.address.model_dump()),
                )
                event_type = "members.EmployerStructureRegistered"
                public.append(one.public(event_type, data.model_dump(mode="json", exclude_none=True)))
            case (
                EmployerStructureSuspended()
                | EmployerStructureReinstated()
                | EmployerStructureClosed() as moved
            ):
                # The reason stays private: it may say things about the structure's people.
                changed = EmployerStructureStatusChangedV1(
                    employer_structure_id=moved.employer_structure_id,
                    status=_STATUS[type(moved)],
                    effective_on=moved.effective_on,
                )
                public.append(
                    one.public("members.EmployerStructureStatusChanged", changed.model_dump(mode="json"))
                )
    return public


_STATUS = {
    EmployerStructureSuspended: "suspended",
    EmployerStructureReinstated: "active",
    EmployerStructureClosed: "closed",
}
