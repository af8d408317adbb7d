"""The services behind the gateway, as route dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from gateway.upstream import Upstream


@dataclass(frozen=True)
class Upstreams:
    members: Upstream
    contracts: Upstream
    payroll: Upstream
    billing: Upstream


async def _upstreams(request: Request) -> Upstreams:  # async: no worker-thread hop
    upstreams: Upstreams = request.app.state.service
    return upstreams


ServiceUpstreams = Annotated[Upstreams, Depends(_upstreams)]
