"""/v1/dsn/{siret}/{month}: the monthly DSN of an establishment, in the DSN flat format (norm P26V01).

It names people (NIR, names, birth date): payroll-svc asks members-svc for them on each build (ADR 019), so
the route needs the personal data scope, and the answer is never cached.

Registered through `gateway.routes.payroll.router` (which includes this module's router).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from gateway.auth.dependencies import require
from gateway.routes.upstreams import ServiceUpstreams
from gateway.upstream import passed_through
from services.http import problem_responses
from services.internal_token import Caller

router = APIRouter(tags=["payroll"])
MONTH = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"


@router.get(
    "/v1/dsn/{siret}/{month}",
    response_class=Response,
    summary="The monthly DSN of an establishment",
    description="One establishment's DSN for a month, in the flat format (`S21.G00.30.001,'...'` lines): "
    "the pay paid in the month (a salary is declared in the month it is paid in), per person and contract, "
    "the URSSAF totals and S90. The establishment declares the contracts made under its SIRET; a SIRET "
    "under which no contract of yours was made is 404 `establishment_unknown`. Names people: needs "
    "`members:personal_data:read` as well as `payslips:read`. Codes not checked against the official "
    "cahier technique are marked UNVERIFIED in the code.",
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **problem_responses(400, 401, 403, 404),
    },
)
async def monthly_dsn(
    upstreams: ServiceUpstreams,
    caller: Annotated[Caller, require("members:personal_data:read")],
    siret: Annotated[str, Path(pattern=r"^[0-9]{14}$", description="The establishment's SIRET.")],
    month: Annotated[str, Path(pattern=MONTH, description="The month, YYYY-MM.")],
) -> Response:
    return passed_through(await upstreams.payroll.call("GET", f"/internal/dsn/{siret}/{month}", caller))
