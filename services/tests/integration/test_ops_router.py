"""The internal ops API a service runtime mounts: its pipeline's status, its dead letters, and a replay.

Given a consumer that dead-lettered a poisoned message, the API lists it (without its payload) for a caller
with the `ops` scope only; a replay while the handler still fails is refused and the dead letter stays; once
the handler is fixed the replay runs it and the dead letter is gone.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent / "procs"))

from bus_support import bootstrap, bus_world, dsn, effect_recorder, publish, wait_until

from services.consumer import ConsumerRunner, RetryPolicy
from services.envelope import Envelope
from services.http import create_app
from services.http.ops import PipelineOps, ops_router
from services.internal_token import Caller, TokenIssuer
from services.log_reader import Conn
from services.runtime import Resources
from services.settings import ServiceSettings

__all__ = ["bootstrap", "dsn"]

SERVICE = "svc-ops"


class Flaky:
    def __init__(self, consumer: str) -> None:
        self.record = effect_recorder(consumer)
        self.fixed = False

    async def __call__(self, conn: Conn, envelope: Envelope) -> None:
        await self.record(conn, envelope)
        if envelope.data.get("poison") and not self.fixed:
            raise RuntimeError("cannot digest this")


def bearer(settings: ServiceSettings, *scopes: str) -> dict[str, str]:
    issuer = TokenIssuer(settings.internal_token_secret.get_secret_value(), audience=SERVICE)
    return {"Authorization": f"Bearer {issuer.token_for(Caller('smartfr', 'operator', frozenset(scopes)))}"}


async def test_dead_letters_are_listed_for_operators_and_replayed_once_the_handler_is_fixed(
    dsn: str, bootstrap: str
) -> None:
    async with bus_world("postgres", dsn, bootstrap, partitions=1) as world:
        name = world.group("ops")
        handler = Flaky(name)
        runner = ConsumerRunner(
            world.consumer_pool,
            world.transport,
            name,
            [world.topic],
            handler,
            retry=RetryPolicy(max_attempts=2, base_delay=0.01),
        )
        world.background(runner.run(world.stop))
        poisoned = await publish(world.store, world.producer, "s", 1, poison=True, secret="Camille")
        await wait_until(lambda: _dead_lettered(runner), 60, "the poisoned message dead-lettered")

        settings = ServiceSettings(service_name=SERVICE)
        pool = world.consumer_pool
        ops = ops_router(PipelineOps(SERVICE, lambda: pool, lambda: None, lambda: [runner]))
        app = create_app(title=SERVICE, version="1", routers=[ops], service=SERVICE)
        app.state.resources = Resources(settings=settings, pool=world.consumer_pool, store=world.store)
        operator = bearer(settings, "ops")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            assert (await client.get("/internal/ops/dead_letters")).status_code == 401
            refused = await client.get("/internal/ops/dead_letters", headers=bearer(settings, "members:read"))
            assert refused.status_code == 403

            status = (await client.get("/internal/ops/status", headers=operator)).json()
            assert status["service"] == SERVICE
            assert status["outbox"] is None
            [consumer] = status["consumers"]
            assert consumer["name"] == name
            assert consumer["dead_letters"] == 1

            listed = await client.get("/internal/ops/dead_letters", headers=operator)
            [letter] = listed.json()["data"]
            assert letter["event_id"] == str(poisoned.event_id)
            assert letter["consumer"] == name
            assert letter["error"] == "RuntimeError: cannot digest this"
            assert letter["attempts"] == 2
            assert "Camille" not in listed.text, "the payload stays out of the ops API"

            replay = f"/internal/ops/dead_letters/{letter['id']}/replay"
            still_failing = await client.post(replay, headers=operator)
            assert still_failing.status_code == 409
            assert still_failing.json()["code"] == "replay_failed"
            assert len((await client.get("/internal/ops/dead_letters", headers=operator)).json()["data"]) == 1

            handler.fixed = True
            replayed = await client.post(replay, headers=operator)
            assert replayed.status_code == 200, replayed.text
            assert (await client.get("/internal/ops/dead_letters", headers=operator)).json()["data"] == []
            assert [r["event_id"] for r in await world.effects()] == [poisoned.event_id]
            assert (await client.post(replay, headers=operator)).status_code == 404


async def _dead_lettered(runner: ConsumerRunner) -> bool:
    return runner.dead_lettered == 1
