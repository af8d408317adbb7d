"""200 concurrent conflicting commands on one aggregate, through the gateway: each applied once or refused.

Two kinds of conflict, on one member of the embedded back-office (real PostgreSQL; the requests interleave on
the gateway's and the services' connection pools):

* 200 corrections of the member's details, all with `If-Match` on the same version: exactly one is applied,
  every other is 412 (or 409), and the member reads as the winner wrote it; the stream holds one change.
* 200 share payments of different amounts without `If-Match`, on 50 subscribed shares (a fraction of what they
  add up to): each is 201 or 409; what the stream holds is one `SharesPaid` per 201, in the amounts answered,
  never above the subscription; the read model and the sequential replay of the stored events through the
  pure decider agree with the sum of the accepted amounts.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest_asyncio

from members_svc.domain import shares
from members_svc.domain.shares.codec import SHARES_CODEC
from tests.e2e.deployments import Deployment, embedded

CONCURRENT = 200
TENANT = "smartfr"  # the tenant whose share nominal is known (30 €)


@pytest_asyncio.fixture(scope="module")
async def deployment(database_url: str) -> AsyncIterator[Deployment]:
    async with embedded(database_url) as running:
        yield running


def _auth(key: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4()), **more}


async def _until(gateway: httpx.AsyncClient, path: str, key: str) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        answer = await gateway.get(path, headers={"Authorization": f"Bearer {key}"})
        if answer.status_code == 200:
            return answer
        assert time.monotonic() < deadline, f"{path} never became readable: {answer.text}"
        await asyncio.sleep(0.05)


async def _member(deployment: Deployment, key: str) -> str:
    created = await deployment.gateway.post(
        "/v1/members",
        json={"person_kind": "natural_person", "display_name": "Concurrent Camille", "category": 1},
        headers=_auth(key),
    )
    assert created.status_code == 201, created.text
    member_id: str = created.json()["id"]
    await _until(deployment.gateway, f"/v1/members/{member_id}", key)
    return member_id


async def _stream(deployment: Deployment, stream_id: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(deployment.database_url, server_settings={"search_path": "members"})
    try:
        return await conn.fetch(
            "SELECT stream_version, event_type, schema_version, data FROM events WHERE stream_id = $1 "
            "ORDER BY stream_version",
            stream_id,
        )
    finally:
        await conn.close()


async def _all_at_once(calls: list[Any]) -> list[httpx.Response]:
    start = asyncio.Event()

    async def one(call: Any) -> httpx.Response:
        await start.wait()
        answer: httpx.Response = await call()
        return answer

    tasks = [asyncio.create_task(one(call)) for call in calls]
    await asyncio.sleep(0)
    start.set()
    return await asyncio.gather(*tasks)


async def test_200_corrections_with_one_etag_apply_exactly_one(deployment: Deployment) -> None:
    key = await deployment.api_key(TENANT, "members:read", "members:write")
    member_id = await _member(deployment, key)
    etag = (await _until(deployment.gateway, f"/v1/members/{member_id}", key)).headers["etag"]
    before = await _stream(deployment, f"member-{member_id}")

    # When 200 clients correct the name at once, each from the version they read.
    answers = await _all_at_once(
        [
            lambda n=n: deployment.gateway.patch(
                f"/v1/members/{member_id}",
                json={"display_name": f"Camille {n:03d}"},
                headers=_auth(key, **{"If-Match": etag}),
            )
            for n in range(CONCURRENT)
        ]
    )

    # Then one is applied, and every other refused as a stale version, in a problem.
    statuses = Counter(answer.status_code for answer in answers)
    assert set(statuses) <= {200, 409, 412}, {a.status_code: a.text for a in answers}
    assert statuses[200] == 1, statuses
    for answer in answers:
        if answer.status_code != 200:
            assert answer.headers["content-type"].startswith("application/problem+json")
    [winner] = [answer.json()["display_name"] for answer in answers if answer.status_code == 200]
    after = await _stream(deployment, f"member-{member_id}")
    assert len(after) == len(before) + 1, [row["event_type"] for row in after]
    # (the name itself is personal data, sealed in the event: the register shows it, below)
    assert after[-1]["event_type"] == "MemberDetailsChanged"
    deadline = time.monotonic() + 30
    while (await _until(deployment.gateway, f"/v1/members/{member_id}", key)).json()[
        "display_name"
    ] != winner:
        assert time.monotonic() < deadline, "the register never showed the applied correction"
        await asyncio.sleep(0.05)


async def test_200_share_payments_at_once_are_each_applied_once_or_refused(deployment: Deployment) -> None:
    key = await deployment.api_key(TENANT, "members:read", "members:write")
    member_id = await _member(deployment, key)
    subscribed = await deployment.gateway.post(
        f"/v1/members/{member_id}/share_subscriptions",
        json={"share_count": 50, "subscribed_on": "2026-11-26"},
        headers=_auth(key),
    )
    assert subscribed.status_code == 201, subscribed.text
    deadline = time.monotonic() + 30
    while (await _until(deployment.gateway, f"/v1/members/{member_id}/shares", key)).json()[
        "subscribed_cents"
    ] != 150_000:
        assert time.monotonic() < deadline, "the subscription never showed"
        await asyncio.sleep(0.05)
    amounts = [random.Random(n).randint(500, 3_000) for n in range(CONCURRENT)]
    assert sum(amounts) > 2 * 150_000  # most must be refused

    # When 200 payments arrive at once.
    answers = await _all_at_once(
        [
            lambda amount=amount: deployment.gateway.post(
                f"/v1/members/{member_id}/share_payments",
                json={"amount_cents": amount, "paid_on": "2026-11-26"},
                headers=_auth(key),
            )
            for amount in amounts
        ]
    )

    # Then each is applied (201) or refused with a conflict (409: over the subscription, or lost a race).
    statuses = Counter(answer.status_code for answer in answers)
    assert set(statuses) <= {201, 409}, {
        a.status_code: a.text for a in answers if a.status_code not in (201, 409)
    }
    assert statuses[201] >= 1
    accepted = [amount for amount, answer in zip(amounts, answers, strict=True) if answer.status_code == 201]
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["code"] in {"payment_exceeds_subscription", "conflict"}, answer.text

    # And the stream holds exactly the accepted payments, once each, never above the subscription.
    rows = await _stream(deployment, f"shares-{member_id}")
    paid_events = [json.loads(row["data"]) for row in rows if row["event_type"] == "SharesPaid"]
    assert sorted(event["amount_cents"] for event in paid_events) == sorted(accepted)
    assert [row["stream_version"] for row in rows] == list(range(1, len(rows) + 1))
    # Replayed one by one through the pure decider's evolve, the stored events give the same holding.
    state: shares.SharesState = shares.initial_state
    for row in rows:
        event = SHARES_CODEC.decode_data(row["event_type"], row["schema_version"], json.loads(row["data"]))
        state = shares.evolve(state, event)
    assert isinstance(state, shares.Shareholding)
    assert state.paid_cents == sum(accepted) <= state.subscribed_cents == 150_000
    # As does the read model, once it has caught up.
    deadline = time.monotonic() + 30
    while True:
        read = (await _until(deployment.gateway, f"/v1/members/{member_id}/shares", key)).json()
        if read["paid_cents"] == sum(accepted):
            break
        assert time.monotonic() < deadline, f"the read model shows {read}, the stream {sum(accepted)}"
        await asyncio.sleep(0.05)
    assert read["unpaid_cents"] == 150_000 - sum(accepted)
