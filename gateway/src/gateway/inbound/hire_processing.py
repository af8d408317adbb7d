"""Turning stored hire messages into contracts, from the bus: the gateway's consumer of its own
`gateway.WebhookReceived` (kind `hire`) opens the stored body and hands each hire to contracts-svc.

Each hire goes to `PUT /internal/hires/{hire id}` (idempotent per hire id), where contracts-svc drafts,
declares (DPAE) and signs its contract or records the rejection. The employee's identity travels in that
internal call only, never on the bus: the public event names the message, and the body stays sealed in the
gateway's `inbound_payloads`. Any hire not answered (a 5xx, URSSAF unavailable) fails the message, which the
consumer delivers again (the hires already decided answer the same) and, after its attempts, dead-letters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import orjson

from gateway.config import Settings
from gateway.inbound.hires import contract_body, hire_id, read_batch
from gateway.inbound.sealing import Sealer
from gateway.routes.upstreams import Upstreams
from schemas.generated.gateway.webhook_received_v1 import WebhookReceivedV1
from services.bus.base import Transport
from services.bus.kafka import KafkaTransport
from services.bus.pglog import PgLogTransport
from services.consumer import ConsumerRunner, Handler, RetryPolicy
from services.envelope import Envelope
from services.internal_token import Caller
from services.log_reader import Conn
from services.runtime import Resources

CONSUMER = "gateway-hires"
TOPIC = "gateway.events"
CONCURRENT_HIRES = 8


class HireNotProcessed(RuntimeError):
    """contracts-svc did not decide a hire; the message is delivered again."""


def handler(upstreams: Upstreams, sealer: Sealer) -> Handler:
    async def handle(conn: Conn, envelope: Envelope) -> None:
        if envelope.event_type != "gateway.WebhookReceived" or envelope.schema_version != 1:
            return
        received = WebhookReceivedV1.model_validate(envelope.data)
        if received.kind != "hire":
            return
        sealed = await conn.fetchval(
            "SELECT sealed_body FROM inbound_payloads WHERE message_id = $1", received.message_id
        )
        if sealed is None:  # erased or purged: nothing left to turn into contracts
            return
        batch = read_batch(orjson.loads(sealer.open(sealed)))
        caller = Caller(
            tenant=envelope.tenant,
            client_id=f"inbound:{received.source_id}",
            scopes=frozenset({"contracts:write"}),
        )
        gate = asyncio.Semaphore(CONCURRENT_HIRES)

        async def one(index: int) -> None:
            hire = batch.hires[index]
            identifier = hire_id(envelope.tenant, batch.employer.id, hire.reference)
            async with gate:
                answer = await upstreams.contracts.call(
                    "PUT", f"/internal/hires/{identifier}", caller, json=contract_body(batch, hire)
                )
            if answer.status != 200:
                raise HireNotProcessed(f"hire {identifier}: contracts-svc answered {answer.status}")

        # Every hire is tried before the message fails (none left running behind a failed delivery).
        outcomes = await asyncio.gather(
            *(one(index) for index in range(len(batch.hires))), return_exceptions=True
        )
        failed = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if failed:
            raise HireNotProcessed(
                f"{len(failed)} of {len(outcomes)} hires not decided; first: {failed[0]!r}"
            )

    return handle


def background(service: object, resources: Resources) -> Sequence[Callable[[asyncio.Event], Awaitable[None]]]:
    settings = resources.settings
    if not isinstance(settings, Settings) or not isinstance(service, Upstreams):
        return []
    sealer = Sealer(settings.secrets_encryption_key.get_secret_value())

    async def run(stop: asyncio.Event) -> None:
        transport: Transport = (
            KafkaTransport(settings.kafka_bootstrap)
            if settings.bus == "kafka"
            else PgLogTransport(resources.pool, poll_interval=1.0)
        )
        retry = RetryPolicy(
            max_attempts=settings.consumer_max_attempts, base_delay=settings.consumer_retry_base_delay
        )
        runner = ConsumerRunner(
            resources.pool,
            transport,
            CONSUMER,
            (TOPIC,),
            handler(service, sealer),
            retry=retry,
            service="gateway",
        )
        try:
            await runner.run(stop)
        finally:
            runner.stop()
            await transport.close()

    return [run]
