"""Record that the gateway issued an employer structure a new inbound webhook secret (ADR 005, 013).

The gateway asks before it generates the secret: the structure must exist in the caller's tenant and be
active. The event says when, never what: the secret stays in the gateway's store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from members_svc.domain.employers.events import WebhookSecretIssued
from members_svc.domain.employers.rules import EmployerStructureNotActive, UnknownEmployerStructure
from members_svc.domain.employers.state import EmployerStructure, EmployerStructureState


@dataclass(frozen=True)
class RecordWebhookSecretIssued:
    employer_structure_id: UUID
    now: datetime


def decide_issue_secret(
    command: RecordWebhookSecretIssued, state: EmployerStructureState
) -> list[WebhookSecretIssued]:
    if not isinstance(state, EmployerStructure):
        raise UnknownEmployerStructure(f"no employer structure {command.employer_structure_id}")
    if state.status != "active":
        raise EmployerStructureNotActive(
            f"employer structure {command.employer_structure_id} is {state.status}: no webhook secret for it"
        )
    return [WebhookSecretIssued(employer_structure_id=command.employer_structure_id, issued_at=command.now)]
