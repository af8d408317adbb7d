"""The gateway's crash window, made on purpose: the service committed, the gateway died before keeping its
answer. What it leaves is the key's claim, never completed, its lease run out; the integrator gets no answer
and retries with the same Idempotency-Key, and the request runs again (ADR 023)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.deployments import Deployment


async def lose_the_answer(deployment: Deployment, idempotency_key: str) -> None:
    """Turn the kept answer of `idempotency_key` back into the claim a gateway killed mid-request leaves."""
    lost = await deployment.fetchval(
        "gateway",
        """WITH lost AS (
               UPDATE idempotency_keys
               SET status = NULL, headers = NULL, body = NULL, locked_until = '-infinity'
               WHERE key = $1 AND status IS NOT NULL RETURNING 1)
           SELECT count(*) FROM lost""",
        idempotency_key,
    )
    assert lost == 1, f"no kept answer for Idempotency-Key {idempotency_key!r}"


async def post_twice_with_the_answer_lost(
    deployment: Deployment, path: str, body: Any, headers: dict[str, str]
) -> tuple[httpx.Response, httpx.Response]:
    """POST, lose the gateway's answer, POST again with the same key: both answers (the retry ran again)."""
    first = await deployment.gateway.post(path, json=body, headers=headers)
    assert first.status_code < 300, first.text
    await lose_the_answer(deployment, headers["Idempotency-Key"])
    retry = await deployment.gateway.post(path, json=body, headers=headers)
    assert "idempotent-replayed" not in retry.headers, "the gateway replayed: the request did not run again"
    return first, retry
