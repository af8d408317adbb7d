"""A natural person's data: given events, when a command, then events (or the field it refuses)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from members_svc.bootstrap import CODEC, MEMBERSHIP
from members_svc.domain.membership import (
    ApplyForMembership,
    ChangeMemberDetails,
    ErasePersonalData,
    MemberApplied,
    MemberDetailsChanged,
    PersonalDataErased,
    PersonalDataRecorded,
    RecordPersonalData,
    RegisteredPerson,
)
from members_svc.domain.membership.rules import UnknownMember
from members_svc.domain.personal_data import (
    AlreadyErased,
    InvalidPersonalData,
    NotANaturalPerson,
    PersonalData,
    PostalAddress,
)
from services.testkit.spec import Spec

MEMBER = UUID("0192f0a0-0000-7000-8000-000000000002")
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
spec = Spec(MEMBERSHIP, codec=CODEC)

CORSICAN_NIR = "2 69 05 2A 004 171 63"  # born in May 1969 in Corse-du-Sud (2A)
IBAN = "FR76 3000 6000 0000 0112 3456 786"


def seal(fields: Mapping[str, object]) -> str:
    """Stands for the person's key (AES-GCM is random, tested in test_keyring): readable, deterministic."""
    return "sealed:" + json.dumps(fields, sort_keys=True)


def applied(person_kind: str = "natural_person") -> MemberApplied:
    return MemberApplied(
        member_id=MEMBER,
        person_kind=person_kind,  # type: ignore[arg-type]
        sealed=seal({"display_name": "Camille Martin"}),
        applied_at=NOW,
    )


def camille(**changes: object) -> PersonalData:
    fields: dict[str, object] = {
        "family_name": "  Martin ",
        "given_names": "Camille Louise",
        "birth_date": date(1969, 5, 14),
        "birth_place": "Ajaccio",
        "nir": CORSICAN_NIR,
        "address": PostalAddress(("12 rue des Lilas",), "20000", "Ajaccio"),
        "email": "Camille.Martin@Example.org",
        "phone": "06 12 34 56 78",
        "iban": IBAN,
    }
    return PersonalData(**{**fields, **changes})  # type: ignore[arg-type]


def record(data: PersonalData) -> RecordPersonalData:
    return RecordPersonalData(MEMBER, data, now=NOW, seal=seal)


def test_a_persons_data_is_recorded_sealed_each_field_in_its_canonical_form() -> None:
    expected = {
        "family_name": "Martin",
        "given_names": "Camille Louise",
        "birth_date": "1969-05-14",
        "birth_place": "Ajaccio",
        "nir": "269052A00417163",
        "address": {
            "lines": ["12 rue des Lilas"],
            "postal_code": "20000",
            "city": "Ajaccio",
            "country": "FR",
        },
        "email": "Camille.Martin@example.org",
        "phone": "+33612345678",
        "iban": "FR7630006000000001123456786",
    }
    spec.given(applied()).when(record(camille())).then(
        PersonalDataRecorded(
            member_id=MEMBER,
            sealed=seal(expected),
            fields=(
                "family_name",
                "given_names",
                "birth_date",
                "birth_place",
                "nir",
                "address",
                "email",
                "phone",
                "iban",
            ),
            recorded_at=NOW,
        )
    )


def test_the_recorded_event_holds_no_value_in_clear() -> None:
    recorded = spec.given(applied()).when(record(camille(iban=None, phone=None)))
    state = recorded.then(
        PersonalDataRecorded(
            member_id=MEMBER,
            sealed=seal(
                camille(
                    family_name="Martin",
                    nir="269052A00417163",
                    email="Camille.Martin@example.org",
                    iban=None,
                    phone=None,
                ).as_json()
            ),
            fields=("family_name", "given_names", "birth_date", "birth_place", "nir", "address", "email"),
            recorded_at=NOW,
        )
    )
    assert isinstance(state, RegisteredPerson)
    event = PersonalDataRecorded(member_id=MEMBER, sealed="v1:opaque", fields=("nir",), recorded_at=NOW)
    assert set(event.model_dump()) == {"member_id", "sealed", "fields", "recorded_at"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"nir": "2 69 05 2A 004 171 64"}, "nir"),  # wrong key
        ({"nir": "2 69 05 2C 004 171 63"}, "nir"),  # no department 2C
        ({"nir": "269052A004171"}, "nir"),  # key missing
        ({"nir": CORSICAN_NIR, "birth_date": date(1970, 5, 14)}, "nir"),  # born 1969 says the NIR
        ({"nir": CORSICAN_NIR, "birth_date": date(1969, 6, 14)}, "nir"),  # born in May says the NIR
        ({"iban": "FR76 3000 6000 0000 0112 3456 787"}, "iban"),  # wrong checksum
        ({"iban": "XX00 1234"}, "iban"),
        ({"email": "camille@"}, "email"),
        ({"email": "camille martin@example.org"}, "email"),
        ({"phone": "06 12"}, "phone"),
        ({"phone": "abc-def-ghij"}, "phone"),
        ({"birth_date": date(2026, 11, 27), "nir": None}, "birth_date"),  # tomorrow in Paris
        ({"birth_date": date(1899, 12, 31), "nir": None}, "birth_date"),
        ({"address": PostalAddress(("1 rue",), "2000", "Ajaccio")}, "address.postal_code"),
        ({"address": PostalAddress((), "20000", "Ajaccio")}, "address.lines"),
        ({"address": PostalAddress(("1 rue",), "20000", "Ajaccio", "France")}, "address.country"),
        ({"family_name": "   "}, "family_name"),
        ({"given_names": "Camille\x00"}, "given_names"),
    ],
    ids=[
        "nir-wrong-key",
        "nir-no-such-department",
        "nir-too-short",
        "nir-other-birth-year",
        "nir-other-birth-month",
        "iban-wrong-checksum",
        "iban-garbage",
        "email-no-domain",
        "email-space",
        "phone-too-short",
        "phone-garbage",
        "birth-date-in-the-future",
        "birth-date-before-1900",
        "postal-code-of-4-digits",
        "address-without-lines",
        "country-not-iso",
        "family-name-blank",
        "given-names-control-character",
    ],
)
def test_an_invalid_field_is_refused_naming_it_and_not_its_value(
    changes: dict[str, object], field: str
) -> None:
    refused = spec.given(applied()).when(record(camille(**changes))).then_raises(InvalidPersonalData)
    assert refused.field == field
    for value in changes.values():
        if isinstance(value, str) and value.strip():
            assert value not in str(refused)  # the value is personal data: problem details do not repeat it


def test_a_corsican_nir_of_haute_corse_is_accepted() -> None:
    haute_corse = "1 85 05 2B 033 123"
    from stdnum.fr import nir

    number = haute_corse.replace(" ", "")
    data = camille(nir=number + nir.calc_check_digits(number), birth_date=date(1985, 5, 2))
    decided = MEMBERSHIP.decide(record(data), MEMBERSHIP.fold([applied()]))
    assert isinstance(decided[0], PersonalDataRecorded)
    assert "nir" in decided[0].fields


def test_a_nir_with_an_unknown_birth_month_only_checks_the_year() -> None:
    from stdnum.fr import nir

    number = "1852099341732"  # month 20: unknown at registration
    data = camille(nir=number + nir.calc_check_digits(number), birth_date=date(1985, 11, 2))
    decided = MEMBERSHIP.decide(record(data), MEMBERSHIP.fold([applied()]))
    assert isinstance(decided[0], PersonalDataRecorded)


def test_a_legal_entity_has_no_personal_data() -> None:
    spec.given(applied("legal_entity")).when(record(camille())).then_raises(NotANaturalPerson)


def test_the_data_of_nobody_cannot_be_recorded() -> None:
    spec.given().when(record(camille())).then_raises(UnknownMember)


def erased() -> PersonalDataErased:
    return PersonalDataErased(member_id=MEMBER, erased_at=NOW)


def test_a_person_is_erased_and_the_membership_stays() -> None:
    state = spec.given(applied()).when(ErasePersonalData(MEMBER, now=NOW)).then(erased())
    assert isinstance(state, RegisteredPerson)
    assert state.erased
    assert (state.status, state.category) == ("applied", None)


def test_erasing_twice_is_refused() -> None:
    spec.given(applied(), erased()).when(ErasePersonalData(MEMBER, now=NOW)).then_raises(AlreadyErased)


def test_a_legal_entity_cannot_be_erased() -> None:
    spec.given(applied("legal_entity")).when(ErasePersonalData(MEMBER, now=NOW)).then_raises(
        NotANaturalPerson
    )


def test_nobody_cannot_be_erased() -> None:
    spec.given().when(ErasePersonalData(MEMBER, now=NOW)).then_raises(UnknownMember)


def test_no_data_is_recorded_after_an_erasure() -> None:
    spec.given(applied(), erased()).when(record(camille())).then_raises(AlreadyErased)


def test_no_name_is_recorded_after_an_erasure() -> None:
    change = ChangeMemberDetails(
        MEMBER, display_name="Camille", email=None, category=None, now=NOW, seal=seal
    )
    spec.given(applied(), erased()).when(change).then_raises(AlreadyErased)


def test_an_erased_members_category_still_changes() -> None:
    change = ChangeMemberDetails(MEMBER, display_name=None, email=None, category=4, now=NOW, seal=seal)
    spec.given(applied(), erased()).when(change).then(
        MemberDetailsChanged(member_id=MEMBER, category=4, changed_at=NOW)
    )


def test_an_application_seals_the_name_and_the_normalized_email() -> None:
    command = ApplyForMembership(
        MEMBER, "natural_person", "Camille Martin", "camille@EXAMPLE.org", category=2, now=NOW, seal=seal
    )
    spec.given().when(command).then(
        MemberApplied(
            member_id=MEMBER,
            person_kind="natural_person",
            sealed=seal({"display_name": "Camille Martin", "email": "camille@example.org"}),
            category=2,
            applied_at=NOW,
        )
    )


def test_an_application_with_an_invalid_email_is_refused_naming_it() -> None:
    command = ApplyForMembership(MEMBER, "natural_person", "Camille", "camille@", None, now=NOW, seal=seal)
    assert spec.given().when(command).then_raises(InvalidPersonalData).field == "email"


def test_events_recorded_before_sealing_still_read() -> None:
    legacy = CODEC.decode_data(
        "MemberApplied",
        1,
        {
            "member_id": str(MEMBER),
            "person_kind": "natural_person",
            "display_name": "Camille Martin",
            "email": "camille@example.org",
            "applied_at": NOW.isoformat(),
        },
    )
    assert isinstance(legacy, MemberApplied)
    assert (legacy.display_name, legacy.sealed) == ("Camille Martin", None)
