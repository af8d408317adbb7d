"""The membership aggregate: given events, when a command, then events."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from members_svc.bootstrap import CODEC, MEMBERSHIP
from members_svc.domain.membership import (
    Applicant,
    ApplyForMembership,
    ChangeMemberDetails,
    MemberApplied,
    MemberDetailsChanged,
)
from members_svc.domain.membership.rules import (
    AlreadyApplied,
    NothingToChange,
    UnknownCategory,
    UnknownMember,
)
from services.testkit.spec import Spec

MEMBER = UUID("0192f0a0-0000-7000-8000-000000000001")
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
spec = Spec(MEMBERSHIP, codec=CODEC)


def application(category: int | None = 1) -> ApplyForMembership:
    return ApplyForMembership(
        member_id=MEMBER,
        person_kind="natural_person",
        display_name="Camille Martin",
        email="camille@example.org",
        category=category,
        now=NOW,
    )


def applied() -> MemberApplied:
    return MemberApplied(
        member_id=MEMBER,
        person_kind="natural_person",
        display_name="Camille Martin",
        email="camille@example.org",
        category=1,
        applied_at=NOW,
    )


def change(
    display_name: str | None = None, email: str | None = None, category: int | None = None
) -> ChangeMemberDetails:
    return ChangeMemberDetails(
        member_id=MEMBER, display_name=display_name, email=email, category=category, now=NOW
    )


def test_a_first_application_is_recorded_with_the_time_the_command_carries() -> None:
    state = spec.given().when(application()).then(applied())
    assert state == Applicant(
        member_id=MEMBER,
        applied_at=NOW,
        person_kind="natural_person",
        display_name="Camille Martin",
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
        .then(MemberDetailsChanged(member_id=MEMBER, display_name="Camille Martin-Durand", changed_at=NOW))
    )
    assert isinstance(state, Applicant)
    assert state.display_name == "Camille Martin-Durand"
    assert state.category == 1


def test_the_details_of_nobody_cannot_be_changed() -> None:
    spec.given().when(change(category=2)).then_raises(UnknownMember)


def test_a_change_that_names_no_field_is_rejected() -> None:
    spec.given(applied()).when(change()).then_raises(NothingToChange)


def test_a_change_to_an_unknown_category_is_rejected() -> None:
    spec.given(applied()).when(change(category=0)).then_raises(UnknownCategory)
