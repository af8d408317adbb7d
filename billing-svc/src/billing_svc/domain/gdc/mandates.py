"""SEPA Core direct debit mandates (EPC SEPA Core Direct Debit rulebook): signed once under a unique
reference, then each collection under it: the first is FRST, the next ones RCUR; revoked once, after which
nothing more is collected under it. A collection prepared before the revocation stands when it is due on or
before the day of the revocation (it was presentable then); one due later is withdrawn with the revocation,
so its file is never presented under a mandate the debtor revoked.

The stream of a mandate is named by the tenant's reference (`sepa-mandate-<id>`, the id derived from it), so
a second mandate under a reference already used finds it signed and is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict
from schwifty import BIC, IBAN, exceptions

from billing_svc.domain.invoicing.events import Address

SequenceType = Literal["FRST", "RCUR"]
# AT-01 mandate reference: Max35Text in the SEPA character set (EPC217-08), no leading or trailing space.
REFERENCE = re.compile(r"^[A-Za-z0-9/?:().,'+\-](?:[A-Za-z0-9/?:().,'+\- ]{0,33}[A-Za-z0-9/?:().,'+\-])?$")


class InvalidMandateField(ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class MandateAlreadySigned(Exception):
    """A mandate under this reference exists already."""


class UnknownMandate(LookupError):
    pass


class MandateAlreadyRevoked(Exception):
    """The mandate was revoked already: a revocation is recorded once."""


class MandateRevoked(Exception):
    """Nothing is collected under a revoked mandate."""


class Debtor(BaseModel):
    """The association as the mandate names it (name, address and account are mandate data, AT-14..AT-09)."""

    model_config = ConfigDict(frozen=True)

    name: str
    address: Address
    iban: str
    bic: str | None


class SepaMandateSigned(BaseModel):
    model_config = ConfigDict(frozen=True)

    mandate_id: UUID
    employer_id: UUID
    reference: str
    signed_on: date
    debtor: Debtor
    recorded_at: datetime
    signing_id: UUID | None = None  # the request that signed it (ADR 023): its retry finds it signed


class CollectedUnderMandate(BaseModel):
    """A collection was prepared under the mandate with this sequence type."""

    model_config = ConfigDict(frozen=True)

    mandate_id: UUID
    invoice_id: UUID
    sequence_type: SequenceType
    amount_cents: int
    collection_date: date
    collected_at: datetime


class SepaMandateRevoked(BaseModel):
    """The association withdrew its consent: nothing more is collected under the mandate."""

    model_config = ConfigDict(frozen=True)

    mandate_id: UUID
    revoked_on: date
    recorded_at: datetime


class DirectDebitWithdrawn(BaseModel):
    """A collection prepared under the mandate is withdrawn before its collection date: the mandate was
    revoked before that date, so its file must not be presented. Its direct debit is the invoice's (one per
    invoice, its id derived from the invoice's: `gdc_outbound.direct_debit_id_of`)."""

    model_config = ConfigDict(frozen=True)

    mandate_id: UUID
    invoice_id: UUID
    sequence_type: SequenceType
    amount_cents: int
    collection_date: date
    reason: Literal["mandate_revoked"]
    revoked_on: date
    withdrawn_at: datetime


MandateEvent = SepaMandateSigned | CollectedUnderMandate | SepaMandateRevoked | DirectDebitWithdrawn


@dataclass(frozen=True)
class SignMandate:
    mandate_id: UUID
    employer_id: UUID
    reference: str
    signed_on: date
    debtor: Debtor
    today: date  # Europe/Paris
    now: datetime
    signing_id: UUID | None = None  # from the request's key: the same request signs once


@dataclass(frozen=True)
class CollectUnderMandate:
    mandate_id: UUID
    invoice_id: UUID
    amount_cents: int
    collection_date: date
    now: datetime


@dataclass(frozen=True)
class RevokeMandate:
    mandate_id: UUID
    employer_id: UUID  # the association the request names: another's mandate is not found
    revoked_on: date
    today: date  # Europe/Paris
    now: datetime


MandateCommand = SignMandate | CollectUnderMandate | RevokeMandate


@dataclass(frozen=True)
class NoMandate:
    pass


@dataclass(frozen=True)
class Mandate:
    signed: SepaMandateSigned
    collections: tuple[CollectedUnderMandate, ...] = ()  # withdrawn ones too: an invoice is collected once
    revoked: SepaMandateRevoked | None = None
    withdrawn: tuple[DirectDebitWithdrawn, ...] = ()

    def next_sequence_type(self) -> SequenceType:
        # Only asked of a mandate not revoked, and collections are withdrawn only by a revocation: every
        # collection counted here stands. After a withdrawn FRST the next collection would have to be FRST
        # again (the bank never saw the first), but the mandate is revoked, so there is no next one: a new
        # mandate is a new stream, which starts at FRST.
        return "RCUR" if self.collections else "FRST"

    def collection_of(self, invoice_id: UUID) -> CollectedUnderMandate | None:
        return next((c for c in self.collections if c.invoice_id == invoice_id), None)

    def withdrawal_of(self, invoice_id: UUID) -> DirectDebitWithdrawn | None:
        return next((w for w in self.withdrawn if w.invoice_id == invoice_id), None)


MandateState = NoMandate | Mandate
initial_state: MandateState = NoMandate()


def check_debtor(debtor: Debtor) -> Debtor:
    if not debtor.name.strip():
        raise InvalidMandateField("debtor.name", "is required")
    try:
        iban = IBAN(debtor.iban)
    except exceptions.SchwiftyException as invalid:
        raise InvalidMandateField("debtor.iban", f"is not a valid IBAN ({invalid})") from invalid
    if not iban.in_sepa_zone:
        raise InvalidMandateField("debtor.iban", "is not an account in the SEPA zone")
    bic = debtor.bic
    if bic is not None:
        try:
            bic = str(BIC(bic))
        except exceptions.SchwiftyException as invalid:
            raise InvalidMandateField("debtor.bic", f"is not a valid BIC ({invalid})") from invalid
    return debtor.model_copy(update={"iban": iban.compact, "bic": bic})


def decide(command: MandateCommand, state: MandateState) -> list[MandateEvent]:
    match command:
        case SignMandate():
            return _sign(command, state)
        case CollectUnderMandate():
            if not isinstance(state, Mandate):
                raise UnknownMandate(f"no mandate {command.mandate_id}")
            if state.collection_of(command.invoice_id) is not None:
                return []  # collected once
            if state.revoked is not None:
                raise MandateRevoked(f"the mandate {state.signed.reference!r} was revoked")
            return [
                CollectedUnderMandate(
                    mandate_id=command.mandate_id,
                    invoice_id=command.invoice_id,
                    sequence_type=state.next_sequence_type(),
                    amount_cents=command.amount_cents,
                    collection_date=command.collection_date,
                    collected_at=command.now,
                )
            ]
        case RevokeMandate():
            return _revoke(command, state)


def _sign(command: SignMandate, state: MandateState) -> list[MandateEvent]:
    if isinstance(state, Mandate):
        if command.signing_id is not None and command.signing_id == state.signed.signing_id:
            return []  # the same signing told twice (a retried request)
        raise MandateAlreadySigned(f"a mandate under the reference {command.reference!r} exists already")
    if not REFERENCE.match(command.reference):
        raise InvalidMandateField(
            "reference", "1 to 35 characters among letters, digits, spaces and / - ? : ( ) . , ' +"
        )
    if command.signed_on > command.today:
        raise InvalidMandateField("signed_on", "a mandate is not signed in the future")
    return [
        SepaMandateSigned(
            mandate_id=command.mandate_id,
            employer_id=command.employer_id,
            reference=command.reference,
            signed_on=command.signed_on,
            debtor=check_debtor(command.debtor),
            recorded_at=command.now,
            signing_id=command.signing_id,
        )
    ]


def _revoke(command: RevokeMandate, state: MandateState) -> list[MandateEvent]:
    if not isinstance(state, Mandate) or state.signed.employer_id != command.employer_id:
        raise UnknownMandate(
            f"no mandate {command.mandate_id} of the employer structure {command.employer_id}"
        )
    if state.revoked is not None:
        raise MandateAlreadyRevoked(
            f"the mandate {state.signed.reference!r} was revoked on {state.revoked.revoked_on} already"
        )
    if command.revoked_on > command.today:
        raise InvalidMandateField("revoked_on", "a mandate is not revoked in the future")
    if command.revoked_on < state.signed.signed_on:
        raise InvalidMandateField("revoked_on", f"the mandate was signed on {state.signed.signed_on}")
    revoked = SepaMandateRevoked(
        mandate_id=command.mandate_id, revoked_on=command.revoked_on, recorded_at=command.now
    )
    # A collection due on or before the day of the revocation stands: it was presentable under the mandate.
    # One due later is withdrawn: its file must not reach the bank. Its invoice is left as it is: unpaid, it
    # goes through the usual dunning (receivables) like any invoice not paid by its due date, to be paid by
    # transfer; nothing else is decided here.
    withdrawn = [
        DirectDebitWithdrawn(
            mandate_id=command.mandate_id,
            invoice_id=collection.invoice_id,
            sequence_type=collection.sequence_type,
            amount_cents=collection.amount_cents,
            collection_date=collection.collection_date,
            reason="mandate_revoked",
            revoked_on=command.revoked_on,
            withdrawn_at=command.now,
        )
        for collection in state.collections
        if collection.collection_date > command.revoked_on
    ]
    return [revoked, *withdrawn]


def evolve(state: MandateState, event: MandateEvent) -> MandateState:
    match event:
        case SepaMandateSigned():
            return Mandate(event)
        case CollectedUnderMandate():
            if not isinstance(state, Mandate):
                return state
            return replace(state, collections=(*state.collections, event))
        case SepaMandateRevoked():
            return replace(state, revoked=event) if isinstance(state, Mandate) else state
        case DirectDebitWithdrawn():
            if not isinstance(state, Mandate):
                return state
            return replace(state, withdrawn=(*state.withdrawn, event))


def stream_id(mandate_id: UUID) -> str:
    return f"sepa-mandate-{mandate_id}"
