"""Invalidation from the bus: every public event of the services behind the gateway drops the entries of the
ids it names, so that what consumers, the services' own commands or another gateway process changed is seen.

The event's stream version is the floor of the id its stream is named after (`member-<id>` at version 4):
a read model that has not caught up yet answers an older ETag, which is then served but not stored.

One consumer group for the gateway: right for the one gateway process we run (as the rate limiter). Several
replicas would each need every event, so a group of their own (ADR 007).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from gateway.read_cache.store import ReadCache, id_token, ids_in
from gateway.routes.upstreams import Upstreams
from services.consumer import InMemory
from services.envelope import Envelope
from services.runtime import Consumer

CONSUMER = "gateway-read-cache"
# The public topics of every service the gateway calls.
TOPICS: tuple[str, ...] = tuple(sorted(f"{field.name}.events" for field in dataclasses.fields(Upstreams)))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def invalidation_of(cache: ReadCache, envelope: Envelope) -> None:
    named = {found.lower() for text in _strings(envelope.data) for found in ids_in(text)}
    own = [found.lower() for found in ids_in(envelope.stream_id)]
    cache.invalidate(
        [id_token(found) for found in named.union(own)],
        floors=[(id_token(found), envelope.stream_version) for found in own],
    )


def invalidation_consumer(cache: ReadCache) -> Consumer:
    """The consumer the runtime starts with the gateway's background work; until then the cache is off."""
    cache.listening = True

    async def handle(envelope: Envelope) -> None:
        invalidation_of(cache, envelope)

    # The cache is this process's memory: nothing to record in the database (no inbox, no offsets).
    return Consumer(CONSUMER, TOPICS, InMemory(handle))
