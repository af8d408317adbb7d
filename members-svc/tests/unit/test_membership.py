"""The membership aggregate: given events, when a command, then events."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from members_svc.bootstrap import CODEC, MEMBERSHIP
from members_svc.domain.membership import Applicant, ApplyForMembership, MemberApplied
from members_svc.domain.membership.apply_for_membership import AlreadyApplied, UnknownCategory
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


def test_a_first_application_is_recorded_with_the_time_the_command_carries() -> None:
    state = spec.given().when(application()).then(applied())
    assert state == Applicant(member_id=MEMBER, applied_at=NOW)


def test_applying_twice_under_one_id_is_rejected() -> None:
    spec.given(applied()).when(application()).then_raises(AlreadyApplied, match="already applied")


def test_a_category_outside_the_nine_is_rejected() -> None:
    spec.given().when(application(category=10)).then_raises(UnknownCategory, match="category 10")
