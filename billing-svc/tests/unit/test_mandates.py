"""SEPA mandates: given a mandate's history, when it is signed, collected under or revoked, then the events
(or the refusal naming the field)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from uuid import UUID

from billing_svc.domain.gdc.mandates import (
    CollectedUnderMandate,
    CollectUnderMandate,
    Debtor,
    DirectDebitWithdrawn,
    InvalidMandateField,
    Mandate,
    MandateAlreadyRevoked,
    MandateAlreadySigned,
    MandateRevoked,
    RevokeMandate,
    SepaMandateRevoked,
    SepaMandateSigned,
    SignMandate,
    UnknownMandate,
)
from billing_svc.domain.invoicing.events import Address
from billing_svc.gdc import MANDATE, MANDATE_CODEC
from services.testkit.spec import Spec

MANDATE_ID = UUID("7d6b2f0e-1c3a-5b4d-9e8f-a1b2c3d4e5f6")
EMPLOYER = UUID("5b0c3f9e-2d7a-5e41-9c8b-1f6a2e4d7c30")
FIRST = UUID("11111111-2222-5333-8444-555555555555")
SECOND = UUID("21111111-2222-5333-8444-555555555555")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 26)
DEBTOR = Debtor(
    name="Les Ateliers du Spectacle",
    address=Address(street="12 rue des Arts", postal_code="69001", city="Lyon"),
    iban="FR76 3000 4000 0000 0234 5678 983",
    bic=None,
)
spec = Spec(MANDATE, MANDATE_CODEC)


def sign(
    reference: str = "GDC-ATELIERS-0001", signed_on: date = date(2026, 11, 2), **debtor: object
) -> SignMandate:
    return SignMandate(
        MANDATE_ID, EMPLOYER, reference, signed_on, DEBTOR.model_copy(update=debtor), TODAY, NOW
    )


SIGNED = SepaMandateSigned(
    mandate_id=MANDATE_ID,
    employer_id=EMPLOYER,
    reference="GDC-ATELIERS-0001",
    signed_on=date(2026, 11, 2),
    debtor=DEBTOR.model_copy(update={"iban": "FR7630004000000002345678983"}),
    recorded_at=NOW,
)


def collected(
    invoice_id: UUID, sequence_type: str, collection_date: date = date(2026, 12, 16)
) -> CollectedUnderMandate:
    return CollectedUnderMandate(
        mandate_id=MANDATE_ID,
        invoice_id=invoice_id,
        sequence_type=sequence_type,  # type: ignore[arg-type]
        amount_cents=5_460_000,
        collection_date=collection_date,
        collected_at=NOW,
    )


def collect(invoice_id: UUID) -> CollectUnderMandate:
    return CollectUnderMandate(MANDATE_ID, invoice_id, 5_460_000, date(2026, 12, 16), NOW)


def test_a_mandate_is_signed_with_its_iban_compacted() -> None:
    spec.given().when(sign()).then(SIGNED)


def test_a_reference_is_used_once() -> None:
    spec.given(SIGNED).when(sign()).then_raises(MandateAlreadySigned, match="exists already")


def test_the_same_signing_told_twice_decides_nothing_and_another_is_refused() -> None:
    signing = UUID("31111111-2222-7333-8444-555555555555")  # from the request's key (ADR 023)
    signed = SIGNED.model_copy(update={"signing_id": signing})
    spec.given(signed).when(replace(sign(), signing_id=signing)).then()
    spec.given(signed).when(replace(sign(), signing_id=FIRST)).then_raises(MandateAlreadySigned)


def test_an_iban_with_a_wrong_key_is_refused_naming_the_field() -> None:
    refusal = spec.given().when(sign(iban="FR7630004000000002345678984")).then_raises(InvalidMandateField)
    assert refusal.field == "debtor.iban"


def test_a_bic_that_is_not_one_is_refused() -> None:
    refusal = spec.given().when(sign(bic="BNPAXXPP")).then_raises(InvalidMandateField)
    assert refusal.field == "debtor.bic"


def test_a_reference_outside_the_sepa_characters_is_refused() -> None:
    refusal = spec.given().when(sign(reference="MANDAT#1")).then_raises(InvalidMandateField)
    assert refusal.field == "reference"
    spec.given().when(sign(reference="x" * 36)).then_raises(InvalidMandateField, match="reference")


def test_a_mandate_signed_tomorrow_is_refused() -> None:
    spec.given().when(sign(signed_on=date(2026, 11, 27))).then_raises(InvalidMandateField, match="signed_on")


def test_the_first_collection_is_frst_the_next_ones_rcur() -> None:
    spec.given(SIGNED).when(collect(FIRST)).then(collected(FIRST, "FRST"))
    spec.given(SIGNED, collected(FIRST, "FRST")).when(collect(SECOND)).then(collected(SECOND, "RCUR"))


def test_collecting_an_invoice_twice_decides_nothing() -> None:
    spec.given(SIGNED, collected(FIRST, "FRST")).when(collect(FIRST)).then()


def test_no_collection_without_a_mandate() -> None:
    spec.given().when(collect(FIRST)).then_raises(UnknownMandate)


def revoke(revoked_on: date = date(2026, 11, 20), employer_id: UUID = EMPLOYER) -> RevokeMandate:
    return RevokeMandate(MANDATE_ID, employer_id, revoked_on, TODAY, NOW)


REVOKED = SepaMandateRevoked(mandate_id=MANDATE_ID, revoked_on=date(2026, 11, 20), recorded_at=NOW)


def withdrawn(of: CollectedUnderMandate, revoked_on: date = date(2026, 11, 20)) -> DirectDebitWithdrawn:
    return DirectDebitWithdrawn(
        mandate_id=MANDATE_ID,
        invoice_id=of.invoice_id,
        sequence_type=of.sequence_type,
        amount_cents=of.amount_cents,
        collection_date=of.collection_date,
        reason="mandate_revoked",
        revoked_on=revoked_on,
        withdrawn_at=NOW,
    )


def test_a_mandate_is_revoked_once() -> None:
    presented = collected(FIRST, "FRST", date(2026, 11, 16))
    spec.given(SIGNED, presented).when(revoke()).then(REVOKED)
    spec.given(SIGNED, REVOKED).when(revoke()).then_raises(MandateAlreadyRevoked, match="2026-11-20")


def test_a_collection_due_after_the_revocation_is_withdrawn_with_it() -> None:
    due_later = collected(FIRST, "FRST")  # 2026-12-16, after 2026-11-20
    spec.given(SIGNED, due_later).when(revoke()).then(REVOKED, withdrawn(due_later))


def test_a_collection_due_on_or_before_the_day_of_the_revocation_stands() -> None:
    before = collected(FIRST, "FRST", date(2026, 10, 16))
    on_the_day = collected(SECOND, "RCUR", date(2026, 11, 20))
    spec.given(SIGNED, before, on_the_day).when(revoke()).then(REVOKED)


def test_only_the_collections_due_after_the_revocation_are_withdrawn() -> None:
    presented = collected(FIRST, "FRST", date(2026, 11, 16))
    due_later = collected(SECOND, "RCUR", date(2026, 12, 16))
    spec.given(SIGNED, presented, due_later).when(revoke()).then(REVOKED, withdrawn(due_later))


def test_a_withdrawn_collection_is_not_collected_again_nor_anything_else() -> None:
    due_later = collected(FIRST, "FRST")
    history = (SIGNED, due_later, REVOKED, withdrawn(due_later))
    spec.given(*history).when(collect(FIRST)).then()  # its invoice was collected once: it stays so
    spec.given(*history).when(collect(SECOND)).then_raises(MandateRevoked)
    spec.given(*history).when(revoke()).then_raises(MandateAlreadyRevoked)


def test_the_state_knows_the_withdrawn_collection() -> None:
    due_later = collected(FIRST, "FRST")
    state = spec.given(SIGNED, due_later).when(revoke()).then(REVOKED, withdrawn(due_later))
    assert isinstance(state, Mandate)
    assert state.withdrawal_of(FIRST) == withdrawn(due_later)
    assert state.collection_of(FIRST) == due_later
    assert state.withdrawal_of(SECOND) is None


def test_nothing_new_is_collected_under_a_revoked_mandate() -> None:
    spec.given(SIGNED, REVOKED).when(collect(FIRST)).then_raises(MandateRevoked)


def test_a_collection_made_before_the_revocation_stays_collected() -> None:
    spec.given(SIGNED, collected(FIRST, "FRST"), REVOKED).when(collect(FIRST)).then()


def test_a_revocation_of_a_mandate_unknown_or_of_another_association_is_not_found() -> None:
    spec.given().when(revoke()).then_raises(UnknownMandate)
    spec.given(SIGNED).when(revoke(employer_id=FIRST)).then_raises(UnknownMandate)


def test_a_revocation_in_the_future_or_before_the_signature_is_refused() -> None:
    future = spec.given(SIGNED).when(revoke(date(2026, 11, 27))).then_raises(InvalidMandateField)
    assert future.field == "revoked_on"
    spec.given(SIGNED).when(revoke(date(2026, 11, 1))).then_raises(InvalidMandateField, match="signed on")


def test_a_revoked_mandate_keeps_its_reference() -> None:
    spec.given(SIGNED, REVOKED).when(sign()).then_raises(MandateAlreadySigned)
