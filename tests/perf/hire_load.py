"""The load generator of the latency benchmark, in its own process: signed hires, or work reports and
completions, sent to the gateway at a fixed rate whatever the answers' speed (an open loop, as associations
push), each answer's wall-clock time written out for the benchmark to match with what it sees.

    python -m tests.perf.hire_load PLAN.json RESULTS.jsonl

PLAN: {"mode": "hire", "base_url", "api_key", "secret", "run", "members": [...], "starts_at", "rate",
"count", "first"} sends hires `first .. first+count-1`, one per signed message, the association of hire n
being `employer_id(run, n)` (so the benchmark knows which contract row is which hire); or
{"mode": "complete", "base_url", "api_key", "contracts": [...], "work": {...}, "completed_on", "rate"}
reports each contract's work and completes it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import uvloop

from gateway.inbound.signatures import sign
from tests.e2e.test_hires import employer, hire
from tests.perf.lean_http import LeanClient

_EMPLOYERS = uuid.UUID("6a1d7a2e-9a35-5d0e-8b0c-2f3a4b5c6d7e")  # namespace of the load's associations


def employer_id(run: str, n: int) -> uuid.UUID:
    return uuid.uuid5(_EMPLOYERS, f"{run}:{n}")


def _hire_body(plan: dict[str, Any], n: int) -> bytes:
    """tests.e2e's hire (a CDDU of an intermittent), with an association and a reference of its own."""
    members = plan["members"]
    one = hire(f"L-{n:06d}", members[n % len(members)], datetime.fromisoformat(plan["starts_at"]))
    structure = {**employer(), "id": str(employer_id(plan["run"], n))}
    return json.dumps({"employer": structure, "hire": {**one, "ends_on": plan["ends_on"]}}).encode()


async def _hire(client: LeanClient, plan: dict[str, Any], n: int) -> dict[str, Any]:
    body = _hire_body(plan, n)
    webhook_id = f"msg_{plan['run']}_{n}"
    timestamp = int(time.time())
    headers = {
        "Authorization": f"Bearer {plan['api_key']}",
        "Content-Type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(plan["secret"], webhook_id, timestamp, body),
    }
    sent = time.time()
    answer = await client.post("/v1/webhooks/hires", body, headers)
    return _answer(n, sent, answer)


async def _complete(client: LeanClient, plan: dict[str, Any], n: int) -> dict[str, Any]:
    contract_id = plan["contracts"][n]
    headers = {
        "Authorization": f"Bearer {plan['api_key']}",
        "Content-Type": "application/json",
        "Idempotency-Key": str(uuid.uuid4()),
    }
    path = f"/v1/contracts/{contract_id}"
    sent = time.time()
    answer = await client.post(f"{path}/work_reports", json.dumps(plan["work"]).encode(), headers)
    if answer[0] == 200:
        headers["Idempotency-Key"] = str(uuid.uuid4())  # a key per POST
        completion = json.dumps({"completed_on": plan["completed_on"]}).encode()
        answer = await client.post(f"{path}/completion", completion, headers)
    return {**_answer(n, sent, answer), "contract_id": contract_id}


def _answer(n: int, sent: float, answer: tuple[int, bytes]) -> dict[str, Any]:
    status, body = answer
    out: dict[str, Any] = {"n": n, "sent": sent, "answered": time.time(), "status": status}
    if status >= 300:
        out["error"] = body[:300].decode(errors="replace")
    return out


async def run(plan: dict[str, Any]) -> list[dict[str, Any]]:
    one = _hire if plan["mode"] == "hire" else _complete
    first = int(plan.get("first", 0))
    count = int(plan["count"]) if plan["mode"] == "hire" else len(plan["contracts"])
    client = LeanClient(plan["base_url"], max_connections=400)
    try:
        started = time.perf_counter()
        tasks = []
        for k in range(count):
            # Pacing the sends (an open loop), not waiting for anything to happen.
            await asyncio.sleep(max(0.0, started + k / float(plan["rate"]) - time.perf_counter()))
            tasks.append(asyncio.ensure_future(asyncio.wait_for(one(client, plan, first + k), 120)))
        sending = time.perf_counter() - started
        results = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await client.aclose()
    out = []
    for k, result in enumerate(results):
        if isinstance(result, BaseException):
            out.append({"n": first + k, "status": 0, "error": repr(result)})
        else:
            out.append(result)
    out.append({"sending_seconds": sending})
    return out


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text())
    results = uvloop.run(run(plan))
    Path(sys.argv[2]).write_text("".join(json.dumps(r) + "\n" for r in results))


if __name__ == "__main__":
    main()
