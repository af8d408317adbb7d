"""The employer structure aggregate: given events, when a command, then events (or the refusal)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from members_svc.bootstrap_employers import EMPLOYER_CODEC, EMPLOYER_STRUCTURE, opened_contacts
from members_svc.domain.employers import (
    Address,
    CloseEmployerStructure,
    Contact,
    EmployerContactErased,
    EmployerStructure,
    EmployerStructureClosed,
    EmployerStructureEvent,
    EmployerStructureRegistered,
    EmployerStructureReinstated,
    EmployerStructureSuspended,
    EraseEmployerContact,
    RecordWebhookSecretIssued,
    RegisterEmployerStructure,
    ReinstateEmployerStructure,
    SealedContact,
    SuspendEmployerStructure,
    WebhookSecretIssued,
    employer_structure_id,
    legacy_contact_id,
    stream_id,
)
from members_svc.domain.employers.identifiers import check_rna
from members_svc.domain.employers.rules import (
    ContactAlreadyErased,
    EmployerStructureAlreadyRegistered,
    EmployerStructureNotActive,
    InvalidEmployerField,
    StatusChangeRefused,
    UnknownEmployerContact,
    UnknownEmployerStructure,
)
from members_svc.integration.employers_outbound import to_public
from members_svc.keyring import DataKey
from services.command_loop import Decided
from services.decider import EventCodec
from services.eventstore.types import RecordedEvent
from services.testkit.spec import Spec

SIRET = "73282932000074"
STRUCTURE = employer_structure_id("smartfr", SIRET)
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
LATER = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
REGISTRATION = UUID("0192f0a0-0000-7000-8000-00000000e001")  # from the request's key
ADDRESS = Address(street="12 rue des Arts", postal_code="75011", city="Paris")
CONTACT = Contact(name="Léa Garnier", email="lea@ateliers.example", phone="01 23 45 67 89", role="treasurer")
CONTACT_ID = UUID("0197a3c2-5b1e-7c3d-9a4f-2e6b8d1c0f57")
spec = Spec(EMPLOYER_STRUCTURE, codec=EMPLOYER_CODEC)


def seal_in_clear(contact_id: UUID, fields: Mapping[str, Any]) -> str:
    """Stands for the contact's key (the handler's): shows what the decider gave it to seal."""
    return f"sealed-for-{contact_id}:{json.dumps(fields, sort_keys=True)}"


def sealed(contact: Contact, contact_id: UUID = CONTACT_ID) -> SealedContact:
    return SealedContact(
        contact_id=contact_id, sealed=seal_in_clear(contact_id, contact.model_dump(mode="json"))
    )


def registration(**fields: object) -> RegisterEmployerStructure:
    values: dict[str, object] = {
        "employer_structure_id": STRUCTURE,
        "siret": "732 829 320 00074",
        "legal_name": "Les Ateliers du Spectacle",
        "kind": "association",
        "vat_number": "FR 44 732 829 320",
        "rna": "w751234567",
        "address": ADDRESS,
        "contacts": (CONTACT,),
        "contact_ids": (CONTACT_ID,),
        "seal": seal_in_clear,
        "now": NOW,
        "registration_id": REGISTRATION,
    }
    values.update(fields)
    return RegisterEmployerStructure(**values)  # type: ignore[arg-type]


def registered() -> EmployerStructureRegistered:
    return EmployerStructureRegistered(
        employer_structure_id=STRUCTURE,
        siret=SIRET,
        legal_name="Les Ateliers du Spectacle",
        kind="association",
        vat_number="FR44732829320",
        rna="W751234567",
        address=ADDRESS,
        sealed_contacts=(sealed(CONTACT.model_copy(update={"phone": "+33123456789"})),),
        registered_at=NOW,
        registration_id=REGISTRATION,
    )


def suspended(on: date = date(2026, 12, 1)) -> EmployerStructureSuspended:
    return EmployerStructureSuspended(
        employer_structure_id=STRUCTURE, reason="unpaid invoices", effective_on=on, recorded_at=LATER
    )


def suspend(on: date = date(2026, 12, 1), reason: str = "unpaid invoices") -> SuspendEmployerStructure:
    return SuspendEmployerStructure(STRUCTURE, reason=reason, effective_on=on, now=LATER)


def reinstate(on: date = date(2026, 12, 15)) -> ReinstateEmployerStructure:
    return ReinstateEmployerStructure(STRUCTURE, effective_on=on, now=LATER)


def close(on: date = date(2026, 12, 31), reason: str = "dissolved by its AGM") -> CloseEmployerStructure:
    return CloseEmployerStructure(STRUCTURE, reason=reason, effective_on=on, now=LATER)


# ---- identity ---------------------------------------------------------------------


def test_the_id_and_stream_follow_from_the_tenant_and_the_siret() -> None:
    assert employer_structure_id("smartfr", "732 829 320 00074") == STRUCTURE
    assert employer_structure_id("alterna", SIRET) != STRUCTURE
    assert stream_id(STRUCTURE) == f"employer-{STRUCTURE}"


# ---- register ---------------------------------------------------------------------


def test_a_structure_is_registered_active_with_its_identifiers_normalised() -> None:
    assert registered().vat_number == "FR44732829320"  # the key of SIREN 732829320 is 44
    state = spec.given().when(registration()).then(registered())
    assert isinstance(state, EmployerStructure)
    assert state.status == "active"
    assert state.siret == SIRET


def test_registering_the_same_siret_twice_is_rejected() -> None:
    another = UUID("0192f0a0-0000-7000-8000-00000000e002")
    spec.given(registered()).when(registration(registration_id=another)).then_raises(
        EmployerStructureAlreadyRegistered, match="73282932000074"
    )


def test_the_same_registration_run_again_records_nothing() -> None:
    """Its request run again after the answer was lost: the structure is answered as registered."""
    state = spec.given(registered(), suspended()).when(registration(now=LATER)).then()
    assert isinstance(state, EmployerStructure)
    assert state.registration_id == REGISTRATION


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"siret": "73282932000075"}, "siret"),
        ({"siret": "7328293200007"}, "siret"),
        ({"siret": "7328293200007A"}, "siret"),
        ({"vat_number": "FR45732829320"}, "vat_number"),
        ({"vat_number": "FR40303265045"}, "vat_number"),  # valid, but another company's
        ({"vat_number": "DE123456789"}, "vat_number"),
        ({"rna": "W12345678"}, "rna"),
        ({"rna": "X751234567"}, "rna"),
        ({"rna": "W751234567", "kind": "company"}, "rna"),
        ({"legal_name": "   "}, "legal_name"),
        ({"address": ADDRESS.model_copy(update={"postal_code": "7501"})}, "address.postal_code"),
        ({"address": ADDRESS.model_copy(update={"country": "France"})}, "address.country"),
        ({"address": ADDRESS.model_copy(update={"city": ""})}, "address.city"),
        ({"contacts": ()}, "contacts"),
        ({"contacts": (CONTACT.model_copy(update={"email": "lea@"}),)}, "contacts.0.email"),
        (
            {
                "contacts": (CONTACT, CONTACT.model_copy(update={"email": "a b@x.fr"})),
                "contact_ids": (CONTACT_ID, STRUCTURE),
            },
            "contacts.1.email",
        ),
        ({"contacts": (CONTACT.model_copy(update={"phone": "12345"}),)}, "contacts.0.phone"),
        ({"contacts": (CONTACT.model_copy(update={"name": " "}),)}, "contacts.0.name"),
    ],
)
def test_an_invalid_input_is_rejected_naming_its_field(fields: dict[str, object], field: str) -> None:
    error = spec.given().when(registration(**fields)).then_raises(InvalidEmployerField)
    assert error.field == field


def test_an_international_phone_number_is_kept_in_international_form() -> None:
    contact = CONTACT.model_copy(update={"phone": "+32 2 123 45 67"})
    state = (
        spec.given()
        .when(registration(contacts=(contact,), vat_number=None, rna=None))
        .then(
            registered().model_copy(
                update={
                    "vat_number": None,
                    "rna": None,
                    "sealed_contacts": (sealed(contact.model_copy(update={"phone": "+3221234567"})),),
                }
            )
        )
    )
    assert isinstance(state, EmployerStructure)


def test_the_rna_rule_is_w_and_nine_digits() -> None:
    assert check_rna(" w751234567 ") == "W751234567"
    with pytest.raises(InvalidEmployerField, match="rna"):
        check_rna("W7512345678")


# ---- suspend ----------------------------------------------------------------------


def test_an_active_structure_is_suspended_with_a_reason_and_a_date() -> None:
    state = spec.given(registered()).when(suspend()).then(suspended())
    assert isinstance(state, EmployerStructure)
    assert (state.status, state.status_reason, state.status_since) == (
        "suspended",
        "unpaid invoices",
        date(2026, 12, 1),
    )


def test_suspending_a_suspended_structure_is_rejected() -> None:
    spec.given(registered(), suspended()).when(suspend()).then_raises(StatusChangeRefused, match="already")


def test_suspending_without_a_reason_is_rejected() -> None:
    error = spec.given(registered()).when(suspend(reason="  ")).then_raises(InvalidEmployerField)
    assert error.field == "reason"


def test_a_status_change_dated_before_the_registration_is_rejected() -> None:
    error = spec.given(registered()).when(suspend(on=date(2026, 11, 25))).then_raises(InvalidEmployerField)
    assert error.field == "effective_on"


def test_an_unknown_structure_cannot_be_suspended() -> None:
    spec.given().when(suspend()).then_raises(UnknownEmployerStructure)


# ---- reinstate --------------------------------------------------------------------


def test_a_suspended_structure_is_reinstated() -> None:
    state = (
        spec.given(registered(), suspended())
        .when(reinstate())
        .then(
            EmployerStructureReinstated(
                employer_structure_id=STRUCTURE, effective_on=date(2026, 12, 15), recorded_at=LATER
            )
        )
    )
    assert isinstance(state, EmployerStructure)
    assert (state.status, state.status_reason) == ("active", None)


def test_reinstating_an_active_structure_is_rejected() -> None:
    spec.given(registered()).when(reinstate()).then_raises(StatusChangeRefused, match="not suspended")


def test_an_unknown_structure_cannot_be_reinstated() -> None:
    spec.given().when(reinstate()).then_raises(UnknownEmployerStructure)


# ---- close ------------------------------------------------------------------------


def test_a_structure_is_closed_with_a_reason_and_a_date() -> None:
    closed = EmployerStructureClosed(
        employer_structure_id=STRUCTURE,
        reason="dissolved by its AGM",
        effective_on=date(2026, 12, 31),
        recorded_at=LATER,
    )
    state = spec.given(registered(), suspended()).when(close()).then(closed)
    assert isinstance(state, EmployerStructure)
    assert (state.status, state.status_since) == ("closed", date(2026, 12, 31))


def test_closing_is_final() -> None:
    closed = EmployerStructureClosed(
        employer_structure_id=STRUCTURE,
        reason="dissolved",
        effective_on=date(2026, 12, 31),
        recorded_at=LATER,
    )
    spec.given(registered(), closed).when(close()).then_raises(StatusChangeRefused, match="final")
    spec.given(registered(), closed).when(reinstate()).then_raises(StatusChangeRefused, match="final")
    spec.given(registered(), closed).when(suspend()).then_raises(StatusChangeRefused, match="final")


def test_closing_without_a_reason_is_rejected() -> None:
    error = spec.given(registered()).when(close(reason="")).then_raises(InvalidEmployerField)
    assert error.field == "reason"


def test_a_closing_dated_before_the_registration_is_rejected() -> None:
    error = spec.given(registered()).when(close(on=date(2025, 1, 1))).then_raises(InvalidEmployerField)
    assert error.field == "effective_on"


def test_an_unknown_structure_cannot_be_closed() -> None:
    spec.given().when(close()).then_raises(UnknownEmployerStructure)


# ---- inbound webhook secret (issued by the gateway, recorded here without the secret) ------------


def test_issuing_a_webhook_secret_to_an_active_structure_is_recorded_without_the_secret() -> None:
    state = (
        spec.given(registered())
        .when(RecordWebhookSecretIssued(STRUCTURE, now=LATER))
        .then(WebhookSecretIssued(employer_structure_id=STRUCTURE, issued_at=LATER))
    )
    assert isinstance(state, EmployerStructure)
    assert state.webhook_secret_issued_at == LATER
    assert set(WebhookSecretIssued.model_fields) == {"employer_structure_id", "issued_at"}


def test_a_rotation_is_recorded_again_for_a_reinstated_structure() -> None:
    reinstated = EmployerStructureReinstated(
        employer_structure_id=STRUCTURE, effective_on=date(2026, 12, 15), recorded_at=LATER
    )
    spec.given(registered(), suspended(), reinstated).when(
        RecordWebhookSecretIssued(STRUCTURE, now=LATER)
    ).then(WebhookSecretIssued(employer_structure_id=STRUCTURE, issued_at=LATER))


def test_no_webhook_secret_for_a_suspended_or_closed_structure() -> None:
    closed = EmployerStructureClosed(
        employer_structure_id=STRUCTURE,
        reason="dissolved",
        effective_on=date(2026, 12, 31),
        recorded_at=LATER,
    )
    for past in (suspended(), closed):
        spec.given(registered(), past).when(RecordWebhookSecretIssued(STRUCTURE, now=LATER)).then_raises(
            EmployerStructureNotActive
        )


def test_no_webhook_secret_for_an_unknown_structure() -> None:
    spec.given().when(RecordWebhookSecretIssued(STRUCTURE, now=LATER)).then_raises(UnknownEmployerStructure)


# ---- the public event -------------------------------------------------------------


def test_the_public_event_names_the_structure_at_its_address_and_nothing_of_its_contacts() -> None:
    decided = Decided(
        registered(),
        STRUCTURE,
        "EmployerStructureRegistered",
        stream_id(STRUCTURE),
        1,
        "smartfr",
        NOW,
        STRUCTURE,
        None,
        None,
    )
    [envelope] = to_public([decided])
    assert envelope.event_type == "members.EmployerStructureRegistered"
    assert envelope.data == {
        "employer_structure_id": str(STRUCTURE),
        "siret": SIRET,
        "legal_name": "Les Ateliers du Spectacle",
        "kind": "association",
        "registered_at": "2026-11-26T10:30:00Z",
        # Its public registration (ADR 024): the establishment's address, no contact.
        "address": {"street": "12 rue des Arts", "postal_code": "75011", "city": "Paris", "country": "FR"},
    }


def test_a_status_change_is_published_with_its_date_and_without_its_reason() -> None:
    decided = Decided(
        suspended(),
        STRUCTURE,
        "EmployerStructureSuspended",
        stream_id(STRUCTURE),
        2,
        "smartfr",
        LATER,
        STRUCTURE,
        None,
        None,
    )
    [envelope] = to_public([decided])
    assert envelope.event_type == "members.EmployerStructureStatusChanged"
    assert envelope.data == {
        "employer_structure_id": str(STRUCTURE),
        "status": "suspended",
        "effective_on": suspended().effective_on.isoformat(),
    }
    assert suspended().reason not in str(envelope.data)


# ---- contacts: sealed each with their own key, erased one by one (ADR 008, addendum) --------------------

OTHER_ID = UUID("0197a3c2-5b1e-7c3d-9a4f-2e6b8d1c0f58")
OTHER = Contact(name="Yann Le Goff", email="yann@ateliers.example", role="president")


def erase(contact_id: UUID = CONTACT_ID) -> EraseEmployerContact:
    return EraseEmployerContact(STRUCTURE, contact_id, now=LATER)


def erased(contact_id: UUID = CONTACT_ID) -> EmployerContactErased:
    return EmployerContactErased(employer_structure_id=STRUCTURE, contact_id=contact_id, erased_at=LATER)


def test_each_contact_is_sealed_under_its_own_id_and_nothing_of_them_is_in_clear() -> None:
    state = (
        spec.given()
        .when(registration(contacts=(CONTACT, OTHER), contact_ids=(CONTACT_ID, OTHER_ID)))
        .then(
            registered().model_copy(
                update={
                    "sealed_contacts": (
                        sealed(CONTACT.model_copy(update={"phone": "+33123456789"})),
                        sealed(OTHER, OTHER_ID),
                    )
                }
            )
        )
    )
    assert isinstance(state, EmployerStructure)
    assert state.contact_ids == (CONTACT_ID, OTHER_ID)
    assert registered().contacts == ()  # the clear form is only read, never written


def test_contact_ids_must_be_one_per_contact() -> None:
    spec.given().when(registration(contact_ids=())).then_raises(ValueError, match="contact id")
    spec.given().when(
        registration(contacts=(CONTACT, OTHER), contact_ids=(CONTACT_ID, CONTACT_ID))
    ).then_raises(ValueError, match="distinct")


def test_a_contact_is_erased_and_the_others_stay() -> None:
    given = registered().model_copy(
        update={"sealed_contacts": (*registered().sealed_contacts, sealed(OTHER, OTHER_ID))}
    )
    state = spec.given(given).when(erase()).then(erased())
    assert isinstance(state, EmployerStructure)
    assert (state.contact_ids, state.erased_contacts) == ((CONTACT_ID, OTHER_ID), frozenset({CONTACT_ID}))


def test_erasing_a_contact_twice_is_rejected() -> None:
    spec.given(registered(), erased()).when(erase()).then_raises(ContactAlreadyErased, match=str(CONTACT_ID))


def test_erasing_a_contact_the_structure_does_not_have_is_rejected() -> None:
    spec.given(registered()).when(erase(OTHER_ID)).then_raises(UnknownEmployerContact, match=str(OTHER_ID))


def test_erasing_a_contact_of_an_unknown_structure_is_rejected() -> None:
    spec.given().when(erase()).then_raises(UnknownEmployerStructure)


def test_a_closed_structures_contact_may_still_be_erased() -> None:
    closed = EmployerStructureClosed(
        employer_structure_id=STRUCTURE, reason="dissolved", effective_on=LATER.date(), recorded_at=LATER
    )
    spec.given(registered(), closed).when(erase()).then(erased())


def test_an_event_written_before_sealing_is_still_read_its_contacts_with_derived_ids() -> None:
    """The clear form of older events: decoded, its contacts named by ids derived from their rank."""
    data = registered().model_dump(mode="json", exclude={"sealed_contacts"})
    data["contacts"] = [CONTACT.model_dump(mode="json"), OTHER.model_dump(mode="json")]
    older = _decoded(EMPLOYER_CODEC, "EmployerStructureRegistered", data)
    assert isinstance(older, EmployerStructureRegistered)
    first, second = legacy_contact_id(STRUCTURE, 0), legacy_contact_id(STRUCTURE, 1)
    assert older.contact_ids() == (first, second)
    assert legacy_contact_id(STRUCTURE, 0) == first  # stable: the same on every replay
    state = spec.given(older).when(erase(second)).then(erased(second))
    assert isinstance(state, EmployerStructure)
    assert state.erased_contacts == {second}


def test_a_directory_entry_opens_with_its_contacts_key_only_and_shows_erased_without_it() -> None:
    key, other_key = DataKey.new("smartfr", CONTACT_ID), DataKey.new("smartfr", OTHER_ID)
    fields = CONTACT.model_dump(mode="json")
    entries = [
        {"id": str(CONTACT_ID), "sealed": key.seal(fields)},
        {"id": str(OTHER_ID), "sealed": other_key.seal(OTHER.model_dump(mode="json"))},
        {"id": str(legacy_contact_id(STRUCTURE, 0)), **OTHER.model_dump(mode="json")},
        {"id": str(legacy_contact_id(STRUCTURE, 1)), "erased": True},
    ]
    # OTHER_ID's key is gone (erased) and CONTACT_ID's would not open OTHER_ID's value.
    swapped = {CONTACT_ID: key, OTHER_ID: DataKey.new("smartfr", OTHER_ID)}
    opened = opened_contacts(entries, swapped)
    assert opened[0] == {"id": CONTACT_ID, "erased": False, **fields}
    assert opened[1] == {
        "id": OTHER_ID,
        "erased": True,
        "name": None,
        "email": None,
        "phone": None,
        "role": None,
    }
    assert (opened[2]["erased"], opened[2]["name"]) == (False, "Yann Le Goff")
    assert opened[3]["erased"] is True
    assert opened_contacts(entries[:1], {})[0]["erased"] is True


def test_a_contacts_erasure_publishes_nothing() -> None:
    """Public events never carried contacts: there is nothing for consumers to forget."""
    decided = Decided(
        erased(),
        STRUCTURE,
        "EmployerContactErased",
        stream_id(STRUCTURE),
        2,
        "smartfr",
        LATER,
        STRUCTURE,
        None,
        None,
    )
    assert to_public([decided]) == []


def _decoded(codec: EventCodec[EmployerStructureEvent], event_type: str, data: dict[str, object]) -> object:
    recorded = RecordedEvent(
        global_position=1,
        tx_id=1,
        stream_id=stream_id(STRUCTURE),
        stream_version=1,
        event_id=STRUCTURE,
        event_type=event_type,
        schema_version=1,
        data=data,
        metadata={},
        tenant="smartfr",
        recorded_at=NOW,
    )
    return codec.decode(recorded)
