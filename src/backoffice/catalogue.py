"""Every deployable of the back-office, by name, with its settings and definition.

A service's package is imported when it is asked for, not with the catalogue: a process serving payroll-svc
does not import billing's PDF and Factur-X libraries (a second of CPU at each start, of ~3).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import cast

from gateway.config import Settings as GatewaySettings
from services.runtime import ServiceDefinition
from services.settings import ServiceSettings


@dataclass(frozen=True)
class Deployable:
    name: str
    package: str  # <package>.config.Settings and <package>.entrypoints.definition.definition

    @property
    def settings(self) -> type[ServiceSettings]:
        return cast(type[ServiceSettings], import_module(f"{self.package}.config").Settings)

    def definition(self) -> ServiceDefinition:
        module = import_module(f"{self.package}.entrypoints.definition")
        return cast(ServiceDefinition, module.definition())


SERVICES: dict[str, Deployable] = {
    name: Deployable(name, f"{name}_svc") for name in ("members", "contracts", "billing", "payroll")
}
GATEWAY_SETTINGS = GatewaySettings
