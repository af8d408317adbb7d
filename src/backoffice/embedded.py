"""The embedded mode: the four services and the gateway in one process, on one PostgreSQL, over its log.

The gateway calls each service's app in process (httpx ASGITransport); the bus is the PostgreSQL log
transport. Everything else (domain, handlers, migrations, runners) is the code the distributed mode runs.
"""

from __future__ import annotations

from typing import Any

import httpx

from backoffice.catalogue import GATEWAY_SETTINGS, SERVICES
from gateway.entrypoints.definition import definition as gateway_definition
from gateway.upstream import InProcessClient
from services.runtime import ServiceRuntime


class EmbeddedBackoffice:
    def __init__(self, database_url: str, *, poll_interval: float = 1.0, **overrides: Any) -> None:
        common = {"database_url": database_url, "bus": "postgres", **overrides}
        self.services = {
            name: ServiceRuntime(one.definition(), one.settings(**common), poll_interval=poll_interval)
            for name, one in SERVICES.items()
        }
        self._clients: list[InProcessClient] = []
        self.gateway = ServiceRuntime(
            gateway_definition(self._in_process_client),
            GATEWAY_SETTINGS(**common),
            poll_interval=poll_interval,
        )

    def _in_process_client(self, service: str) -> InProcessClient:
        transport = httpx.ASGITransport(app=self.services[service].app)
        client = InProcessClient(httpx.AsyncClient(transport=transport, base_url=f"http://{service}"))
        self._clients.append(client)
        return client

    async def start(self) -> None:
        # Every schema migrated before any consumer reads another service's outbox (the bus is their log).
        for runtime in self.services.values():
            await runtime.start(background=False)
        for runtime in self.services.values():
            await runtime.start_background()
        await self.gateway.start()

    async def stop(self) -> None:
        for client in self._clients:
            await client.close()
        await self.gateway.stop()
        for runtime in self.services.values():
            await runtime.stop()
