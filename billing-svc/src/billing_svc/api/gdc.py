"""The GDC monthly run, SEPA mandates and direct debit files (internal API)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from billing_svc.api.invoices import AddressIn
from billing_svc.domain.gdc import NothingToInvoice
from billing_svc.domain.gdc.mandates import (
    Debtor,
    InvalidMandateField,
    Mandate,
    MandateAlreadyRevoked,
    MandateAlreadySigned,
    UnknownMandate,
)
from billing_svc.domain.invoicing.events import Address
from billing_svc.gdc import Gdc, UnknownAssociation, UnknownDirectDebit, WithdrawnDirectDebit
from billing_svc.reference.tenants import GdcNotOffered
from billing_svc.sepa.direct_debit import InvalidCollectionFile
from services.caller import CurrentCaller, require_scope
from services.http import Problem, ProblemMapper, current_request_id
from services.request_keys import CurrentRequestKey, id_for

router = APIRouter(prefix="/internal")


async def _gdc(request: Request) -> Gdc:
    gdc: Gdc = request.app.state.service.gdc
    return gdc


GdcDep = Annotated[Gdc, Depends(_gdc)]


class MonthlyRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_on: date  # the 1st of a month (Europe/Paris): the previous month is invoiced


class GdcInvoiceOut(BaseModel):
    employer_id: UUID
    invoice_id: UUID
    number: str
    total_cents: int
    direct_debit_id: UUID | None
    sequence_type: Literal["FRST", "RCUR"] | None


class HeldOut(BaseModel):
    employer_id: UUID
    reason: str


class MonthlyRunOut(BaseModel):
    month: str
    invoices: list[GdcInvoiceOut]
    held: list[HeldOut]


@router.post("/gdc/monthly-invoices")
async def run_month(body: MonthlyRunIn, caller: CurrentCaller, gdc: GdcDep) -> MonthlyRunOut:
    require_scope(caller, "invoices:write")
    if body.run_on.day != 1:
        raise Problem(
            400, "invalid_monthly_run", detail="the monthly run is on the 1st of a month", param="body.run_on"
        )
    run = await gdc.run_month(body.run_on, tenant=caller.tenant, correlation_id=current_request_id() or "")
    return MonthlyRunOut(
        month=run.month,
        invoices=[
            GdcInvoiceOut(
                employer_id=o.employer_id,
                invoice_id=o.invoice_id,
                number=o.number,
                total_cents=o.total_cents,
                direct_debit_id=o.direct_debit_id,
                sequence_type=o.sequence_type,
            )
            for o in run.invoices
        ],
        held=[HeldOut(employer_id=h.employer_id, reason=h.reason) for h in run.held],
    )


class DebtorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=70)  # Max70Text (pain.008 Dbtr/Nm)
    address: AddressIn
    iban: str = Field(min_length=15, max_length=42)
    bic: str | None = Field(default=None, min_length=8, max_length=11)


class MandateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str = Field(min_length=1, max_length=35)
    signed_on: date
    debtor: DebtorIn


class MandateOut(BaseModel):
    id: UUID
    employer_id: UUID
    reference: str
    signed_on: date
    debtor_name: str
    iban_last4: str
    scheme: Literal["CORE"] = "CORE"
    revoked_on: date | None = None

    @classmethod
    def of(cls, mandate: Mandate) -> MandateOut:
        signed = mandate.signed
        return cls(
            id=signed.mandate_id,
            employer_id=signed.employer_id,
            reference=signed.reference,
            signed_on=signed.signed_on,
            debtor_name=signed.debtor.name,
            iban_last4=signed.debtor.iban[-4:],
            revoked_on=mandate.revoked.revoked_on if mandate.revoked else None,
        )


@router.post("/employers/{employer_id}/sepa-mandates", status_code=201)
async def sign_mandate(
    employer_id: UUID,
    body: MandateIn,
    caller: CurrentCaller,
    gdc: GdcDep,
    response: Response,
    request_key: CurrentRequestKey,
) -> MandateOut:
    """The mandate's id is its reference's; the request's key tells its retry from a second mandate under
    the same reference (409), so a retry answers the mandate signed (ADR 023)."""
    require_scope(caller, "invoices:write")
    debtor = body.debtor
    mandate = await gdc.sign_mandate(
        employer_id,
        reference=body.reference,
        signed_on=body.signed_on,
        debtor=Debtor(
            name=debtor.name,
            address=Address(**debtor.address.model_dump()),
            iban=debtor.iban,
            bic=debtor.bic,
        ),
        tenant=caller.tenant,
        correlation_id=current_request_id() or "",
        signing_id=id_for(request_key, "sepa-mandate-signing"),
    )
    response.headers["Location"] = f"/v1/employers/{employer_id}/sepa-mandates/{mandate.signed.mandate_id}"
    return MandateOut.of(mandate)


class RevocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    revoked_on: date  # Europe/Paris: not in the future, not before the mandate was signed


@router.post("/employers/{employer_id}/sepa-mandates/{mandate_id}/revocation")
async def revoke_mandate(
    employer_id: UUID, mandate_id: UUID, body: RevocationIn, caller: CurrentCaller, gdc: GdcDep
) -> MandateOut:
    require_scope(caller, "invoices:write")
    revoked = await gdc.revoke_mandate(
        employer_id,
        mandate_id,
        revoked_on=body.revoked_on,
        tenant=caller.tenant,
        correlation_id=current_request_id() or "",
    )
    return MandateOut.of(revoked)


@router.get(
    "/gdc/direct-debits/{direct_debit_id}.xml",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
async def direct_debit_xml(direct_debit_id: UUID, caller: CurrentCaller, gdc: GdcDep) -> Response:
    require_scope(caller, "invoices:read")
    xml = await gdc.direct_debit_xml(direct_debit_id, tenant=caller.tenant)
    return Response(xml, media_type="application/xml")


def _invalid_mandate(error: Exception) -> Problem:
    assert isinstance(error, InvalidMandateField)
    return Problem(400, "invalid_mandate", detail=str(error), param=f"body.{error.field}")


PROBLEM_MAPPERS: dict[type[Exception], ProblemMapper] = {
    InvalidMandateField: _invalid_mandate,
    MandateAlreadySigned: lambda error: Problem(
        409, "mandate_reference_taken", detail=str(error), param="body.reference"
    ),
    UnknownMandate: lambda error: Problem(404, "mandate_not_found", detail=str(error)),
    MandateAlreadyRevoked: lambda error: Problem(409, "mandate_already_revoked", detail=str(error)),
    UnknownAssociation: lambda error: Problem(404, "employer_structure_not_found", detail=str(error)),
    UnknownDirectDebit: lambda error: Problem(404, "direct_debit_not_found", detail=str(error)),
    # Withdrawn with its mandate's revocation (before its collection date): the file must not be submitted.
    WithdrawnDirectDebit: lambda error: Problem(410, "direct_debit_withdrawn", detail=str(error)),
    GdcNotOffered: lambda error: Problem(422, "gdc_not_offered", detail=str(error)),
    NothingToInvoice: lambda error: Problem(422, "gdc_nothing_to_invoice", detail=str(error)),
    InvalidCollectionFile: lambda error: Problem(500, "direct_debit_file_invalid", detail=str(error)),
}
