"""Issue or rotate an employer structure's inbound webhook secret, as members-svc allows it (ADR 013).

First members-svc says whether the structure is the caller's tenant's (else 404, whatever the body says) and
active (else 409). Then, in one gateway transaction, the source's secrets are rotated (the row lock
serialises concurrent rotations) and members-svc is asked to record the issue, which it refuses on the same
rules (a suspension in between). A refusal rolls the rotation back, so nothing is issued that members-svc did
not record, and the secret never leaves the gateway: members-svc records only that one was issued.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from gateway.inbound.sealing import Sealer
from gateway.inbound.sources import (
    ClientBoundElsewhere,
    ClientRequired,
    SourceError,
    issue_secret,
    previous_secret_expiry,
    source_of_employer_structure,
)
from gateway.upstream import Answer, Upstream
from services.http import Problem
from services.internal_token import Caller
from services.log_reader import Conn


@dataclass(frozen=True)
class IssuedSecret:
    source_id: str
    secret: str
    issued_at: datetime
    previous_expires_at: datetime | None


class MembersRefused(Exception):
    """members-svc did not record the issue: its answer is the caller's."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        super().__init__(f"members-svc answered {answer.status}")


async def issue_for_employer_structure(
    conn: Conn,
    sealer: Sealer,
    members: Upstream,
    caller: Caller,
    employer_structure_id: UUID,
    *,
    client_id: str | None,
    now: datetime,
) -> IssuedSecret:
    """The new secret; raises MembersRefused (rolled back) or a 400/409 Problem about the API client."""
    source_id = source_of_employer_structure(employer_structure_id)
    path = f"/internal/employer_structures/{employer_structure_id}"
    eligible = await members.call("GET", f"{path}/webhook_secret_eligibility", caller)
    if eligible.status != 204:
        raise MembersRefused(eligible)
    async with conn.transaction():
        try:
            secret = await issue_secret(
                conn, sealer, tenant=caller.tenant, source_id=source_id, now=now, client_id=client_id
            )
        except SourceError as error:
            raise _client_problem(error) from None
        answer = await members.call("POST", f"{path}/webhook_secret_issues", caller)
        if answer.status != 201:
            raise MembersRefused(answer)
        previous = await previous_secret_expiry(conn, source_id, now=now)
    return IssuedSecret(source_id, secret, now, previous)


def _client_problem(error: SourceError) -> Problem:
    if isinstance(error, ClientRequired):  # the structure's first secret: name the API client it pushes with
        return Problem(400, "client_id_required", detail=str(error), param="body.client_id")
    if isinstance(error, ClientBoundElsewhere):
        return Problem(409, "client_bound_elsewhere", detail=str(error), param="body.client_id")
    return Problem(400, "client_unknown", detail=str(error), param="body.client_id")
