"""Record a natural person's data (names, birth, NIR, address, e-mail, phone, IBAN), sealed with their key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from members_svc.domain.membership.events import PersonalDataErased, PersonalDataRecorded
from members_svc.domain.membership.rules import UnknownMember
from members_svc.domain.membership.state import MembershipState, RegisteredPerson
from members_svc.domain.personal_data import (
    AlreadyErased,
    NotANaturalPerson,
    PersonalData,
    Sealer,
    checked,
)

PARIS = ZoneInfo("Europe/Paris")  # business dates (a birth date "in the future") are French dates


@dataclass(frozen=True)
class RecordPersonalData:
    member_id: UUID
    personal_data: PersonalData
    now: datetime
    seal: Sealer


@dataclass(frozen=True)
class ErasePersonalData:
    """The person asked to be forgotten (RGPD art. 17): their key goes, their membership history stays."""

    member_id: UUID
    now: datetime


def _natural_person(member_id: UUID, state: MembershipState) -> RegisteredPerson:
    if not isinstance(state, RegisteredPerson):
        raise UnknownMember(f"no member {member_id}")
    if state.person_kind != "natural_person":
        raise NotANaturalPerson(f"member {member_id} is a legal entity: it has no personal data")
    if state.erased:
        raise AlreadyErased(f"member {member_id}'s personal data was erased")
    return state


def decide_record(command: RecordPersonalData, state: MembershipState) -> list[PersonalDataRecorded]:
    _natural_person(command.member_id, state)
    data = checked(command.personal_data, today=command.now.astimezone(PARIS).date())
    return [
        PersonalDataRecorded(
            member_id=command.member_id,
            sealed=command.seal(data.as_json()),
            fields=data.fields_set(),
            recorded_at=command.now,
        )
    ]


def decide_erase(command: ErasePersonalData, state: MembershipState) -> list[PersonalDataErased]:
    _natural_person(command.member_id, state)
    return [PersonalDataErased(member_id=command.member_id, erased_at=command.now)]
