"""The general assembly aggregate: given events, when a command, then events; and the weighted result."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from uuid import UUID

import pytest

from members_svc.domain.assemblies import (
    Assembly,
    AssemblyConvened,
    CastVote,
    College,
    ConveneAssembly,
    Resolution,
    VoteCast,
)
from members_svc.domain.assemblies.result import Tally, percent, weighted_result
from members_svc.domain.assemblies.rules import (
    AlreadyVoted,
    AssemblyAlreadyConvened,
    CategoryChanged,
    CategoryWithoutCollege,
    EmptyBallot,
    InvalidCollegeConfiguration,
    NoResolution,
    UnknownAssembly,
    UnknownResolution,
    check_configuration,
)
from members_svc.domain.assemblies.statutes import SMARTFR, TENANTS, configuration_of
from members_svc.read_models.assembly_results import ASSEMBLY, CODEC
from services.testkit.spec import Spec

ASSEMBLY_ID = UUID("0192f0a0-0000-7000-8000-0000000000a1")
CAMILLE = UUID("0192f0a0-0000-7000-8000-000000000001")
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
spec = Spec(ASSEMBLY, codec=CODEC)


def convene(**changes: object) -> ConveneAssembly:
    command = ConveneAssembly(
        assembly_id=ASSEMBLY_ID,
        title="AGO 2027",
        kind="ordinary",
        held_on=date(2027, 6, 15),
        members_convened=10,
        resolutions=("Approval of the 2026 accounts", "Appropriation of the result"),
        configuration=SMARTFR,
        now=NOW,
    )
    return replace(command, **changes)  # type: ignore[arg-type]


def convened() -> AssemblyConvened:
    return AssemblyConvened(
        assembly_id=ASSEMBLY_ID,
        title="AGO 2027",
        kind="ordinary",
        held_on=date(2027, 6, 15),
        members_convened=10,
        resolutions=(
            Resolution(number=1, title="Approval of the 2026 accounts"),
            Resolution(number=2, title="Appropriation of the result"),
        ),
        colleges=SMARTFR.colleges,
        rules=SMARTFR.rules_for("ordinary"),
        convened_at=NOW,
    )


def vote(*votes: tuple[int, str], member: UUID = CAMILLE, category: int = 1) -> CastVote:
    return CastVote(
        assembly_id=ASSEMBLY_ID,
        member_id=member,
        category=category,
        votes=votes,  # type: ignore[arg-type]
        now=NOW,
    )


def cast(resolution: int, choice: str, *, member: UUID = CAMILLE, category: int = 1) -> VoteCast:
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


# ---- the college configuration ----------------------------------------------------


def test_smartfrs_colleges_are_those_of_domain_md_and_within_the_law() -> None:
    check_configuration(SMARTFR)
    weights = {c.code: c.weight for c in SMARTFR.colleges}
    assert weights == {
        "beneficiaries": Decimal(25),
        "employees": Decimal(25),
        "partners_and_clients": Decimal(40),
        "economic_partners_and_local_authorities": Decimal(10),
    }
    placed = sorted(category for c in SMARTFR.colleges for category in c.categories)
    assert placed == list(range(1, 10))
    assert configuration_of("smartfr") is TENANTS["smartfr"]


def with_weights(*weights: int) -> object:
    colleges = tuple(
        replace_college(c, weight=Decimal(w)) for c, w in zip(SMARTFR.colleges, weights, strict=True)
    )
    return replace(SMARTFR, colleges=colleges)


def replace_college(college: College, **changes: object) -> College:
    return college.model_copy(update=changes)


def test_convening_records_the_colleges_and_the_rules_of_the_assemblys_kind() -> None:
    state = spec.given().when(convene()).then(convened())
    assert isinstance(state, Assembly)
    assert state.resolutions == frozenset({1, 2})


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        ((55, 15, 20, 10), "beneficiaries weighs 55 %"),  # above 50 %
        ((25, 25, 45, 5), "economic_partners_and_local_authorities weighs 5 %"),  # below 10 %
        ((25, 25, 40, 20), "add up to 110 %"),
    ],
    ids=["college-over-50", "college-under-10", "not-100"],
)
def test_a_college_configuration_outside_the_law_is_refused(weights: tuple[int, ...], match: str) -> None:
    configuration = with_weights(*weights)
    spec.given().when(convene(configuration=configuration)).then_raises(
        InvalidCollegeConfiguration, match=match
    )


def test_colleges_sharing_a_category_are_refused() -> None:
    first, second, *rest = SMARTFR.colleges
    overlapping = replace(SMARTFR, colleges=(first, replace_college(second, categories=(3, 4)), *rest))
    spec.given().when(convene(configuration=overlapping)).then_raises(InvalidCollegeConfiguration)


def test_an_assembly_without_resolution_is_refused() -> None:
    spec.given().when(convene(resolutions=())).then_raises(NoResolution)


def test_convening_twice_under_one_id_is_refused() -> None:
    spec.given(convened()).when(convene()).then_raises(AssemblyAlreadyConvened)


# ---- votes ---------------------------------------------------------------------------


def test_a_ballot_casts_one_vote_per_resolution_in_the_college_of_the_category() -> None:
    state = (
        spec.given(convened())
        .when(vote((1, "yes"), (2, "abstain"), category=7))
        .then(cast(1, "yes", category=7), cast(2, "abstain", category=7))
    )
    assert isinstance(state, Assembly)
    assert state.voted == {(CAMILLE, 1), (CAMILLE, 2)}
    assert cast(1, "yes", category=7).college == "economic_partners_and_local_authorities"


def test_voting_twice_on_a_resolution_is_refused() -> None:
    spec.given(convened(), cast(1, "yes")).when(vote((1, "no"))).then_raises(
        AlreadyVoted, match="already voted on resolution 1"
    )


def test_a_ballot_naming_a_resolution_twice_is_refused() -> None:
    spec.given(convened()).when(vote((1, "yes"), (1, "no"))).then_raises(AlreadyVoted)


def test_a_member_votes_later_on_another_resolution() -> None:
    spec.given(convened(), cast(1, "yes")).when(vote((2, "no"))).then(cast(2, "no"))


def test_a_member_votes_in_one_college_for_the_whole_assembly() -> None:
    spec.given(convened(), cast(1, "yes")).when(vote((2, "no"), category=4)).then_raises(
        CategoryChanged, match="under category 1"
    )


def test_a_vote_in_no_assembly_is_refused() -> None:
    spec.given().when(vote((1, "yes"))).then_raises(UnknownAssembly)


def test_a_vote_on_an_unknown_resolution_is_refused() -> None:
    spec.given(convened()).when(vote((3, "yes"))).then_raises(UnknownResolution, match="resolution 3")


def test_a_category_of_no_college_is_refused() -> None:
    spec.given(convened()).when(vote((1, "yes"), category=10)).then_raises(CategoryWithoutCollege)


def test_an_empty_ballot_is_refused() -> None:
    spec.given(convened()).when(vote()).then_raises(EmptyBallot)


# ---- the weighted result, worked by hand ----------------------------------------------
#
# Resolution 1 of SmartFr's ordinary assembly, 10 members convened, 9 take part:
#   beneficiaries (25 %): 3 yes, 1 no                -> 3/4 yes
#   employees (25 %): 1 yes, 1 no                    -> 1/2 yes
#   partners and clients (40 %): 1 yes, 1 no, 1 abstains -> 1/2 yes (abstentions are not votes cast)
#   economic partners and local authorities (10 %): nobody votes
# Redistributed, the three voting colleges weigh 90 %: 25/90, 25/90, 40/90 of 100 %, so
#   yes = (25 × 3/4 + 25 × 1/2 + 40 × 1/2) / 90 × 100 = 51.25 / 90 × 100 = 56.944... % -> adopted.
# Not redistributed: yes = 25 × 3/4 + 25 × 1/2 + 40 × 1/2 = 51.25 % -> adopted, by less.

TALLIES = {
    "beneficiaries": Tally(yes=3, no=1),
    "employees": Tally(yes=1, no=1),
    "partners_and_clients": Tally(yes=1, no=1, abstain=1),
}


def test_the_weighted_result_shares_an_empty_colleges_weight_pro_rata() -> None:
    rules = SMARTFR.rules_for("ordinary")
    result = weighted_result(SMARTFR.colleges, TALLIES, rules, participants=9, members_convened=10)
    by_hand = (
        (Fraction(25) * Fraction(3, 4) + Fraction(25) * Fraction(1, 2) + Fraction(40) * Fraction(1, 2))
        / 90
        * 100
    )
    assert result.yes == by_hand == Fraction(51_25, 90_00) * 100
    assert percent(result.yes) == Decimal("56.94")
    weights = {r.college.code: r.effective_weight for r in result.colleges}
    assert weights == {
        "beneficiaries": Fraction(250, 9),
        "employees": Fraction(250, 9),
        "partners_and_clients": Fraction(400, 9),
        "economic_partners_and_local_authorities": 0,
    }
    assert result.quorum_reached
    assert result.adopted


def test_the_tenant_may_keep_an_empty_colleges_weight_from_the_others() -> None:
    rules = SMARTFR.rules_for("ordinary").model_copy(update={"redistribute_empty_colleges": False})
    result = weighted_result(SMARTFR.colleges, TALLIES, rules, participants=9, members_convened=10)
    assert percent(result.yes) == Decimal("51.25")
    assert result.adopted


def test_abstentions_count_as_votes_cast_when_the_statutes_say_so() -> None:
    rules = SMARTFR.rules_for("ordinary").model_copy(update={"abstentions_are_votes_cast": True})
    result = weighted_result(SMARTFR.colleges, TALLIES, rules, participants=9, members_convened=10)
    # partners and clients: 1 yes of 3 votes cast; (25 × 3/4 + 25 × 1/2 + 40 × 1/3) / 90 × 100
    assert result.yes == (Fraction(75, 4) + Fraction(25, 2) + Fraction(40, 3)) / 90 * 100
    assert percent(result.yes) == Decimal("49.54")
    assert not result.adopted


def test_below_the_quorum_nothing_is_adopted() -> None:
    rules = SMARTFR.rules_for("ordinary")  # a fifth of the members convened must take part
    result = weighted_result(SMARTFR.colleges, TALLIES, rules, participants=9, members_convened=46)
    assert not result.quorum_reached
    assert not result.adopted
    assert weighted_result(SMARTFR.colleges, TALLIES, rules, participants=9, members_convened=45).adopted


def test_an_extraordinary_assembly_needs_two_thirds() -> None:
    rules = SMARTFR.rules_for("extraordinary")
    result = weighted_result(SMARTFR.colleges, TALLIES, rules, participants=9, members_convened=10)
    assert not result.adopted  # 56.94 % < 2/3


def test_with_no_vote_at_all_nothing_is_adopted() -> None:
    rules = SMARTFR.rules_for("ordinary")
    result = weighted_result(SMARTFR.colleges, {}, rules, participants=0, members_convened=0)
    assert result.yes == 0
    assert not result.adopted
