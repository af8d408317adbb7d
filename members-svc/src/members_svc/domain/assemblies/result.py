"""The weighted result of a resolution: Σ weight × (yes / votes cast in the college), pure and exact.

A college with no vote cast has its weight shared among the others pro rata to their weights, unless the
rules say not (then its weight simply counts no yes). Computed with fractions; shown in percent to 0.01.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from members_svc.domain.assemblies.colleges import College, VotingRules

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Tally:
    yes: int = 0
    no: int = 0
    abstain: int = 0

    def cast(self, rules: VotingRules) -> int:
        return self.yes + self.no + (self.abstain if rules.abstentions_are_votes_cast else 0)


@dataclass(frozen=True)
class CollegeResult:
    college: College
    tally: Tally
    effective_weight: Fraction  # percent, after any redistribution
    yes_share: Fraction | None  # yes / votes cast in the college; None: no vote cast


@dataclass(frozen=True)
class ResolutionResult:
    colleges: tuple[CollegeResult, ...]
    yes: Fraction  # percent of the weighted votes
    quorum_reached: bool
    adopted: bool


def percent(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(CENT, ROUND_HALF_EVEN)


def quorum_reached(participants: int, members_convened: int, rules: VotingRules) -> bool:
    return Fraction(participants * 100) >= Fraction(rules.quorum) * members_convened


def weighted_result(
    colleges: tuple[College, ...],
    tallies: Mapping[str, Tally],
    rules: VotingRules,
    *,
    participants: int,
    members_convened: int,
) -> ResolutionResult:
    counted = [(college, tallies.get(college.code, Tally())) for college in colleges]
    voting = sum((Fraction(c.weight) for c, t in counted if t.cast(rules) > 0), Fraction(0))
    total = sum((Fraction(c.weight) for c in colleges), Fraction(0))
    results = []
    for college, tally in counted:
        cast = tally.cast(rules)
        if cast == 0:
            results.append(CollegeResult(college, tally, Fraction(0), None))
            continue
        weight = Fraction(college.weight)
        if rules.redistribute_empty_colleges:
            weight = weight * total / voting
        results.append(CollegeResult(college, tally, weight, Fraction(tally.yes, cast)))
    yes = sum((r.effective_weight * r.yes_share for r in results if r.yes_share is not None), Fraction(0))
    reached = quorum_reached(participants, members_convened, rules)
    majority = yes >= total * 2 / 3 if rules.majority == "two_thirds" else yes > total / 2
    return ResolutionResult(tuple(results), yes, reached, reached and voting > 0 and majority)
