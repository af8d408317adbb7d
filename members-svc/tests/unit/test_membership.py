"""The membership aggregate: given events, when a command, then events."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from uuid import UUID

from members_svc.bootstrap import CODEC, MEMBERSHIP
from members_svc.domain.membership import (
    AdmitMember,
    ApplyForMembership,
    ChangeMemberDetails,
    ExcludeMember,
    MemberAdmitted,
    MemberApplied,
    MemberDetailsChanged,
    MemberExcluded,
    MemberResigned,
    RegisteredPerson,
    ResignMembership,
)
from members_svc.domain.membership.rules import (
    AlreadyApplied,
    DateBeforeAdmission,
    NotAMember,
    NotAnApplicant,
    NothingToChange,
    ReasonRequired,
    UnknownCategory,
    UnknownMember,
)
from services.testkit.spec import Spec

MEMBER = UUID("0192f0a0-0000-7000-8000-000000000001")
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
spec = Spec(MEMBERSHIP, codec=CODEC)


def seal(fields: Mapping[str, object]) -> str:
    """Stands for the member's key (AES-GCM is random, tested in test_keyring): readable, deterministic."""
    return "sealed:" + json.dumps(fields, sort_keys=True)


def application(category: int | None = 1) -> ApplyForMembership:
    return ApplyForMembership(
        member_id=MEMBER,
        person_kind="natural_person",
        display_name="Camille Martin",
        email="camille@example.org",
        category=category,
        now=NOW,
        seal=seal,
    )


def applied() -> MemberApplied:
    return MemberApplied(
        member_id=MEMBER,
        person_kind="natural_person",
        sealed=seal({"display_name": "Camille Martin", "email": "camille@example.org"}),
        category=1,
        applied_at=NOW,
    )


def change(
    display_name: str | None = None, email: str | None = None, category: int | None = None
) -> ChangeMemberDetails:
    return ChangeMemberDetails(
        member_id=MEMBER, display_name=display_name, email=email, category=category, now=NOW, seal=seal
    )


def test_a_first_application_is_recorded_with_the_time_the_command_carries() -> None:
    state = spec.given().when(application()).then(applied())
    assert state == RegisteredPerson(
        member_id=MEMBER,
        applied_at=NOW,
        person_kind="natural_person",
        category=1,
    )


def test_applying_twice_under_one_id_is_rejected() -> None:
    spec.given(applied()).when(application()).then_raises(AlreadyApplied, match="already applied")


def test_a_category_outside_the_nine_is_rejected() -> None:
    spec.given().when(application(category=10)).then_raises(UnknownCategory, match="category 10")


def test_a_members_details_are_corrected_and_the_rest_is_kept() -> None:
    state = (
        spec.given(applied())
        .when(change(display_name="Camille Martin-Durand"))
        .then(
            MemberDetailsChanged(
                member_id=MEMBER, sealed=seal({"display_name": "Camille Martin-Durand"}), changed_at=NOW
            )
        )
    )
    assert isinstance(state, RegisteredPerson)
    assert state.category == 1


def test_the_details_of_nobody_cannot_be_changed() -> None:
    spec.given().when(change(category=2)).then_raises(UnknownMember)


def test_a_change_that_names_no_field_is_rejected() -> None:
    spec.given(applied()).when(change()).then_raises(NothingToChange)


def test_a_change_to_an_unknown_category_is_rejected() -> None:
    spec.given(applied()).when(change(category=0)).then_raises(UnknownCategory)


ADMITTED_ON = date(2026, 12, 3)


def admitted() -> MemberAdmitted:
    return MemberAdmitted(member_id=MEMBER, decided_by="board", admitted_on=ADMITTED_ON, recorded_at=NOW)


def test_an_applicant_is_admitted_by_the_body_the_statutes_name() -> None:
    state = spec.given(applied()).when(AdmitMember(MEMBER, "board", ADMITTED_ON, now=NOW)).then(admitted())
    assert isinstance(state, RegisteredPerson)
    assert (state.status, state.admitted_on) == ("admitted", ADMITTED_ON)


def test_admitting_twice_is_rejected() -> None:
    spec.given(applied(), admitted()).when(
        AdmitMember(MEMBER, "general_assembly", ADMITTED_ON, now=NOW)
    ).then_raises(NotAnApplicant, match="admitted, not an applicant")


def test_nobody_can_be_admitted() -> None:
    spec.given().when(AdmitMember(MEMBER, "board", ADMITTED_ON, now=NOW)).then_raises(UnknownMember)


def test_a_member_resigns_and_leaves_on_that_date() -> None:
    left_on = date(2027, 6, 30)
    state = (
        spec.given(applied(), admitted())
        .when(ResignMembership(MEMBER, left_on, "moving", now=NOW))
        .then(MemberResigned(member_id=MEMBER, resigned_on=left_on, reason="moving", recorded_at=NOW))
    )
    assert isinstance(state, RegisteredPerson)
    assert (state.status, state.left_on) == ("resigned", left_on)


def test_an_applicant_cannot_resign_before_being_admitted() -> None:
    spec.given(applied()).when(ResignMembership(MEMBER, ADMITTED_ON, None, now=NOW)).then_raises(NotAMember)


def test_a_resignation_dated_before_the_admission_is_rejected() -> None:
    spec.given(applied(), admitted()).when(
        ResignMembership(MEMBER, date(2026, 12, 1), None, now=NOW)
    ).then_raises(DateBeforeAdmission)


def test_a_member_is_excluded_for_a_stated_reason() -> None:
    excluded_on = date(2027, 2, 1)
    state = (
        spec.given(applied(), admitted())
        .when(ExcludeMember(MEMBER, "general_assembly", excluded_on, "art. 9", now=NOW))
        .then(
            MemberExcluded(
                member_id=MEMBER,
                decided_by="general_assembly",
                excluded_on=excluded_on,
                reason="art. 9",
                recorded_at=NOW,
            )
        )
    )
    assert isinstance(state, RegisteredPerson)
    assert (state.status, state.left_on) == ("excluded", excluded_on)


def test_an_exclusion_without_a_reason_is_rejected() -> None:
    spec.given(applied(), admitted()).when(
        ExcludeMember(MEMBER, "board", date(2027, 2, 1), "  ", now=NOW)
    ).then_raises(ReasonRequired)


def test_a_member_who_left_cannot_leave_again() -> None:
    resigned = MemberResigned(member_id=MEMBER, resigned_on=date(2027, 6, 30), recorded_at=NOW)
    spec.given(applied(), admitted(), resigned).when(
        ExcludeMember(MEMBER, "board", date(2027, 7, 1), "art. 9", now=NOW)
    ).then_raises(NotAMember)
