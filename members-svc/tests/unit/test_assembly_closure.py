"""Closing a general assembly: given the convocation and the ballots, when closed, then each resolution's
weighted result as it stands (a worked example computed by hand), and no ballot or closure after it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from members_svc.domain.assemblies import (
    AssemblyClosed,
    AssemblyConvened,
    CastVote,
    CloseAssembly,
    Resolution,
    ResolutionOutcome,
    VoteCast,
)
from members_svc.domain.assemblies.rules import AssemblyClosedToVotes, UnknownAssembly
from members_svc.domain.assemblies.statutes import SMARTFR
from members_svc.read_models.assembly_results import ASSEMBLY, CODEC
from services.testkit.spec import Spec

spec = Spec(ASSEMBLY, codec=CODEC)
ASSEMBLY_ID = UUID("0192f0a0-0000-7000-8000-0000000000a2")
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
LATER = datetime(2027, 6, 15, 18, 0, tzinfo=UTC)
CLOSE = CloseAssembly(assembly_id=ASSEMBLY_ID, closed_on=date(2027, 6, 15), now=LATER)


def convened() -> AssemblyConvened:
    return AssemblyConvened(
        assembly_id=ASSEMBLY_ID,
        title="AGO 2027",
        kind="ordinary",
        held_on=date(2027, 6, 15),
        members_convened=10,
        resolutions=(Resolution(number=1, title="Accounts 2026"), Resolution(number=2, title="Result")),
        colleges=SMARTFR.colleges,
        rules=SMARTFR.rules_for("ordinary"),
        convened_at=NOW,
    )


def cast(resolution: int, choice: str, *, member: UUID, category: int = 1) -> VoteCast:
    college = next(c.code for c in SMARTFR.colleges if category in c.categories)
    return VoteCast(
        assembly_id=ASSEMBLY_ID,
        member_id=member,
        category=category,
        college=college,
        resolution=resolution,
        choice=choice,  # type: ignore[arg-type]
        cast_at=NOW,
    )


def member(n: int) -> UUID:
    return UUID(f"0192f0a0-0000-7000-8000-0000000001{n:02d}")


# Five of the ten members convened vote (quorum: a fifth). SmartFr's colleges: beneficiaries 25 %, employees
# 25 %, partners and clients 40 %, economic partners 10 %; nobody of the last votes, so its 10 % is shared pro
# rata: each other college weighs its weight x 100/90.
BALLOTS = [
    # resolution 1: beneficiaries 2 yes 1 no, employee no, partner yes
    cast(1, "yes", member=member(1), category=1),
    cast(1, "yes", member=member(2), category=2),
    cast(1, "no", member=member(3), category=3),
    cast(1, "no", member=member(4), category=4),
    cast(1, "yes", member=member(5), category=5),
    # resolution 2: beneficiaries 1 yes 2 no, employee yes, partner no
    cast(2, "yes", member=member(1), category=1),
    cast(2, "no", member=member(2), category=2),
    cast(2, "no", member=member(3), category=3),
    cast(2, "yes", member=member(4), category=4),
    cast(2, "no", member=member(5), category=5),
]


def test_closing_records_each_resolutions_weighted_result_as_it_stands() -> None:
    # Resolution 1: 25 x 10/9 x 2/3 + 25 x 10/9 x 0 + 40 x 10/9 x 1 = 500/27 + 1200/27 = 1700/27 = 62.96 %
    # Resolution 2: 25 x 10/9 x 1/3 + 25 x 10/9 x 1 + 40 x 10/9 x 0 = 250/27 + 750/27 = 1000/27 = 37.04 %
    spec.given(convened(), *BALLOTS).when(CLOSE).then(
        AssemblyClosed(
            assembly_id=ASSEMBLY_ID,
            closed_on=date(2027, 6, 15),
            participants=5,
            outcomes=(
                ResolutionOutcome(number=1, yes_percent=Decimal("62.96"), quorum_reached=True, adopted=True),
                ResolutionOutcome(number=2, yes_percent=Decimal("37.04"), quorum_reached=True, adopted=False),
            ),
            closed_at=LATER,
        )
    )


def test_without_quorum_nothing_is_adopted() -> None:
    # One member of ten votes: 10 % < 20 %, so even a unanimous yes adopts nothing.
    spec.given(convened(), cast(1, "yes", member=member(1))).when(CLOSE).then(
        AssemblyClosed(
            assembly_id=ASSEMBLY_ID,
            closed_on=date(2027, 6, 15),
            participants=1,
            outcomes=(
                ResolutionOutcome(
                    number=1, yes_percent=Decimal("100.00"), quorum_reached=False, adopted=False
                ),
                ResolutionOutcome(number=2, yes_percent=Decimal("0.00"), quorum_reached=False, adopted=False),
            ),
            closed_at=LATER,
        )
    )


def closed() -> AssemblyClosed:
    return AssemblyClosed(
        assembly_id=ASSEMBLY_ID, closed_on=date(2027, 6, 15), participants=0, outcomes=(), closed_at=LATER
    )


def test_no_ballot_after_the_closure() -> None:
    ballot = CastVote(
        assembly_id=ASSEMBLY_ID, member_id=member(1), category=1, votes=((1, "yes"),), now=LATER
    )
    spec.given(convened(), closed()).when(ballot).then_raises(AssemblyClosedToVotes)


def test_closing_twice_is_refused() -> None:
    spec.given(convened(), closed()).when(CLOSE).then_raises(AssemblyClosedToVotes)


def test_an_unknown_assembly_cannot_be_closed() -> None:
    spec.given().when(CLOSE).then_raises(UnknownAssembly)
