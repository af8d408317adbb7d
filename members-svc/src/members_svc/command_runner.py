"""One way to run a command on an aggregate of members-svc: its stream, the request's correlation and trace,
its public events, in the caller's transaction when given one. The generic loop is the chassis's
(`services.command_loop`); this holds what every members-svc handler passed to it the same way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from services import command_loop
from services.command_loop import Handled, ToPublic, no_public_events
from services.decider import Decider, EventCodec
from services.eventstore.store import EventStore
from services.http import current_request_id
from services.log_reader import Conn
from services.telemetry import current_traceparent


class Command(Protocol):
    @property
    def now(self) -> datetime: ...


C = TypeVar("C", bound=Command)
E = TypeVar("E")
S = TypeVar("S")


@dataclass(frozen=True)
class CommandRunner(Generic[C, E, S]):
    """Load the command's stream, decide, append with the public events; the command carries its time."""

    store: EventStore
    decider: Decider[C, E, S]
    codec: EventCodec[E]
    stream_of: Callable[[C], str]
    to_public: ToPublic[E] = no_public_events
    retries_on_conflict: int = 0  # replays of the whole load-decide-append on a concurrent append

    async def run(
        self,
        command: C,
        *,
        tenant: str,
        expected_version: int | None = None,
        conn: Conn | None = None,
        correlation_id: str | None = None,
        new_stream: bool = False,
    ) -> Handled[E, S]:
        return await command_loop.handle(
            self.store,
            self.decider,
            self.codec,
            self.stream_of(command),
            command,
            tenant=tenant,
            metadata={
                "correlation_id": correlation_id or current_request_id() or None,
                "traceparent": current_traceparent(),
            },
            to_public=self.to_public,
            occurred_at=command.now,
            conn=conn,
            retries_on_conflict=self.retries_on_conflict,
            expected_version=expected_version,
            new_stream=new_stream,
        )
