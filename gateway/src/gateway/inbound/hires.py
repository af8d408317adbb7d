"""The `hire` kind: what an association pushes to `POST /v1/webhooks/hires` (one hire or up to 500).

Checked before the message is stored (a malformed batch is a 400 naming the field, nothing stored); the rules
of the contract itself are contracts-svc's, which accepts or rejects each hire later. A hire's id is derived
from the tenant, the association (the employer's id) and the association's own reference, so the same hire
pushed again, in a redelivery or in another message, has the same id and becomes at most one contract.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID, uuid5

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

MAX_HIRES = 500
# 500 hires of about 1 KB each, under the chassis's 1 MiB request limit.
MAX_BODY_BYTES = 960 * 1024
# Any fixed UUID: the namespace of hire ids (never change it: ids are derived from it).
HIRE_NAMESPACE = UUID("9d4c1e7a-2b3f-5c6d-8e9f-0a1b2c3d4e5f")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Employer(_Strict):
    id: UUID = Field(description="The association's employer structure id (GET /v1/employer_structures).")
    legal_name: str = Field(min_length=1, max_length=200)
    siret: str = Field(min_length=14, max_length=32)
    ape_code: str = Field(min_length=4, max_length=8)
    street: str = Field(min_length=1, max_length=200)
    postal_code: str = Field(min_length=1, max_length=16)
    city: str = Field(min_length=1, max_length=100)
    occupational_health_service: str = Field(min_length=1, max_length=200)


class Pay(_Strict):
    basis: Literal["hourly", "monthly"]
    amount_cents: int = Field(gt=0, le=100_000_000)


class Employee(_Strict):
    """For the DPAE only: sent to URSSAF, never stored in clear by the back-office's events."""

    last_name: str = Field(min_length=1, max_length=80)
    first_names: str = Field(min_length=1, max_length=80)
    sex: Literal["F", "M"]
    birth_date: date
    birth_place: str = Field(min_length=1, max_length=80)
    birth_department: str | None = Field(default=None, max_length=3)
    nir: str | None = Field(default=None, max_length=21)


class Hire(_Strict):
    reference: str = Field(min_length=1, max_length=64, description="The association's own id for this hire.")
    member_id: UUID = Field(description="The employee: a member of the cooperative.")
    employee: Employee
    contract_type: Literal["cddu", "cdd"]
    job_title: str = Field(min_length=1, max_length=200)
    sector: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=64)
    starts_at: AwareDatetime
    ends_on: date
    weekly_hours: Decimal = Field(default=Decimal(35), gt=0, le=48, max_digits=4, decimal_places=2)
    pay: Pay
    employee_status: Literal["cadre", "non_cadre"] = "non_cadre"


class HireBatch(_Strict):
    employer: Employer
    hires: list[Hire] = Field(min_length=1, max_length=MAX_HIRES)


class HirePayloadInvalid(ValueError):
    """The push is not a hire or a batch of hires; `param` names the field (kinds.py makes it a 400)."""

    def __init__(self, detail: str, param: str | None = None) -> None:
        self.detail = detail
        self.param = param
        super().__init__(detail)


def read_batch(payload: Any) -> HireBatch:
    """One hire (`{"employer": ..., "hire": {...}}`) or a batch (`{"employer": ..., "hires": [...]}`)."""
    if isinstance(payload, dict) and "hire" in payload and "hires" not in payload:
        payload = {**payload, "hires": [payload["hire"]]}
        del payload["hire"]
    try:
        return HireBatch.model_validate(payload)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise HirePayloadInvalid(f"{where}: {first['msg']}", param=f"body.{where}") from None


def check_hires(payload: Any) -> None:
    batch = read_batch(payload)
    references = [hire.reference for hire in batch.hires]
    if len(set(references)) != len(references):
        raise HirePayloadInvalid("each hire of a batch has its own reference", param="body.hires")


def hire_id(tenant: str, employer_id: UUID, reference: str) -> UUID:
    return uuid5(HIRE_NAMESPACE, f"{tenant}/{employer_id}/{reference}")


def contract_body(batch: HireBatch, hire: Hire) -> dict[str, Any]:
    """What contracts-svc's `PUT /internal/hires/{id}` takes: the contract, the association as employer."""
    working_time = "full_time" if hire.weekly_hours == 35 else "part_time"
    return {
        "contract": {
            "member_id": str(hire.member_id),
            "employer": {"kind": "association", **batch.employer.model_dump(mode="json")},
            "contract_type": hire.contract_type,
            "job_title": hire.job_title,
            "sector": hire.sector,
            "reason": hire.reason,
            "starts_at": hire.starts_at.isoformat(),
            "ends_on": hire.ends_on.isoformat(),
            "working_time": working_time,
            "weekly_hours": str(hire.weekly_hours),
            "pay": hire.pay.model_dump(mode="json"),
            "employee_status": hire.employee_status,
        },
        "employee": hire.employee.model_dump(mode="json"),
    }
