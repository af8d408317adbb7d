"""What the gateway's runtime starts for outbound webhooks: the fan-out consumer and the delivery worker."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from gateway.config import Settings
from gateway.outbound.catalogue import TOPICS
from gateway.outbound.deliveries import fan_out
from gateway.outbound.metrics import Sampler
from gateway.outbound.signing_secrets import SecretBox
from gateway.outbound.worker import DeliveryWorker, utc_now
from services.runtime import OFF_THE_WAITED_PATH_LINGER, SHORT_HANDLERS_TOGETHER, Consumer, Resources

CONSUMER = "gateway-outbound-webhooks"


def consumers(service: object) -> Sequence[Consumer]:
    fan_out_consumer = Consumer(
        CONSUMER,
        TOPICS,
        fan_out(utc_now),
        messages_per_transaction=SHORT_HANDLERS_TOGETHER,
        linger=OFF_THE_WAITED_PATH_LINGER,
    )
    return [fan_out_consumer]


def secret_box(settings: object) -> SecretBox:
    if not isinstance(settings, Settings):
        raise TypeError("the gateway runs with gateway.config.Settings")
    return SecretBox(settings.secrets_encryption_key.get_secret_value())


def worker(resources: Resources) -> DeliveryWorker:
    settings = resources.settings
    assert isinstance(settings, Settings)
    return DeliveryWorker(
        resources.pool,
        resources.store,
        secret_box(settings),
        retry_scale=settings.webhooks_retry_scale,
        timeout=settings.webhooks_timeout,
        poll_interval=settings.webhooks_poll_interval,
        allow_loopback=settings.webhooks_allow_loopback,
    )


def background(service: object, resources: Resources) -> Sequence[Callable[[asyncio.Event], Awaitable[None]]]:
    return [worker(resources).run, Sampler(resources.pool).run]
