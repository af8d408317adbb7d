"""billing-svc's receivable and client-credit events become thin outbound webhooks: a provision and a
write-off name the invoice, the client's credit names the client by its SIREN (it has no id of its own)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.outbound.catalogue import CATALOGUE, TOPICS, webhook_event
from services.envelope import Envelope

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas" / "jsonschema" / "billing"


def envelope(event_type: str) -> Envelope:
    """An envelope whose data is the schema's own example."""
    name = event_type.split(".", 1)[1]
    data: dict[str, Any] = json.loads((SCHEMAS / f"{name}.v1.json").read_text())["examples"][0]
    return Envelope(
        event_id=uuid.uuid4(),
        event_type=event_type,
        schema_version=1,
        stream_id="receivable-0197a3d0-1c2b-7a4e-9f10-3b5c7d9e1a20",
        stream_version=1,
        occurred_at=datetime(2026, 11, 26, tzinfo=UTC),
        tenant="smartfr",
        correlation_id=uuid.uuid4(),
        data=data,
    )


@pytest.mark.parametrize(
    ("event_type", "webhook_type", "object_kind", "object_id"),
    [
        (
            "billing.DoubtfulReceivableProvisioned",
            "invoice.provisioned_as_doubtful",
            "invoice",
            "0197a3d0-1c2b-7a4e-9f10-3b5c7d9e1a20",
        ),
        (
            "billing.ReceivableWrittenOff",
            "invoice.written_off",
            "invoice",
            "0197a3d0-1c2b-7a4e-9f10-3b5c7d9e1a20",
        ),
        ("billing.ClientCreditKept", "client_credit.kept", "client_credit", "732829320"),
        ("billing.ClientCreditApplied", "client_credit.applied", "client_credit", "732829320"),
        ("billing.ClientCreditRefunded", "client_credit.refunded", "client_credit", "732829320"),
    ],
)
def test_a_receivables_event_becomes_a_thin_webhook_of_the_catalogue(
    event_type: str, webhook_type: str, object_kind: str, object_id: str
) -> None:
    event = webhook_event(envelope(event_type))
    assert event is not None
    assert (event.type, event.object, event.object_id) == (webhook_type, object_kind, object_id)
    assert event.type in CATALOGUE
    assert "billing.events" in TOPICS


def test_the_activity_accounts_movements_are_not_webhooks() -> None:
    assert webhook_event(envelope("billing.ActivityAccountCredited")) is None
