"""The envelope every public event travels in, on Kafka and on the PostgreSQL log transport alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class Envelope(BaseModel):
    """A public event as it crosses the bus.

    `event_type` names the producer and the event (`members.MemberApplied`); `schema_version` picks the JSON
    Schema in `schemas/`. `stream_id` is also the Kafka key, so the order within one aggregate holds.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: UUID
    event_type: str
    schema_version: int
    stream_id: str
    stream_version: int
    occurred_at: datetime
    tenant: str
    correlation_id: UUID
    causation_id: UUID | None = None
    traceparent: str | None = None
    data: dict[str, Any]

    def topic(self) -> str:
        """`<producer>.events`: one topic per producing service."""
        return topic_of(self.event_type)


def topic_of(event_type: str) -> str:
    producer = event_type.split(".", 1)[0]
    return f"{producer}.events"


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"
