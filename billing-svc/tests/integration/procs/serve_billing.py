"""billing-svc alone as a process (PostgreSQL bus): argv database_url port; prints READY once it listens."""

from __future__ import annotations

import asyncio
import sys

import uvicorn

from billing_svc.config import Settings
from billing_svc.entrypoints.definition import definition
from services.runtime import ServiceRuntime


async def main(database_url: str, port: int) -> None:
    settings = Settings(database_url=database_url, bus="postgres", http_port=port, schematron_workers=1)
    runtime = ServiceRuntime(definition(), settings)
    await runtime.start()
    config = uvicorn.Config(runtime.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn has no started event to await
        await asyncio.sleep(0.05)
    print("READY", flush=True)
    try:
        await serving
    finally:
        await runtime.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
