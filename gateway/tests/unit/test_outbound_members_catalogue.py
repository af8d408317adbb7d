"""members-svc's shares, employer structure and assembly events become thin outbound webhooks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.outbound.catalogue import CATALOGUE, TOPICS, webhook_event
from services.envelope import Envelope

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
MEMBER = str(uuid.uuid4())
STRUCTURE = str(uuid.uuid4())
ASSEMBLY = str(uuid.uuid4())


def envelope(event_type: str, data: dict[str, Any]) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(),
        event_type=event_type,
        schema_version=1,
        stream_id="s-1",
        stream_version=1,
        occurred_at=NOW,
        tenant="smartfr",
        correlation_id=uuid.uuid4(),
        data=data,
    )


CASES = [
    (
        "members.SharesSubscribed",
        {
            "member_id": MEMBER,
            "share_count": 2,
            "nominal_cents": 3000,
            "amount_cents": 6000,
            "subscribed_on": "2026-11-26",
        },
        ("shares.subscribed", "member_shares", MEMBER),
    ),
    (
        "members.SharePaymentReceived",
        {"member_id": MEMBER, "amount_cents": 3000, "paid_on": "2026-11-26"},
        ("shares.paid", "member_shares", MEMBER),
    ),
    (
        "members.SharesRepaid",
        {
            "member_id": MEMBER,
            "share_count": 2,
            "amount_cents": 6000,
            "capital_cancelled_cents": 6000,
            "repaid_on": "2028-07-01",
            "liability_ends_on": "2032-06-30",
        },
        ("shares.repaid", "member_shares", MEMBER),
    ),
    (
        "members.EmployerStructureStatusChanged",
        {"employer_structure_id": STRUCTURE, "status": "closed", "effective_on": "2026-12-31"},
        ("employer_structure.status_changed", "employer_structure", STRUCTURE),
    ),
    (
        "members.AssemblyConvened",
        {
            "assembly_id": ASSEMBLY,
            "kind": "ordinary",
            "held_on": "2027-06-15",
            "members_convened": 10,
            "resolutions": 1,
        },
        ("assembly.convened", "assembly", ASSEMBLY),
    ),
    (
        "members.AssemblyClosed",
        {
            "assembly_id": ASSEMBLY,
            "closed_on": "2027-06-15",
            "participants": 3,
            "resolutions": [{"number": 1, "yes_percent": "50.00", "quorum_reached": True, "adopted": False}],
        },
        ("assembly.closed", "assembly", ASSEMBLY),
    ),
]


@pytest.mark.parametrize(("event_type", "data", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_members_event_becomes_a_thin_webhook_of_the_catalogue(
    event_type: str, data: dict[str, Any], expected: tuple[str, str, str]
) -> None:
    event = webhook_event(envelope(event_type, data))
    assert event is not None
    assert (event.type, event.object, event.object_id) == expected
    assert event.type in CATALOGUE
    assert "members.events" in TOPICS
