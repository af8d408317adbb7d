"""Liveness, readiness and Prometheus exposition endpoints."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.responses import JSONResponse, Response

from services.http.problems import Problem

logger = logging.getLogger("services.http")

# A readiness check passes unless it raises or returns False (e.g. `lambda: pool.execute("select 1")`).
ReadinessCheck = Callable[[], Awaitable[object]]

READINESS_TIMEOUT_SECONDS = 2.0


async def _run_check(name: str, check: ReadinessCheck, deadline: float) -> str:
    try:
        async with asyncio.timeout(deadline):
            result = await check()
    except TimeoutError:
        logger.warning("readiness check %r timed out after %ss", name, deadline)
        return "timeout"
    except Exception:
        logger.warning("readiness check %r failed", name, exc_info=True)
        return "failed"
    return "failed" if result is False else "ok"


def probes_router(
    checks: Mapping[str, ReadinessCheck],
    registry: CollectorRegistry,
    timeout: float = READINESS_TIMEOUT_SECONDS,
) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> JSONResponse:
        """The process is alive and its event loop answers."""
        return JSONResponse({"status": "ok"})

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        """Every readiness check passes (run concurrently, each with a deadline); 503 otherwise."""
        names = list(checks)
        outcomes = await asyncio.gather(*(_run_check(name, checks[name], timeout) for name in names))
        results = dict(zip(names, outcomes, strict=True))
        failing = [name for name, outcome in results.items() if outcome != "ok"]
        if failing:
            raise Problem(
                503,
                "not_ready",
                detail=f"Not ready: {', '.join(failing)}.",
                extensions={"checks": results},
            )
        return JSONResponse({"status": "ready", "checks": results})

    @router.get("/metrics")
    async def metrics() -> Response:
        """Prometheus text exposition."""
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
