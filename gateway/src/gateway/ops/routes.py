"""/ops: one HTML page and the JSON it reads, for the operators of the shared back-office.

The page itself holds no data and is served to anyone; every /ops/api call needs an API key (or token) of the
operator tenant with the `ops` scope, which the page sends as a Bearer token (ADR 012). The services are
reached as every gateway call reaches them, through their internal API with the internal token; the gateway's
own pipeline is read in process.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from gateway.auth.dependencies import require
from gateway.routes.upstreams import ServiceUpstreams, Upstreams
from gateway.upstream import Upstream
from services.http import Problem
from services.http.ops import PREFIX as INTERNAL
from services.http.ops import ops_of
from services.internal_token import Caller

OPERATOR_TENANT = "smartfr"  # the SCIC that runs the back-office for its sister cooperatives
FAILED_DELIVERIES_SHOWN = 20
_PAGE = (Path(__file__).parent / "page.html").read_text(encoding="utf-8")


def _inline_hashes(tag: str) -> str:
    """The CSP sources allowing exactly the page's own inline <script> or <style> blocks, by their hash."""
    blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", _PAGE, flags=re.DOTALL)
    return " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in blocks
    )


# Nothing but the page's own script and style runs; its calls go to this origin only; no framing (the Replay
# button must not be clickable from another site's frame).
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        f"default-src 'none'; script-src {_inline_hashes('script')}; style-src {_inline_hashes('style')}; "
        "connect-src 'self'; img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

router = APIRouter(prefix="/ops", include_in_schema=False)


async def _operator(caller: Annotated[Caller, require("ops")]) -> Caller:
    if caller.tenant != OPERATOR_TENANT:
        raise Problem(403, "not_an_operator", detail="the ops pages are for the back-office's operators")
    return caller


Operator = Annotated[Caller, Depends(_operator)]


def _services(upstreams: Upstreams) -> dict[str, Upstream]:
    return {
        "members": upstreams.members,
        "contracts": upstreams.contracts,
        "payroll": upstreams.payroll,
        "billing": upstreams.billing,
    }


async def _health(upstream: Upstream) -> str:
    try:
        answer = await upstream.client.request("GET", "/readyz", headers={}, body=None, params=None)
    except Exception:  # unreachable is what the page must show, not an error of its own
        return "unreachable"
    return "ready" if answer.status == 200 else "not_ready"


async def _internal(upstream: Upstream, caller: Caller, method: str, path: str) -> Any:
    answer = await upstream.call(method, INTERNAL + path, caller)
    if answer.status != 200:
        raise Problem(502, "upstream_failed", detail=f"{upstream.audience} answered {answer.status}")
    return orjson.loads(answer.body)


async def _service_view(name: str, upstream: Upstream, caller: Caller) -> dict[str, Any]:
    health = await _health(upstream)
    view: dict[str, Any] = {"service": name, "health": health, "outbox": None, "consumers": []}
    if health != "unreachable":
        try:
            view.update(await _internal(upstream, caller, "GET", "/status"))
        except Exception:
            view["health"] = "unreachable"
    return view


@router.get("", response_class=HTMLResponse)
async def page() -> HTMLResponse:
    return HTMLResponse(_PAGE, headers=_HEADERS)


@router.get("/api/overview")
async def overview(request: Request, upstreams: ServiceUpstreams, caller: Operator) -> dict[str, Any]:
    services = _services(upstreams)
    views = await asyncio.gather(*(_service_view(n, u, caller) for n, u in services.items()))
    own = await ops_of(request).status()
    return {"services": [{**own, "health": "ready"}, *views]}


@router.get("/api/dead_letters")
async def dead_letters(request: Request, upstreams: ServiceUpstreams, caller: Operator) -> dict[str, Any]:
    found: list[dict[str, Any]] = list(await ops_of(request).dead_letters(100))
    unreachable = []
    for name, upstream in _services(upstreams).items():
        try:
            found += (await _internal(upstream, caller, "GET", "/dead_letters"))["data"]
        except Exception:
            unreachable.append(name)
    found.sort(key=lambda letter: letter["failed_at"])
    return {"data": found, "unreachable": unreachable}


@router.post("/api/dead_letters/{service}/{dead_letter_id}/replay")
async def replay(
    request: Request, service: str, dead_letter_id: int, upstreams: ServiceUpstreams, caller: Operator
) -> dict[str, Any]:
    if service == "gateway":
        if not await ops_of(request).replay(dead_letter_id):
            raise Problem(404, "dead_letter_not_found", detail="no pending dead letter with this id")
        return {"id": dead_letter_id, "replayed": True}
    upstream = _services(upstreams).get(service)
    if upstream is None:
        raise Problem(404, "service_not_found", detail=f"no service named {service!r}", param="service")
    answer = await upstream.call("POST", f"{INTERNAL}/dead_letters/{dead_letter_id}/replay", caller)
    if answer.status != 200:
        body = orjson.loads(answer.body) if answer.body else {}
        raise Problem(answer.status, body.get("code", "replay_failed"), detail=body.get("detail"))
    result: dict[str, Any] = orjson.loads(answer.body)
    return result


@router.get("/api/salary_payments")
async def salary_payments(upstreams: ServiceUpstreams, caller: Operator) -> dict[str, Any]:
    """Payroll's salary payments due and late, per tenant, and the late ones by payslip id (the 7-day
    promise): answered by payroll for every tenant, the operator's view."""
    summary: dict[str, Any] = await _internal(upstreams.payroll, caller, "GET", "/salary_payments")
    return summary


@router.get("/api/webhook_failures")
async def webhook_failures(request: Request, caller: Operator) -> dict[str, Any]:
    """The last failed outbound delivery attempts: endpoint, when, the answer's status or the error."""
    rows = (
        await ops_of(request)
        .pool()
        .fetch(
            "SELECT a.attempted_at, a.endpoint_id, e.tenant, a.message_id, a.status_code, a.error, e.enabled"
            " FROM webhook_attempts a JOIN webhook_endpoints e ON e.id = a.endpoint_id"
            " WHERE NOT a.succeeded ORDER BY a.attempted_at DESC LIMIT $1",
            FAILED_DELIVERIES_SHOWN,
        )
    )
    return {
        "data": [
            {
                "attempted_at": row["attempted_at"].isoformat(),
                "endpoint_id": row["endpoint_id"],
                "tenant": row["tenant"],
                "message_id": str(row["message_id"]),
                "status_code": row["status_code"],
                "error": (row["error"] or "")[:200] or None,
                "endpoint_enabled": row["enabled"],
            }
            for row in rows
        ]
    }
