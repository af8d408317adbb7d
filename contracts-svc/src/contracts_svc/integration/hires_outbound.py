"""A hire's outcome -> public `contracts.HireAccepted` / `contracts.HireRejected` (ids and codes only)."""

from __future__ import annotations

from collections.abc import Sequence

from contracts_svc.domain.hires import HireAccepted, HireEvent, HireRejected
from schemas.generated.contracts.hire_accepted_v1 import HireAcceptedV1
from schemas.generated.contracts.hire_rejected_v1 import HireRejectedV1, Reason
from services.command_loop import Decided
from services.envelope import Envelope


def to_public(decided: Sequence[Decided[HireEvent]]) -> list[Envelope]:
    public: list[Envelope] = []
    for one in decided:
        event = one.event
        if isinstance(event, HireAccepted):
            data = HireAcceptedV1(
                hire_id=event.hire_id,
                contract_id=event.contract_id,
                employer_id=event.employer_id,
                member_id=event.member_id,
                decided_at=event.decided_at,
            )
            public.append(one.public("contracts.HireAccepted", data.model_dump(mode="json")))
        elif isinstance(event, HireRejected):
            rejected = HireRejectedV1(
                hire_id=event.hire_id,
                employer_id=event.employer_id,
                reasons=[Reason(code=r.code, param=r.param) for r in event.reasons],
                decided_at=event.decided_at,
            )
            public.append(one.public("contracts.HireRejected", rejected.model_dump(mode="json")))
    return public
