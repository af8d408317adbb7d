"""What the GDC month is made of, learnt from the bus: the associations (members.EmployerStructureRegistered)
and their payslips (payroll.PayslipIssued). Each consumer writes in the transaction that records the message
in its inbox, so a redelivery changes nothing."""

from __future__ import annotations

from schemas.generated.members.employer_structure_registered_v1 import EmployerStructureRegisteredV1
from schemas.generated.payroll.payslip_issued_v1 import PayslipIssuedV1
from services.envelope import Envelope
from services.log_reader import Conn

PAYROLL_TOPIC = "payroll.events"
MEMBERS_TOPIC = "members.events"


async def on_payroll_event(conn: Conn, envelope: Envelope) -> None:
    if envelope.event_type != "payroll.PayslipIssued" or envelope.schema_version != 1:
        return
    issued = PayslipIssuedV1.model_validate(envelope.data)
    await conn.execute(
        """INSERT INTO gdc_payslips (tenant, payslip_id, employer_id, period, corrects_payslip_id,
               gross_cents, employer_cost_cents, issued_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant, payslip_id) DO NOTHING""",
        envelope.tenant,
        issued.payslip_id,
        issued.employer_id,
        issued.period,
        issued.corrects_payslip_id,
        issued.gross_cents,
        issued.employer_cost_cents,
        issued.issued_at,
    )


async def on_members_event(conn: Conn, envelope: Envelope) -> None:
    if envelope.event_type != "members.EmployerStructureRegistered" or envelope.schema_version != 1:
        return
    registered = EmployerStructureRegisteredV1.model_validate(envelope.data)
    await conn.execute(
        """INSERT INTO gdc_associations (tenant, employer_id, siret, legal_name, kind, registered_at, address)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) ON CONFLICT (tenant, employer_id) DO NOTHING""",
        envelope.tenant,
        registered.employer_structure_id,
        registered.siret,
        registered.legal_name,
        registered.kind,
        registered.registered_at,
        registered.address.model_dump_json() if registered.address is not None else None,
    )
