"""Private receivable events -> public `billing.*` events (ids, dates and amounts only).

A payment before the fund's coverage is `PaymentReceived` (the activity account is credited with its part
excluding VAT); after it, the activity had its advance from the fund, so the money is `GuaranteeFundRecovered`
and nothing else. An excess (the client's credit) is in neither.
"""

from __future__ import annotations

from collections.abc import Sequence

from billing_svc.domain.receivables import Receivable, ReceivableState
from billing_svc.domain.receivables.events import (
    DunningNoticeSent,
    GuaranteeFundCovered,
    PaymentRecorded,
    ReceivableEvent,
)
from schemas.generated.billing.dunning_notice_sent_v1 import DunningNoticeSentV1
from schemas.generated.billing.guarantee_fund_covered_v1 import GuaranteeFundCoveredV1
from schemas.generated.billing.guarantee_fund_recovered_v1 import GuaranteeFundRecoveredV1
from schemas.generated.billing.payment_received_v1 import PaymentReceivedV1
from services.command_loop import Decided, ToPublic
from services.envelope import Envelope


def receivable_public(state: ReceivableState) -> ToPublic[ReceivableEvent]:
    """The translation for events decided on `state` (the receivable they were decided on)."""

    def to_public(decided: Sequence[Decided[ReceivableEvent]]) -> list[Envelope]:
        if not isinstance(state, Receivable):
            return []
        opened = state.opened
        public: list[Envelope] = []
        for one in decided:
            match one.event:
                case PaymentRecorded(allocated_cents=allocated) as paid if allocated > 0 and not paid.to_fund:
                    data = PaymentReceivedV1(
                        payment_id=paid.payment_id,
                        invoice_id=paid.invoice_id,
                        activity_id=opened.activity_id,
                        amount_cents=allocated,
                        amount_excluding_vat_cents=paid.allocated_excluding_vat_cents,
                        received_on=paid.received_on,
                        recorded_at=paid.recorded_at,
                    )
                    public.append(one.public("billing.PaymentReceived", data.model_dump(mode="json")))
                case PaymentRecorded(allocated_cents=allocated) as paid if allocated > 0:
                    recovered = GuaranteeFundRecoveredV1(
                        invoice_id=paid.invoice_id,
                        activity_id=opened.activity_id,
                        amount_cents=allocated,
                        amount_excluding_vat_cents=paid.allocated_excluding_vat_cents,
                        recovered_on=paid.received_on,
                        recorded_at=paid.recorded_at,
                    )
                    public.append(
                        one.public("billing.GuaranteeFundRecovered", recovered.model_dump(mode="json"))
                    )
                case DunningNoticeSent() as notice:
                    sent = DunningNoticeSentV1(
                        invoice_id=notice.invoice_id,
                        activity_id=opened.activity_id,
                        step=notice.step,
                        sent_on=notice.sent_on,
                        due_date=opened.due_date,
                        days_late=notice.days_late,
                        unpaid_cents=notice.unpaid_cents,
                        interest_cents=notice.interest_cents,
                        recovery_indemnity_cents=notice.recovery_indemnity_cents,
                        recorded_at=notice.recorded_at,
                    )
                    public.append(one.public("billing.DunningNoticeSent", sent.model_dump(mode="json")))
                case GuaranteeFundCovered() as covered:
                    data_covered = GuaranteeFundCoveredV1(
                        invoice_id=covered.invoice_id,
                        activity_id=opened.activity_id,
                        amount_excluding_vat_cents=covered.amount_excluding_vat_cents,
                        covered_on=covered.covered_on,
                        recorded_at=covered.recorded_at,
                    )
                    public.append(
                        one.public("billing.GuaranteeFundCovered", data_covered.model_dump(mode="json"))
                    )
        return public

    return to_public
