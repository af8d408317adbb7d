"""One interface for both bus transports: pull a batch of deliveries, acknowledge it after its effects.

A consumer runner owns the handler; a transport only moves envelopes. Pull (rather than callbacks) keeps the
acknowledgement explicit: nothing is acknowledged before the runner has committed what it did with it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from services.envelope import Envelope
from services.eventstore.types import LogPosition


@dataclass(frozen=True)
class Delivery:
    """One envelope as a transport handed it over.

    `partition`/`offset` are Kafka's; on the PostgreSQL transport the partition is 0, the offset is the outbox
    position and `log_position` the commit-order place the checkpoint moves to once this is acknowledged.
    """

    envelope: Envelope
    topic: str
    partition: int
    offset: int
    key: str
    traceparent: str | None = None
    log_position: LogPosition | None = None


class Subscription(Protocol):
    """A group's cursor over some topics. Used by one task at a time."""

    async def start(self) -> None: ...

    async def fetch(self, max_records: int, max_wait: float) -> list[Delivery]:
        """The next deliveries (possibly none once `max_wait` seconds have passed without any)."""
        ...

    async def commit(self, deliveries: Sequence[Delivery]) -> None:
        """Acknowledge everything fetched up to and including `deliveries` (a whole fetched batch, in order).

        Called only after the batch's effects are committed: a crash before this redelivers, never loses.
        """
        ...

    async def lag(self) -> dict[tuple[str, int], int] | None:
        """Messages not yet acknowledged by the group, per (topic, partition) (None when not known yet)."""
        ...

    async def close(self) -> None: ...


# The next offset of (topic, partition) as the consumer's own database records it, or None if it does not:
# a database restored from a backup is behind the group's offsets on the broker, and must be fed again.
ResumeFrom = Callable[[str, int], Awaitable[int | None]]


class Transport(Protocol):
    """Kafka or the PostgreSQL log: chosen by settings, the runners do not know which."""

    name: str

    def subscribe(
        self, group: str, topics: Sequence[str], resume_from: ResumeFrom | None = None
    ) -> Subscription: ...

    async def publish_dead_letter(self, delivery: Delivery, error: str) -> None:
        """Make a message that kept failing visible on the bus as well (`<topic>.dlq` on Kafka; no-op on the
        PostgreSQL log, where the `dead_letters` table is the whole story)."""
        ...

    async def close(self) -> None: ...
