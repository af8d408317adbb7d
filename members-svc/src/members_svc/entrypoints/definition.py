"""members-svc as the runtime sees it."""

from __future__ import annotations

from pathlib import Path

from members_svc.api import assemblies, employers, membership_counts, personal_data, shares
from members_svc.api.routes import router
from members_svc.bootstrap import Members, build
from members_svc.bootstrap_employers import EMPLOYER_CODEC, EMPLOYER_EVENT_TYPES
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
from members_svc.read_models.assembly_results import AssemblyResults
from members_svc.read_models.capital import CapitalProjection
from members_svc.read_models.employer_directory import EmployerDirectory
from services.http import Problem
from services.runtime import ServiceDefinition

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        name="members",
        title="members-svc",
        migrations=MIGRATIONS,
        routers=[
            router,
            personal_data.router,
            employers.router,
            assemblies.router,
            shares.router,
            membership_counts.router,
        ],
        build=build,
        projections=lambda members: (
            [
                members.register,
                EmployerDirectory(EMPLOYER_CODEC, EMPLOYER_EVENT_TYPES),
                AssemblyResults(),
                CapitalProjection(),
            ]
            if isinstance(members, Members)
            else []
        ),
        produces=["members.events"],
        problem_mappers={
            AlreadyApplied: lambda error: Problem(409, "member_already_applied", detail=str(error)),
            UnknownCategory: lambda error: Problem(
                400, "unknown_category", detail=str(error), param="category"
            ),
            UnknownMember: lambda error: Problem(404, "member_not_found", detail=str(error)),
            NothingToChange: lambda error: Problem(400, "nothing_to_change", detail=str(error)),
            NotAnApplicant: lambda error: Problem(409, "member_not_an_applicant", detail=str(error)),
            NotAMember: lambda error: Problem(409, "member_not_admitted", detail=str(error)),
            DateBeforeAdmission: lambda error: Problem(400, "date_before_admission", detail=str(error)),
            ReasonRequired: lambda error: Problem(400, "reason_required", detail=str(error), param="reason"),
            **employers.PROBLEM_MAPPERS,
            **shares.PROBLEM_MAPPERS,
            **personal_data.PROBLEM_MAPPERS,
        },
    )
