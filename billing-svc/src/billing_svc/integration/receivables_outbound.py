"""Private receivable and client-credit events -> public `billing.*` events (ids, dates and amounts only).

A payment before the fund's coverage is `PaymentReceived` (the activity account is credited with its part
excluding VAT); after it, the activity had its advance from the fund, so the money is `GuaranteeFundRecovered`
and nothing else. An excess is in neither: it is `ClientCreditKept`, published from the client's credit.
The reasons given for a provision or a write-off are free text and stay private.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from billing_svc.domain.receivables import Receivable, ReceivableState
from billing_svc.domain.receivables.client_credit import (
    ClientCredit,
    ClientCreditApplied,
    ClientCreditEvent,
    ClientCreditKept,
    ClientCreditRefunded,
    balance_change,
)
from billing_svc.domain.receivables.events import (
    CreditNoteApplied,
    DunningNoticeSent,
    GuaranteeFundCovered,
    PaymentRecorded,
    ProvisionedAsDoubtful,
    ReceivableEvent,
    ReceivableOpened,
    WrittenOff,
)
from schemas.generated.billing.client_credit_applied_v1 import ClientCreditAppliedV1
from schemas.generated.billing.client_credit_kept_v1 import ClientCreditKeptV1
from schemas.generated.billing.client_credit_refunded_v1 import ClientCreditRefundedV1
from schemas.generated.billing.doubtful_receivable_provisioned_v1 import DoubtfulReceivableProvisionedV1
from schemas.generated.billing.dunning_notice_sent_v1 import DunningNoticeSentV1
from schemas.generated.billing.guarantee_fund_covered_v1 import GuaranteeFundCoveredV1
from schemas.generated.billing.guarantee_fund_recovered_v1 import GuaranteeFundRecoveredV1
from schemas.generated.billing.payment_received_v1 import PaymentReceivedV1
from schemas.generated.billing.receivable_written_off_v1 import ReceivableWrittenOffV1
from services.command_loop import Decided, ToPublic
from services.envelope import Envelope


def receivable_public(state: ReceivableState) -> ToPublic[ReceivableEvent]:
    """The translation for events decided on `state` (the receivable they were decided on)."""

    def to_public(decided: Sequence[Decided[ReceivableEvent]]) -> list[Envelope]:
        if not isinstance(state, Receivable):
            return []
        public: list[Envelope] = []
        for one in decided:
            translated = _receivable_data(one.event, state)
            if translated is not None:
                name, data = translated
                public.append(one.public(name, data.model_dump(mode="json")))
        return public

    return to_public


def _receivable_data(event: ReceivableEvent, state: Receivable) -> tuple[str, BaseModel] | None:
    if isinstance(event, ReceivableOpened | CreditNoteApplied):
        return None  # InvoiceIssued and CreditNoteIssued said it already
    opened = state.opened
    common = {
        "invoice_id": event.invoice_id,
        "activity_id": opened.activity_id,
        "recorded_at": event.recorded_at,
    }
    match event:
        case PaymentRecorded(allocated_cents=allocated) as paid if allocated > 0 and not paid.to_fund:
            return "billing.PaymentReceived", PaymentReceivedV1.model_validate(
                {
                    **common,
                    "payment_id": paid.payment_id,
                    "amount_cents": allocated,
                    "amount_excluding_vat_cents": paid.allocated_excluding_vat_cents,
                    "received_on": paid.received_on,
                }
            )
        case PaymentRecorded(allocated_cents=allocated) as paid if allocated > 0:
            return "billing.GuaranteeFundRecovered", GuaranteeFundRecoveredV1.model_validate(
                {
                    **common,
                    "amount_cents": allocated,
                    "amount_excluding_vat_cents": paid.allocated_excluding_vat_cents,
                    "recovered_on": paid.received_on,
                }
            )
        case DunningNoticeSent() as notice:
            return "billing.DunningNoticeSent", DunningNoticeSentV1.model_validate(
                {
                    **common,
                    "step": notice.step,
                    "sent_on": notice.sent_on,
                    "due_date": opened.due_date,
                    "days_late": notice.days_late,
                    "unpaid_cents": notice.unpaid_cents,
                    "interest_cents": notice.interest_cents,
                    "recovery_indemnity_cents": notice.recovery_indemnity_cents,
                }
            )
        case GuaranteeFundCovered() as covered:
            return "billing.GuaranteeFundCovered", GuaranteeFundCoveredV1.model_validate(
                {
                    **common,
                    "amount_excluding_vat_cents": covered.amount_excluding_vat_cents,
                    "covered_on": covered.covered_on,
                }
            )
        case ProvisionedAsDoubtful() as provisioned:
            return "billing.DoubtfulReceivableProvisioned", DoubtfulReceivableProvisionedV1.model_validate(
                {
                    **common,
                    "amount_excluding_vat_cents": provisioned.amount_excluding_vat_cents,
                    "provisioned_on": provisioned.provisioned_on,
                }
            )
        case WrittenOff() as written_off:
            return "billing.ReceivableWrittenOff", ReceivableWrittenOffV1.model_validate(
                {
                    **common,
                    "unpaid_cents": written_off.unpaid_cents,
                    "amount_excluding_vat_cents": written_off.amount_excluding_vat_cents,
                    "covered_by_guarantee_fund": state.covered is not None,
                    "written_off_on": written_off.written_off_on,
                }
            )
    return None  # a payment that only kept an excess: ClientCreditKept, from the client's credit


def client_credit_public(state: ClientCredit) -> ToPublic[ClientCreditEvent]:
    """The translation for events decided on the client's credit `state`, each with the balance after it."""

    def to_public(decided: Sequence[Decided[ClientCreditEvent]]) -> list[Envelope]:
        balance = state.balance_cents
        public: list[Envelope] = []
        for one in decided:
            balance += balance_change(one.event)
            name, data = _client_credit_data(one.event, balance)
            public.append(one.public(name, data.model_dump(mode="json")))
        return public

    return to_public


def _client_credit_data(event: ClientCreditEvent, balance_cents: int) -> tuple[str, BaseModel]:
    common = {
        "buyer_siren": event.buyer_siren,
        "amount_cents": event.amount_cents,
        "balance_cents": balance_cents,
        "recorded_at": event.recorded_at,
    }
    match event:
        case ClientCreditKept():
            return "billing.ClientCreditKept", ClientCreditKeptV1.model_validate(
                {
                    **common,
                    "invoice_id": event.invoice_id,
                    "source_id": event.source_id,
                    "kept_on": event.kept_on,
                }
            )
        case ClientCreditApplied():
            return "billing.ClientCreditApplied", ClientCreditAppliedV1.model_validate(
                {
                    **common,
                    "invoice_id": event.invoice_id,
                    "payment_id": event.payment_id,
                    "applied_on": event.applied_on,
                }
            )
        case ClientCreditRefunded():
            return "billing.ClientCreditRefunded", ClientCreditRefundedV1.model_validate(
                {**common, "refund_id": event.refund_id, "refunded_on": event.refunded_on}
            )
