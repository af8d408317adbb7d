"""The client's credit, given events / when a command / then events: kept from an overpayment, applied to
another invoice, refunded to the client (never beyond what there is); and what billing publishes of it, of a
provision and of a write-off."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID

from billing_svc.domain.receivables import Receivable
from billing_svc.domain.receivables.client_credit import (
    ApplyCredit,
    ClientCredit,
    ClientCreditApplied,
    ClientCreditKept,
    ClientCreditRefunded,
    KeepCredit,
    RefundCredit,
    statement,
)
from billing_svc.domain.receivables.events import (
    GuaranteeFundCovered,
    ProvisionedAsDoubtful,
    ReceivableOpened,
    WrittenOff,
)
from billing_svc.domain.receivables.rules import InvalidReceivableField, NotEnoughClientCredit
from billing_svc.integration.receivables_outbound import client_credit_public, receivable_public
from billing_svc.receivables import CLIENT_CREDIT, CLIENT_CREDIT_CODEC
from services.command_loop import Decided
from services.testkit.spec import Spec

E = TypeVar("E")
spec = Spec(CLIENT_CREDIT, codec=CLIENT_CREDIT_CODEC)
SIREN = "732829320"
INVOICE, OTHER_INVOICE = UUID(int=1), UUID(int=2)
ACTIVITY = UUID("0197a3c2-5b1e-7c3d-9a4f-2e6b8d1c0f57")
NOW = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
ON = date(2026, 12, 10)
CLIENT: dict[str, Any] = {"buyer_siren": SIREN, "recorded_at": NOW}


def kept(source: int, cents: int) -> ClientCreditKept:
    return ClientCreditKept(
        **CLIENT, source_id=UUID(int=source), invoice_id=INVOICE, amount_cents=cents, kept_on=ON
    )


def applied(payment: int, cents: int) -> ClientCreditApplied:
    return ClientCreditApplied(
        **CLIENT, payment_id=UUID(int=payment), invoice_id=OTHER_INVOICE, amount_cents=cents, applied_on=ON
    )


def refunded(refund: int, cents: int) -> ClientCreditRefunded:
    return ClientCreditRefunded(
        **CLIENT, refund_id=UUID(int=refund), amount_cents=cents, refunded_on=ON, reference="VIR REMB 1"
    )


def test_a_refund_within_the_credit_lowers_it() -> None:
    state = spec.given(kept(10, 13_333)).when(RefundCredit(refunded(20, 5_000))).then(refunded(20, 5_000))
    assert state.balance_cents == 8_333


def test_the_whole_credit_may_be_refunded_after_part_of_it_was_applied() -> None:
    state = (
        spec.given(kept(10, 13_333), applied(30, 3_333))
        .when(RefundCredit(refunded(20, 10_000)))
        .then(refunded(20, 10_000))
    )
    assert state.balance_cents == 0


def test_a_refund_above_the_credit_is_refused_with_what_is_available() -> None:
    error = (
        spec.given(kept(10, 13_333), refunded(20, 5_000))
        .when(RefundCredit(refunded(21, 8_334)))
        .then_raises(NotEnoughClientCredit, match="8333 cents of credit, not 8334")
    )
    assert error.available_cents == 8_333


def test_a_client_without_credit_gets_no_refund() -> None:
    error = spec.given().when(RefundCredit(refunded(20, 1))).then_raises(NotEnoughClientCredit)
    assert error.available_cents == 0


def test_the_same_refund_told_twice_is_recorded_once() -> None:
    spec.given(kept(10, 13_333), refunded(20, 13_333)).when(RefundCredit(refunded(20, 13_333))).then()


def test_a_refund_of_nothing_names_the_amount() -> None:
    error = spec.given(kept(10, 100)).when(RefundCredit(refunded(20, 0))).then_raises(InvalidReceivableField)
    assert error.field == "amount_cents"


def test_a_refunded_credit_cannot_be_applied_again() -> None:
    spec.given(kept(10, 13_333), refunded(20, 13_333)).when(ApplyCredit(applied(30, 1))).then_raises(
        NotEnoughClientCredit
    )


def test_an_excess_told_twice_is_kept_once() -> None:
    spec.given(kept(10, 13_333)).when(KeepCredit(kept(10, 13_333))).then()


def decided(event: E, version: int) -> Decided[E]:
    return Decided(
        event,
        UUID(int=100 + version),
        type(event).__name__,
        "s-1",
        version,
        "smartfr",
        NOW,
        UUID(int=99),
        None,
        None,
    )


def test_each_client_credit_event_is_published_with_the_balance_after_it() -> None:
    publish = client_credit_public(ClientCredit(balance_cents=13_333))
    envelopes = publish([decided(refunded(20, 5_000), 2), decided(kept(11, 1_000), 3)])
    assert [(e.event_type, e.data["amount_cents"], e.data["balance_cents"]) for e in envelopes] == [
        ("billing.ClientCreditRefunded", 5_000, 8_333),
        ("billing.ClientCreditKept", 1_000, 9_333),
    ]
    assert envelopes[0].data["refund_id"] == str(UUID(int=20))
    assert "reference" not in envelopes[0].data  # free text stays in billing-svc
    applied_envelope = client_credit_public(ClientCredit(balance_cents=5_000))(
        [decided(applied(30, 2_000), 4)]
    )
    assert (applied_envelope[0].event_type, applied_envelope[0].data["balance_cents"]) == (
        "billing.ClientCreditApplied",
        3_000,
    )


OPENED = ReceivableOpened(
    invoice_id=INVOICE,
    activity_id=ACTIVITY,
    number="F-000001",
    buyer_siren=SIREN,
    issue_date=date(2026, 1, 5),
    due_date=date(2026, 2, 4),
    total_cents=120_000,
    excluding_vat_cents=100_000,
    recovery_indemnity_cents=4000,
    opened_at=NOW,
)
WRITTEN_OFF = WrittenOff(
    invoice_id=INVOICE,
    reason="liquidation closed",
    written_off_on=date(2026, 9, 1),
    unpaid_cents=120_000,
    amount_excluding_vat_cents=100_000,
    recorded_at=NOW,
)


def test_a_provision_and_a_write_off_are_published_without_their_reason() -> None:
    provisioned = ProvisionedAsDoubtful(
        invoice_id=INVOICE,
        reason="client in receivership",
        provisioned_on=date(2026, 5, 1),
        amount_excluding_vat_cents=100_000,
        recorded_at=NOW,
    )
    envelopes = receivable_public(Receivable(opened=OPENED))(
        [decided(provisioned, 2), decided(WRITTEN_OFF, 3)]
    )
    assert [e.event_type for e in envelopes] == [
        "billing.DoubtfulReceivableProvisioned",
        "billing.ReceivableWrittenOff",
    ]
    assert envelopes[0].data == {
        "invoice_id": str(INVOICE),
        "activity_id": str(ACTIVITY),
        "amount_excluding_vat_cents": 100_000,
        "provisioned_on": "2026-05-01",
        "recorded_at": "2026-12-10T09:00:00Z",
    }
    assert envelopes[1].data["covered_by_guarantee_fund"] is False
    assert "reason" not in envelopes[1].data


def test_a_write_off_after_the_funds_coverage_says_the_loss_is_the_funds() -> None:
    covered = GuaranteeFundCovered(
        invoice_id=INVOICE,
        covered_on=date(2026, 4, 6),
        unpaid_cents=120_000,
        amount_excluding_vat_cents=100_000,
        recorded_at=NOW,
    )
    envelopes = receivable_public(Receivable(opened=OPENED, covered=covered))([decided(WRITTEN_OFF, 4)])
    assert envelopes[0].data["covered_by_guarantee_fund"] is True


def test_the_statement_gives_each_movement_signed_with_the_credit_after_it() -> None:
    lines = statement([kept(10, 13_333), applied(30, 3_333), refunded(20, 10_000)])

    assert [(m.kind, m.amount_cents, m.balance_after_cents) for m in lines] == [
        ("kept", 13_333, 13_333),
        ("applied", -3_333, 10_000),
        ("refunded", -10_000, 0),
    ]
    assert (lines[0].invoice_id, lines[0].payment_id) == (INVOICE, UUID(int=10))
    assert (lines[1].invoice_id, lines[1].payment_id) == (OTHER_INVOICE, UUID(int=30))
    assert (lines[2].refund_id, lines[2].reference) == (UUID(int=20), "VIR REMB 1")
    assert statement([]) == []
