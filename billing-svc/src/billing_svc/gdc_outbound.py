"""Private mandate events -> public `billing.SepaMandateSigned` / `.SepaMandateRevoked` /
`.DirectDebitPrepared` / `.DirectDebitWithdrawn`: ids, the mandate reference, dates and amounts (the debtor's
account stays here)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID, uuid5

from billing_svc.domain.gdc.mandates import (
    CollectedUnderMandate,
    DirectDebitWithdrawn,
    MandateEvent,
    SepaMandateRevoked,
    SepaMandateSigned,
)
from schemas.generated.billing.direct_debit_prepared_v1 import DirectDebitPreparedV1
from schemas.generated.billing.direct_debit_withdrawn_v1 import DirectDebitWithdrawnV1
from schemas.generated.billing.sepa_mandate_revoked_v1 import SepaMandateRevokedV1
from schemas.generated.billing.sepa_mandate_signed_v1 import SepaMandateSignedV1
from services.command_loop import Decided, ToPublic
from services.envelope import Envelope

# Derived ids (uuid5) of billing_svc.gdc: the same invoice always names the same collection.
IDS = UUID("0b9c6c1e-7a51-5d35-9a7e-2f3c1d4e5a60")


def direct_debit_id_of(invoice_id: UUID) -> UUID:
    return uuid5(IDS, f"direct-debit:{invoice_id}")


def mandate_public(signed: SepaMandateSigned) -> ToPublic[MandateEvent]:
    """The translation for events decided on the mandate `signed` (its employer names the debtor)."""

    def to_public(decided: Sequence[Decided[MandateEvent]]) -> list[Envelope]:
        public: list[Envelope] = []
        for one in decided:
            event = one.event
            if isinstance(event, SepaMandateSigned):
                data = SepaMandateSignedV1.model_validate(
                    {
                        "mandate_id": event.mandate_id,
                        "employer_id": event.employer_id,
                        "reference": event.reference,
                        "scheme": "CORE",
                        "signed_on": event.signed_on,
                        "recorded_at": event.recorded_at,
                    }
                )
                public.append(one.public("billing.SepaMandateSigned", data.model_dump(mode="json")))
            elif isinstance(event, CollectedUnderMandate):
                prepared = DirectDebitPreparedV1.model_validate(
                    {**_direct_debit(event, signed), "prepared_at": event.collected_at}
                )
                public.append(one.public("billing.DirectDebitPrepared", prepared.model_dump(mode="json")))
            elif isinstance(event, SepaMandateRevoked):
                revoked = SepaMandateRevokedV1.model_validate(
                    {
                        "mandate_id": event.mandate_id,
                        "employer_id": signed.employer_id,
                        "reference": signed.reference,
                        "revoked_on": event.revoked_on,
                        "recorded_at": event.recorded_at,
                    }
                )
                public.append(one.public("billing.SepaMandateRevoked", revoked.model_dump(mode="json")))
            elif isinstance(event, DirectDebitWithdrawn):
                withdrawn = DirectDebitWithdrawnV1.model_validate(
                    {
                        **_direct_debit(event, signed),
                        "reason": event.reason,
                        "revoked_on": event.revoked_on,
                        "withdrawn_at": event.withdrawn_at,
                    }
                )
                public.append(one.public("billing.DirectDebitWithdrawn", withdrawn.model_dump(mode="json")))
        return public

    return to_public


def _direct_debit(
    event: CollectedUnderMandate | DirectDebitWithdrawn, signed: SepaMandateSigned
) -> dict[str, object]:
    """What the public events of a collection say of it: prepared, or withdrawn."""
    return {
        "direct_debit_id": direct_debit_id_of(event.invoice_id),
        "invoice_id": event.invoice_id,
        "employer_id": signed.employer_id,
        "mandate_id": event.mandate_id,
        "sequence_type": event.sequence_type,
        "amount_cents": event.amount_cents,
        "collection_date": event.collection_date,
    }
