"""Convene a general assembly on its resolutions, under the tenant's college configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from members_svc.domain.assemblies.colleges import AssemblyKind, CollegeConfiguration
from members_svc.domain.assemblies.events import AssemblyConvened, Resolution
from members_svc.domain.assemblies.rules import (
    AssemblyAlreadyConvened,
    NoResolution,
    check_configuration,
)
from members_svc.domain.assemblies.state import AssemblyState, NoAssembly


@dataclass(frozen=True)
class ConveneAssembly:
    assembly_id: UUID
    title: str
    kind: AssemblyKind
    held_on: date
    members_convened: int
    resolutions: tuple[str, ...]  # their titles, numbered from 1 in this order
    configuration: CollegeConfiguration
    now: datetime


def decide_convene(command: ConveneAssembly, state: AssemblyState) -> list[AssemblyConvened]:
    if not isinstance(state, NoAssembly):
        raise AssemblyAlreadyConvened(f"assembly {command.assembly_id} is already convened")
    if not command.resolutions:
        raise NoResolution("an assembly is convened on at least one resolution")
    check_configuration(command.configuration)
    return [
        AssemblyConvened(
            assembly_id=command.assembly_id,
            title=command.title,
            kind=command.kind,
            held_on=command.held_on,
            members_convened=command.members_convened,
            resolutions=tuple(
                Resolution(number=number, title=title)
                for number, title in enumerate(command.resolutions, start=1)
            ),
            colleges=command.configuration.colleges,
            rules=command.configuration.rules_for(command.kind),
            convened_at=command.now,
        )
    ]
