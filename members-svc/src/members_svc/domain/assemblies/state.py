"""What the assembly aggregate knows, as a closed union of frozen states."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from members_svc.domain.assemblies.colleges import AssemblyKind, College, VotingRules
from members_svc.domain.assemblies.result import Tally


@dataclass(frozen=True)
class NoAssembly:
    """The stream is empty: no assembly under this id."""


@dataclass(frozen=True)
class Assembly:
    """A convened assembly: its resolutions, colleges and rules, and who has voted on what."""

    assembly_id: UUID
    kind: AssemblyKind
    resolutions: frozenset[int]
    colleges: tuple[College, ...]
    rules: VotingRules
    voted: frozenset[tuple[UUID, int]] = frozenset()  # (member, resolution)
    categories: Mapping[UUID, int] = field(default_factory=dict)  # the category each voter votes under
    members_convened: int = 0
    tallies: Mapping[tuple[int, str], Tally] = field(default_factory=dict)  # (resolution, college) -> votes
    closed: bool = False


AssemblyState = NoAssembly | Assembly
