"""The published catalogue of webhook event types, and which public event of the bus becomes which.

Payloads are thin: the object's kind and id, never personal data; the integrator reads the object through the
API. A type is declared before any service emits it, so integrators can subscribe ahead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from schemas.generated.billing.client_credit_applied_v1 import ClientCreditAppliedV1
from schemas.generated.billing.client_credit_kept_v1 import ClientCreditKeptV1
from schemas.generated.billing.client_credit_refunded_v1 import ClientCreditRefundedV1
from schemas.generated.billing.doubtful_receivable_provisioned_v1 import DoubtfulReceivableProvisionedV1
from schemas.generated.billing.dunning_notice_sent_v1 import DunningNoticeSentV1
from schemas.generated.billing.invoice_issued_v1 import InvoiceIssuedV1
from schemas.generated.billing.payment_received_v1 import PaymentReceivedV1
from schemas.generated.billing.receivable_written_off_v1 import ReceivableWrittenOffV1
from schemas.generated.contracts.contract_cancelled_v1 import ContractCancelledV1
from schemas.generated.contracts.contract_completed_v1 import ContractCompletedV1
from schemas.generated.contracts.contract_signed_v1 import ContractSignedV1
from schemas.generated.contracts.hire_accepted_v1 import HireAcceptedV1
from schemas.generated.contracts.hire_declared_v1 import HireDeclaredV1
from schemas.generated.contracts.hire_rejected_v1 import HireRejectedV1
from schemas.generated.members.assembly_closed_v1 import AssemblyClosedV1
from schemas.generated.members.assembly_convened_v1 import AssemblyConvenedV1
from schemas.generated.members.employer_structure_status_changed_v1 import (
    EmployerStructureStatusChangedV1,
)
from schemas.generated.members.member_admitted_v1 import MemberAdmittedV1
from schemas.generated.members.member_applied_v1 import MemberAppliedV1
from schemas.generated.members.share_payment_received_v1 import SharePaymentReceivedV1
from schemas.generated.members.shares_repaid_v1 import SharesRepaidV1
from schemas.generated.members.shares_subscribed_v1 import SharesSubscribedV1
from schemas.generated.payroll.payslip_issued_v1 import PayslipIssuedV1
from schemas.generated.payroll.salary_paid_v1 import SalaryPaidV1
from services.envelope import Envelope

# type -> what it means; documented in docs/webhooks.md (keep both in step).
CATALOGUE: Mapping[str, str] = {
    "member.applied": "A person or a legal entity applied to become a member.",
    "member.admitted": "A member was admitted by the cooperative.",
    "shares.subscribed": "A member subscribed shares (parts sociales).",
    "shares.paid": "An instalment was paid up on a member's shares.",
    "shares.repaid": "A leaver's shares were repaid.",
    "employer_structure.status_changed": "An employer structure was suspended, reinstated or closed.",
    "assembly.convened": "A general assembly was convened.",
    "assembly.closed": "A general assembly was closed; its resolutions' results stand.",
    "contract.hire_declared": "URSSAF acknowledged an employment contract's DPAE.",
    "contract.signed": "An employment contract was signed.",
    "contract.completed": "An employment contract ended; its work is final for payroll.",
    "contract.cancelled": "An employment contract was cancelled before any work.",
    "payslip.issued": "A payslip was issued.",
    "salary.paid": "A salary was paid (the bank accepted its transfer).",
    "invoice.issued": "A client invoice was issued.",
    "invoice.payment_received": "A payment was recorded on a client invoice.",
    "invoice.dunning_notice_sent": "A dunning notice was sent for an unpaid client invoice (step 1, 2 or 3).",
    "invoice.provisioned_as_doubtful": "An unpaid client invoice was provisioned as a doubtful receivable.",
    "invoice.written_off": "What was unpaid on a client invoice was written off.",
    "client_credit.kept": "A client's overpayment was kept as its credit.",
    "client_credit.applied": "Part of a client's credit paid another of its invoices.",
    "client_credit.refunded": "Part or all of a client's credit was refunded to it.",
    "hire.accepted": "A hire pushed by an association was accepted.",
    "hire.rejected": "A hire pushed by an association was rejected.",
    "endpoint.disabled": "One of the tenant's webhook endpoints was disabled.",
}


@dataclass(frozen=True)
class WebhookEvent:
    type: str
    object: str  # the kind of the object the event is about, as the API names it
    object_id: str


Translate = Callable[[Mapping[str, Any]], WebhookEvent]


def _member_applied(data: Mapping[str, Any]) -> WebhookEvent:
    event = MemberAppliedV1.model_validate(data)
    return WebhookEvent("member.applied", "member", str(event.member_id))


def _member_admitted(data: Mapping[str, Any]) -> WebhookEvent:
    event = MemberAdmittedV1.model_validate(data)
    return WebhookEvent("member.admitted", "member", str(event.member_id))


def _shares(
    webhook_type: str, model: type[SharesSubscribedV1 | SharePaymentReceivedV1 | SharesRepaidV1]
) -> Callable[[Mapping[str, Any]], WebhookEvent]:
    """A shares event names the member's shares (`GET /v1/members/{id}/shares`), by the member's id."""

    def translate(data: Mapping[str, Any]) -> WebhookEvent:
        return WebhookEvent(webhook_type, "member_shares", str(model.model_validate(data).member_id))

    return translate


def _employer_status(data: Mapping[str, Any]) -> WebhookEvent:
    event = EmployerStructureStatusChangedV1.model_validate(data)
    return WebhookEvent(
        "employer_structure.status_changed", "employer_structure", str(event.employer_structure_id)
    )


def _assembly_convened(data: Mapping[str, Any]) -> WebhookEvent:
    event = AssemblyConvenedV1.model_validate(data)
    return WebhookEvent("assembly.convened", "assembly", str(event.assembly_id))


def _contract(
    webhook_type: str,
    model: type[HireDeclaredV1 | ContractSignedV1 | ContractCompletedV1 | ContractCancelledV1],
) -> Callable[[Mapping[str, Any]], WebhookEvent]:
    def translate(data: Mapping[str, Any]) -> WebhookEvent:
        return WebhookEvent(webhook_type, "contract", str(model.model_validate(data).contract_id))

    return translate


def _assembly_closed(data: Mapping[str, Any]) -> WebhookEvent:
    event = AssemblyClosedV1.model_validate(data)
    return WebhookEvent("assembly.closed", "assembly", str(event.assembly_id))


def _invoice_issued(data: Mapping[str, Any]) -> WebhookEvent:
    event = InvoiceIssuedV1.model_validate(data)
    return WebhookEvent("invoice.issued", "invoice", str(event.invoice_id))


def _payment_received(data: Mapping[str, Any]) -> WebhookEvent:
    """Named by the invoice (`GET /v1/invoices/{id}/receivable` lists its payments)."""
    event = PaymentReceivedV1.model_validate(data)
    return WebhookEvent("invoice.payment_received", "invoice", str(event.invoice_id))


def _dunning_notice_sent(data: Mapping[str, Any]) -> WebhookEvent:
    event = DunningNoticeSentV1.model_validate(data)
    return WebhookEvent("invoice.dunning_notice_sent", "invoice", str(event.invoice_id))


def _receivable(webhook_type: str, model: type[BaseModel], kind: str, field: str) -> Translate:
    """A provision or a write-off names the invoice (`GET /v1/invoices/{id}/receivable` shows it); a
    client's credit has no id of its own: it names the SIREN (`GET /v1/client_credits?buyer_siren=`)."""

    def translate(data: Mapping[str, Any]) -> WebhookEvent:
        return WebhookEvent(webhook_type, kind, str(getattr(model.model_validate(data), field)))

    return translate


def _hire(
    webhook_type: str, model: type[HireAcceptedV1 | HireRejectedV1]
) -> Callable[[Mapping[str, Any]], WebhookEvent]:
    def translate(data: Mapping[str, Any]) -> WebhookEvent:
        return WebhookEvent(webhook_type, "hire", str(model.model_validate(data).hire_id))

    return translate


def _payslip_issued(data: Mapping[str, Any]) -> WebhookEvent:
    return WebhookEvent("payslip.issued", "payslip", str(PayslipIssuedV1.model_validate(data).payslip_id))


def _salary_paid(data: Mapping[str, Any]) -> WebhookEvent:
    """A salary payment is named by its payslip's id (`GET /v1/salary_payments?payslip_id=`)."""
    return WebhookEvent("salary.paid", "salary_payment", str(SalaryPaidV1.model_validate(data).payslip_id))


# (public event type, schema version) -> its webhook event; only what a service emits today.
_FROM_BUS: Mapping[tuple[str, int], Callable[[Mapping[str, Any]], WebhookEvent]] = {
    ("members.MemberApplied", 1): _member_applied,
    ("members.MemberAdmitted", 1): _member_admitted,
    ("members.SharesSubscribed", 1): _shares("shares.subscribed", SharesSubscribedV1),
    ("members.SharePaymentReceived", 1): _shares("shares.paid", SharePaymentReceivedV1),
    ("members.SharesRepaid", 1): _shares("shares.repaid", SharesRepaidV1),
    ("members.EmployerStructureStatusChanged", 1): _employer_status,
    ("members.AssemblyConvened", 1): _assembly_convened,
    ("members.AssemblyClosed", 1): _assembly_closed,
    ("billing.InvoiceIssued", 1): _invoice_issued,
    ("billing.PaymentReceived", 1): _payment_received,
    ("billing.DunningNoticeSent", 1): _dunning_notice_sent,
    ("billing.DoubtfulReceivableProvisioned", 1): _receivable(
        "invoice.provisioned_as_doubtful", DoubtfulReceivableProvisionedV1, "invoice", "invoice_id"
    ),
    ("billing.ReceivableWrittenOff", 1): _receivable(
        "invoice.written_off", ReceivableWrittenOffV1, "invoice", "invoice_id"
    ),
    ("billing.ClientCreditKept", 1): _receivable(
        "client_credit.kept", ClientCreditKeptV1, "client_credit", "buyer_siren"
    ),
    ("billing.ClientCreditApplied", 1): _receivable(
        "client_credit.applied", ClientCreditAppliedV1, "client_credit", "buyer_siren"
    ),
    ("billing.ClientCreditRefunded", 1): _receivable(
        "client_credit.refunded", ClientCreditRefundedV1, "client_credit", "buyer_siren"
    ),
    ("payroll.PayslipIssued", 1): _payslip_issued,
    ("payroll.SalaryPaid", 1): _salary_paid,
    ("contracts.HireDeclared", 1): _contract("contract.hire_declared", HireDeclaredV1),
    ("contracts.ContractSigned", 1): _contract("contract.signed", ContractSignedV1),
    ("contracts.ContractCompleted", 1): _contract("contract.completed", ContractCompletedV1),
    ("contracts.ContractCancelled", 1): _contract("contract.cancelled", ContractCancelledV1),
    ("contracts.HireAccepted", 1): _hire("hire.accepted", HireAcceptedV1),
    ("contracts.HireRejected", 1): _hire("hire.rejected", HireRejectedV1),
}

# The topics the fan-out consumes: the producers of the events above.
TOPICS: tuple[str, ...] = tuple(
    sorted({f"{event_type.split('.', 1)[0]}.events" for event_type, _ in _FROM_BUS})
)


def webhook_event(envelope: Envelope) -> WebhookEvent | None:
    """The webhook event a public event becomes, or None when the catalogue has nothing for it."""
    translate = _FROM_BUS.get((envelope.event_type, envelope.schema_version))
    return None if translate is None else translate(envelope.data)
