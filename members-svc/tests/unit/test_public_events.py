"""The shares and assembly events members-svc publishes: each private event's public counterpart is what its
JSON Schema declares (validated through the schemas registry), thin, in cents, and with nothing personal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from members_svc.domain.assemblies import (
    AssemblyClosed,
    AssemblyConvened,
    Resolution,
    ResolutionOutcome,
    VoteCast,
)
from members_svc.domain.assemblies.statutes import SMARTFR
from members_svc.domain.shares import SharesPaid, SharesRepaid, SharesSubscribed
from members_svc.integration import assemblies_outbound, shares_outbound
from schemas import registry
from services.command_loop import Decided

MEMBER = UUID("0192f0a0-0000-7000-8000-000000000001")
ASSEMBLY = UUID("0192f0a0-0000-7000-8000-0000000000a1")
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)


def decided(event: Any, stream: str, version: int = 1) -> Decided[Any]:
    return Decided(event, MEMBER, type(event).__name__, stream, version, "smartfr", NOW, MEMBER, None, None)


def test_a_subscription_a_payment_and_a_repayment_are_published_in_cents() -> None:
    events = [
        SharesSubscribed(
            member_id=MEMBER,
            share_count=10,
            nominal_cents=3000,
            amount_cents=30_000,
            subscribed_on=date(2026, 11, 26),
            recorded_at=NOW,
        ),
        SharesPaid(member_id=MEMBER, amount_cents=12_000, paid_on=date(2026, 11, 27), recorded_at=NOW),
        SharesRepaid(
            member_id=MEMBER,
            share_count=10,
            amount_cents=12_000,
            capital_cancelled_cents=30_000,
            left_on=date(2027, 6, 30),
            accounts_approved_on=date(2028, 6, 15),
            repaid_on=date(2028, 7, 1),
            liability_ends_on=date(2032, 6, 30),
            recorded_at=NOW,
        ),
    ]
    envelopes = shares_outbound.to_public(
        [decided(event, f"shares-{MEMBER}", n) for n, event in enumerate(events, start=1)]
    )
    assert [(e.event_type, e.stream_version) for e in envelopes] == [
        ("members.SharesSubscribed", 1),
        ("members.SharePaymentReceived", 2),
        ("members.SharesRepaid", 3),
    ]
    for envelope in envelopes:
        registry.parse_data(envelope.event_type, envelope.schema_version, envelope.data)
    assert envelopes[0].data == {
        "member_id": str(MEMBER),
        "share_count": 10,
        "nominal_cents": 3000,
        "amount_cents": 30_000,
        "subscribed_on": "2026-11-26",
    }
    assert envelopes[1].data == {"member_id": str(MEMBER), "amount_cents": 12_000, "paid_on": "2026-11-27"}
    assert envelopes[2].data["liability_ends_on"] == "2032-06-30"
    assert (envelopes[2].data["amount_cents"], envelopes[2].data["capital_cancelled_cents"]) == (
        12_000,
        30_000,
    )


def test_a_convened_assembly_is_published_and_a_ballot_is_not() -> None:
    convened = AssemblyConvened(
        assembly_id=ASSEMBLY,
        title="AGO 2027",
        kind="ordinary",
        held_on=date(2027, 6, 15),
        members_convened=3658,
        resolutions=(Resolution(number=1, title="Accounts"), Resolution(number=2, title="Board")),
        colleges=SMARTFR.colleges,
        rules=SMARTFR.rules_for("ordinary"),
        convened_at=NOW,
    )
    ballot = VoteCast(
        assembly_id=ASSEMBLY,
        member_id=MEMBER,
        category=1,
        college="beneficiaries",
        resolution=1,
        choice="yes",
        cast_at=NOW,
    )
    stream = f"assembly-{ASSEMBLY}"
    [envelope] = assemblies_outbound.to_public([decided(convened, stream), decided(ballot, stream, 2)])
    assert envelope.event_type == "members.AssemblyConvened"
    registry.parse_data(envelope.event_type, 1, envelope.data)
    assert envelope.data == {
        "assembly_id": str(ASSEMBLY),
        "kind": "ordinary",
        "held_on": "2027-06-15",
        "members_convened": 3658,
        "resolutions": 2,
    }


def test_a_closed_assembly_is_published_with_each_resolutions_result() -> None:
    closed = AssemblyClosed(
        assembly_id=ASSEMBLY,
        closed_on=date(2027, 6, 15),
        participants=5,
        outcomes=(
            ResolutionOutcome(number=1, yes_percent=Decimal("62.96"), quorum_reached=True, adopted=True),
            ResolutionOutcome(number=2, yes_percent=Decimal("37.04"), quorum_reached=True, adopted=False),
        ),
        closed_at=NOW,
    )
    [envelope] = assemblies_outbound.to_public([decided(closed, f"assembly-{ASSEMBLY}", 12)])
    assert envelope.event_type == "members.AssemblyClosed"
    registry.parse_data(envelope.event_type, 1, envelope.data)
    assert envelope.data == {
        "assembly_id": str(ASSEMBLY),
        "closed_on": "2027-06-15",
        "participants": 5,
        "resolutions": [
            {"number": 1, "yes_percent": "62.96", "quorum_reached": True, "adopted": True},
            {"number": 2, "yes_percent": "37.04", "quorum_reached": True, "adopted": False},
        ],
    }
