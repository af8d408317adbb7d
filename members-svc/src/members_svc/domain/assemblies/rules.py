"""What every assembly command checks, and the errors it refuses with.

Every refusal is an `AssemblyRefused`; `param` names the input at fault (none: the state is at fault).
"""

from __future__ import annotations

from decimal import Decimal

from members_svc.domain.assemblies.colleges import CollegeConfiguration

# Loi n° 47-1775 du 10 septembre 1947, art. 19 octies (SCIC): each college holds at least 10 % and at most
# 50 % of the votes at the general assembly.
COLLEGE_WEIGHT_FLOOR = Decimal(10)
COLLEGE_WEIGHT_CEILING = Decimal(50)


class AssemblyRefused(Exception):
    """A command the assembly refuses."""

    param: str | None = None


class InvalidCollegeConfiguration(AssemblyRefused, ValueError):
    """The tenant's colleges break the law (10-50 % each, 100 % in all) or overlap."""

    param = "colleges"


class NoResolution(AssemblyRefused, ValueError):
    """An assembly is convened to vote on at least one resolution."""

    param = "resolutions"


class AssemblyAlreadyConvened(AssemblyRefused):
    """The id is taken."""


class UnknownAssembly(AssemblyRefused, LookupError):
    """No assembly under this id (in this tenant)."""


class CategoryWithoutCollege(AssemblyRefused, ValueError):
    """The voter's category belongs to none of the tenant's colleges."""

    param = "category"


class CategoryChanged(AssemblyRefused, ValueError):
    """A member votes in one college for the whole assembly: the category given earlier stands."""

    param = "category"


class UnknownResolution(AssemblyRefused, ValueError):
    """The ballot names a resolution the assembly does not have."""

    param = "votes"


class EmptyBallot(AssemblyRefused, ValueError):
    """A ballot with no vote in it."""

    param = "votes"


class AssemblyClosedToVotes(AssemblyRefused):
    """The assembly was closed: its results stand, no vote is taken and it is not closed again."""


class AlreadyVoted(AssemblyRefused):
    """One member, one vote: a member's vote on a resolution is cast once and stands."""


def check_configuration(configuration: CollegeConfiguration) -> None:
    total = Decimal(0)
    seen: set[int] = set()
    for college in configuration.colleges:
        if not COLLEGE_WEIGHT_FLOOR <= college.weight <= COLLEGE_WEIGHT_CEILING:
            raise InvalidCollegeConfiguration(
                f"college {college.code} weighs {college.weight} %: each college must weigh between"
                f" {COLLEGE_WEIGHT_FLOOR} % and {COLLEGE_WEIGHT_CEILING} % (loi 47-1775, art. 19 octies)"
            )
        if not college.categories or seen & set(college.categories):
            raise InvalidCollegeConfiguration(
                f"college {college.code} must have categories of its own, none in another college"
            )
        seen |= set(college.categories)
        total += college.weight
    if total != Decimal(100):
        raise InvalidCollegeConfiguration(f"the colleges' weights add up to {total} %, not 100 %")
