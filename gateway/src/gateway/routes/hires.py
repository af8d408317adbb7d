"""POST /v1/webhooks/hires: an association pushes one hire or a batch of up to 500 (signed, Standard
Webhooks, ADR 005); GET /v1/hires/{id}: what became of one.

The push is stored before the 202, which gives a hire id per item; each hire then becomes a contract with the
association as employer (drafted, declared to URSSAF, signed) or a rejection with its reasons, through the bus
(gateway/inbound/hire_processing.py), and the outbound webhook `hire.accepted` or `hire.rejected` follows. The
same hire pushed again (a redelivery, or the same batch in a new message) has the same id and creates nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from gateway.auth.dependencies import authenticated_caller, require
from gateway.inbound.hires import hire_id as hire_id_of
from gateway.inbound.hires import read_batch
from gateway.routes.inbound_webhooks import _now, accept
from gateway.routes.upstreams import ServiceUpstreams
from gateway.upstream import passed_through
from services.http import problem_responses
from services.internal_token import Caller

router = APIRouter(tags=["hires"])

EXAMPLE_HIRE: dict[str, Any] = {
    "reference": "AS-2027-0001",
    "member_id": "0197a3c2-5b1e-7c3d-9a4f-2e6b8d1c0f57",
    "employee": {
        "last_name": "Garnier",
        "first_names": "Léa",
        "sex": "F",
        "birth_date": "1995-10-03",
        "birth_place": "Paris",
        "nir": "295107512611162",
    },
    "contract_type": "cddu",
    "job_title": "Régisseur son",
    "sector": "spectacle",
    "starts_at": "2027-03-01T08:00:00Z",
    "ends_on": "2027-03-05",
    "pay": {"basis": "hourly", "amount_cents": 1500},
}
_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "One hire (`hire`) or a batch (`hires`, 1 to 500), with the association as employer, "
        "exactly as signed. The employee's identity is for the DPAE only.",
        "content": {
            "application/json": {
                # The fields are documented in the example; the gateway checks them (400 naming the field).
                "schema": {"type": "object", "additionalProperties": True},
                "examples": {
                    "batch": {
                        "value": {
                            "employer": {
                                "id": "5b0c3f9e-2d7a-5e41-9c8b-1f6a2e4d7c30",
                                "legal_name": "Les Ateliers du Spectacle",
                                "siret": "73282932000074",
                                "ape_code": "90.01Z",
                                "street": "12 rue des Arts",
                                "postal_code": "75011",
                                "city": "Paris",
                                "occupational_health_service": "CMB Paris",
                            },
                            "hires": [EXAMPLE_HIRE],
                        }
                    }
                },
            }
        },
    }
}


class AcceptedHire(BaseModel):
    id: UUID = Field(description="The hire's id: GET /v1/hires/{id}; the same whenever this hire is pushed.")
    reference: str = Field(description="The association's reference, as pushed.")


class HiresAccepted(BaseModel):
    id: str = Field(description="The gateway's id of the stored message; the same for every redelivery.")
    status: str = Field(description="Always `accepted`: the hires are stored and will be decided.")
    hires: list[AcceptedHire]


class Hire(BaseModel):
    id: UUID
    object: Literal["hire"] = "hire"
    status: Literal["accepted", "rejected"]
    contract_id: UUID | None = Field(description="The contract the hire became, once accepted.")
    employer_id: UUID
    reasons: list[dict[str, str | None]] = Field(description="Why it was rejected: `code` and `param`.")
    decided_at: datetime


@router.post(
    "/v1/webhooks/hires",
    status_code=202,
    response_model=HiresAccepted,
    summary="Push hires (signed inbound webhook)",
    description="Standard Webhooks signature with your `whsec_` secret and your API credential (scope "
    "`webhooks:send`), as for every inbound webhook. Answered 202 once stored, with a hire id per item; each "
    "hire is then accepted (a contract, declared and signed) or rejected, see GET /v1/hires/{id} and the "
    "`hire.accepted` / `hire.rejected` webhooks. A redelivery with the same `webhook-id` gets the first "
    "answer.",
    responses=problem_responses(400, 401, 403, 413, 422),
    openapi_extra=_BODY_DOC,
)
async def push_hires(
    request: Request,
    caller: Annotated[Caller, Depends(authenticated_caller)],
    now: Annotated[datetime, Depends(_now)],
    webhook_id: Annotated[str | None, Header(alias="webhook-id", description="Unique per message.")] = None,
    webhook_timestamp: Annotated[
        str | None, Header(alias="webhook-timestamp", description="Unix time in seconds.")
    ] = None,
    webhook_signature: Annotated[
        str | None, Header(alias="webhook-signature", description="`v1,<base64>`, space-separated.")
    ] = None,
) -> Response:
    answer = await accept(request, "hire", caller, now)
    if answer.status_code != 202:
        return answer
    batch = read_batch(orjson.loads(await request.body()))  # verified and checked by accept()
    body = orjson.loads(bytes(answer.body))
    body["hires"] = [
        {"id": str(hire_id_of(caller.tenant, batch.employer.id, hire.reference)), "reference": hire.reference}
        for hire in batch.hires
    ]
    return JSONResponse(
        body, status_code=202, headers={k: v for k, v in answer.headers.items() if k == "idempotent-replayed"}
    )


@router.get(
    "/v1/hires/{hire_id}",
    response_model=Hire,
    summary="Read what became of a hire",
    description="404 until the hire is decided (usually within seconds of the push).",
    responses=problem_responses(400, 401, 403, 404),
)
async def read_hire(
    hire_id: UUID, upstreams: ServiceUpstreams, caller: Annotated[Caller, require("webhooks:send")]
) -> Response:
    return passed_through(await upstreams.contracts.call("GET", f"/internal/hires/{hire_id}", caller))
