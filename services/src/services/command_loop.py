"""The generic command handler: load the stream, fold, decide, append events and public events at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from services.decider import Decider, EventCodec
from services.envelope import Envelope
from services.eventstore.errors import ConcurrencyConflict
from services.eventstore.store import AppendResult, EventStore
from services.ids import new_event_id
from services.log_reader import Conn

C = TypeVar("C")
E = TypeVar("E")
S = TypeVar("S")


@dataclass(frozen=True)
class Decided(Generic[E]):
    """A newly decided private event with what its public counterpart needs to know."""

    event: E
    event_id: UUID
    event_type: str
    stream_id: str
    stream_version: int
    tenant: str
    occurred_at: datetime
    correlation_id: UUID
    causation_id: UUID | None
    traceparent: str | None

    def public(
        self,
        event_type: str,
        data: Mapping[str, Any],
        *,
        schema_version: int = 1,
        stream_id: str | None = None,
    ) -> Envelope:
        """The envelope of a public event (`members.MemberApplied`) translated from this one."""
        return Envelope(
            event_id=new_event_id(),
            event_type=event_type,
            schema_version=schema_version,
            stream_id=stream_id or self.stream_id,
            stream_version=self.stream_version,
            occurred_at=self.occurred_at,
            tenant=self.tenant,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            traceparent=self.traceparent,
            data=dict(data),
        )


ToPublic = Callable[[Sequence[Decided[E]]], Sequence[Envelope]]


def no_public_events(decided: Sequence[Decided[Any]]) -> Sequence[Envelope]:
    return ()


@dataclass(frozen=True)
class Handled(Generic[E, S]):
    events: list[E]  # the new events; empty when the command changed nothing
    version: int  # the stream's version after them
    state: S
    public: list[Envelope]
    appended: AppendResult | None


async def handle(
    store: EventStore,
    decider: Decider[C, E, S],
    codec: EventCodec[E],
    stream_id: str,
    command: C,
    *,
    tenant: str,
    metadata: Mapping[str, Any] | None = None,
    to_public: ToPublic[E] = no_public_events,
    occurred_at: datetime | None = None,
    conn: Conn | None = None,
    retries_on_conflict: int = 0,
    expected_version: int | None = None,
    new_stream: bool = False,
    read: tuple[int, S] | None = None,
) -> Handled[E, S]:
    """Decide `command` on the stream's state and append the outcome at the version it was decided on.

    `metadata` may carry `correlation_id` (a new one is made otherwise), `causation_id` and `traceparent`;
    they go into every stored event's metadata and every public envelope. Domain errors raised by `decide`
    propagate. On `ConcurrencyConflict` the whole load-decide-append is retried up to `retries_on_conflict`
    times, except inside a caller's transaction that the conflict aborted. `expected_version` is the caller's
    precondition (an HTTP `If-Match`): a stream at another version raises `ConcurrencyConflict` at once.
    `new_stream` says the caller has just minted the stream's id: nothing to read, the events go at version 1
    (a stream that exists after all makes the append raise `ConcurrencyConflict`, as a concurrent writer).
    `read` is the stream's (version, state) the caller has just read or made: decided on without reading
    again; a stream that moved since makes the append conflict, and a retry reads it.
    """
    meta = dict(metadata or {})
    correlation_id = _uuid(meta.get("correlation_id")) or new_event_id()
    meta["correlation_id"] = str(correlation_id)
    causation_id = _uuid(meta.get("causation_id"))
    traceparent = meta.get("traceparent")
    when = occurred_at or datetime.now(UTC)
    if new_stream and read is None:
        read = (0, decider.initial_state)  # a stream just minted is read as empty
    attempt = 0
    while True:
        if attempt == 0 and read is not None:
            version, state = read
        else:
            recorded = await store.read_stream(stream_id, tenant=tenant, conn=conn)
            version = recorded[-1].stream_version if recorded else 0
            state = decider.fold(codec.decode(r) for r in recorded)
        if expected_version is not None and version != expected_version:
            raise ConcurrencyConflict(stream_id, expected_version, version)
        events = list(decider.decide(command, state))
        if not events:
            return Handled([], version, state, [], None)
        new_events = [codec.encode(event, event_id=new_event_id()) for event in events]
        decided = [
            Decided(
                event,
                new.event_id or new_event_id(),
                new.event_type,
                stream_id,
                version + i,
                tenant,
                when,
                correlation_id,
                causation_id,
                traceparent,
            )
            for i, (event, new) in enumerate(zip(events, new_events, strict=True), start=1)
        ]
        public = list(to_public(decided))
        try:
            appended = await store.append(
                stream_id, version, new_events, tenant=tenant, outbox=public, metadata=meta, conn=conn
            )
        except ConcurrencyConflict as conflict:
            # A unique violation (actual_version unknown) aborts a caller's transaction: no retry inside it.
            aborted = conn is not None and conn.is_in_transaction() and conflict.actual_version is None
            if attempt >= retries_on_conflict or aborted:
                raise
            attempt += 1
            continue
        return Handled(events, appended.last_version, decider.fold_from(state, events), public, appended)


def _uuid(value: Any) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    return UUID(str(value))
