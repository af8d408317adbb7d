"""Turning stored hire messages into contracts, from the bus: the gateway's consumer of its own
`gateway.WebhookReceived` (kind `hire`) opens the stored body and hands each hire to contracts-svc.

Each hire goes to `PUT /internal/hires/{hire id}` (idempotent per hire id), where contracts-svc drafts,
declares (DPAE) and signs its contract or records the rejection. The employee's identity travels in that
internal call only, never on the bus: the public event names the message, and the body stays sealed in the
gateway's `inbound_payloads`. Any hire not answered fails the message, which the consumer delivers again (the
hires already decided answer the same). contracts-svc unreachable or answering 5xx (restarting, URSSAF
unavailable) is `RetryLater`: tried until it answers, never dead-lettered, since the hires were acknowledged
(202) and must become contracts; any other answer dead-letters the message after the consumer's attempts.
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
from services.consumer import ConsumerRunner, Handler, RetryLater, RetryPolicy
from services.envelope import Envelope
from services.internal_token import Caller
from services.log_reader import Conn
from services.runtime import Resources

CONSUMER = "gateway-hires"
TOPIC = "gateway.events"
CONCURRENT_HIRES = 8
# Messages (each its own stream) handled side by side: one at a time capped the pipeline at a few hires/s.
CONCURRENT_MESSAGES = 6  # each holds a pooled connection (its inbox transaction) while contracts-svc answers


class HireNotProcessed(RuntimeError):
    """contracts-svc did not decide a hire; the message is delivered again."""


class ContractsUnavailable(RetryLater):
    """contracts-svc could not be reached or answered 5xx: the message is tried again until it answers."""


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
            body = contract_body(batch, hire)
            async with gate:
                try:
                    answer = await upstreams.contracts.call(
                        "PUT", f"/internal/hires/{identifier}", caller, json=body
                    )
                except Exception as exc:  # unreachable, reset, timed out: the client's errors, not the hire's
                    raise ContractsUnavailable(f"hire {identifier}: {exc!r}") from exc
            if answer.status >= 500:
                raise ContractsUnavailable(f"hire {identifier}: contracts-svc answered {answer.status}")
            if answer.status != 200:
                raise HireNotProcessed(f"hire {identifier}: contracts-svc answered {answer.status}")

        # Every hire is tried before the message fails (none left running behind a failed delivery).
        outcomes = await asyncio.gather(
            *(one(index) for index in range(len(batch.hires))), return_exceptions=True
        )
        failed = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if failed and all(isinstance(f, ContractsUnavailable) for f in failed):
            raise ContractsUnavailable(f"{len(failed)} of {len(outcomes)} hires not decided: {failed[0]}")
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
            concurrency=CONCURRENT_MESSAGES,
        )
        try:
            await runner.run(stop)
        finally:
            runner.stop()
            await transport.close()

    return [run]
