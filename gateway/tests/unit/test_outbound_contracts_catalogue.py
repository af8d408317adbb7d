"""contracts-svc's public events become thin outbound webhooks naming the contract."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.outbound.catalogue import CATALOGUE, TOPICS, webhook_event
from services.envelope import Envelope

CONTRACT = str(uuid.uuid4())


SCHEMAS = Path(__file__).resolve().parents[3] / "schemas" / "jsonschema" / "contracts"


def example(event_type: str) -> dict[str, Any]:
    """The schema's own example, with this test's contract id."""
    name = event_type.split(".", 1)[1]
    data: dict[str, Any] = json.loads((SCHEMAS / f"{name}.v1.json").read_text())["examples"][0]
    return {**data, "contract_id": CONTRACT}


@pytest.mark.parametrize(
    ("event_type", "webhook_type"),
    [
        ("contracts.HireDeclared", "contract.hire_declared"),
        ("contracts.ContractSigned", "contract.signed"),
        ("contracts.ContractCompleted", "contract.completed"),
        ("contracts.ContractCancelled", "contract.cancelled"),
    ],
)
def test_a_contracts_event_becomes_a_thin_webhook_of_the_catalogue(
    event_type: str, webhook_type: str
) -> None:
    envelope = Envelope(
        event_id=uuid.uuid4(),
        event_type=event_type,
        schema_version=1,
        stream_id=f"contract-{CONTRACT}",
        stream_version=1,
        occurred_at=datetime(2026, 11, 26, tzinfo=UTC),
        tenant="smartfr",
        correlation_id=uuid.uuid4(),
        data=example(event_type),
    )
    event = webhook_event(envelope)
    assert event is not None
    assert (event.type, event.object, event.object_id) == (webhook_type, "contract", CONTRACT)
    assert event.type in CATALOGUE
    assert "contracts.events" in TOPICS


def test_drafts_and_reported_work_are_not_webhooks() -> None:
    for event_type in ("contracts.ContractDrafted", "contracts.WorkReported"):
        envelope = Envelope(
            event_id=uuid.uuid4(),
            event_type=event_type,
            schema_version=1,
            stream_id=f"contract-{CONTRACT}",
            stream_version=1,
            occurred_at=datetime(2026, 11, 26, tzinfo=UTC),
            tenant="smartfr",
            correlation_id=uuid.uuid4(),
            data=example(event_type),
        )
        assert webhook_event(envelope) is None
