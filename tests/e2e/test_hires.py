"""Hires pushed by an association (POST /v1/webhooks/hires), in both modes: a signed batch of 500 becomes
500 contracts with the association as employer, each declared to URSSAF and signed, all visible through the
gateway; the same batch pushed again creates nothing; a hire that breaks a rule is rejected with its
reason."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from gateway.auth.api_keys import create_client
from gateway.config import Settings
from gateway.inbound.sealing import Sealer
from gateway.inbound.signatures import sign
from gateway.inbound.sources import issue_secret
from tests.e2e.deployments import API_VERSION, Deployment
from tests.e2e.skeleton import auth, until

WITHIN = 180.0
BATCH = 500
TENANT = "smartfr"


def employer() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),  # a structure of its own per test: its contracts are counted apart
        "legal_name": "Les Ateliers du Spectacle",
        "siret": "73282932000074",
        "ape_code": "90.01Z",
        "street": "12 rue des Arts",
        "postal_code": "75011",
        "city": "Paris",
        "occupational_health_service": "CMB Paris",
    }


def hire(reference: str, member_id: str, starts_at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "reference": reference,
        "member_id": member_id,
        "employee": {
            "last_name": "Garnier",
            "first_names": "Léa",
            "sex": "F",
            "birth_date": "1995-10-03",
            "birth_place": "Paris",
            "nir": "295107512611162",
        },
        "contract_type": "cddu",
        "job_title": "Technicienne plateau",
        "sector": "spectacle",
        "starts_at": starts_at.isoformat(),
        "ends_on": (starts_at + timedelta(days=2)).date().isoformat(),
        "pay": {"basis": "hourly", "amount_cents": 1500},
        **fields,
    }


class Association:
    """An association's API client (webhooks:send) and its signing secret, as SmartFr issues them."""

    def __init__(self, api_key: str, secret: str) -> None:
        self.api_key = api_key
        self.secret = secret

    def headers(self, body: bytes, webhook_id: str | None = None) -> dict[str, str]:
        webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
        timestamp = int(time.time())
        return {
            "Authorization": f"Bearer {self.api_key}",
            "Content-Type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self.secret, webhook_id, timestamp, body),
        }


async def association(deployment: Deployment) -> Association:
    conn = await asyncpg.connect(deployment.database_url, server_settings={"search_path": "gateway"})
    try:
        client = await create_client(
            conn, tenant=TENANT, name="association", scopes=["webhooks:send"], api_version=API_VERSION
        )
        sealer = Sealer(Settings().secrets_encryption_key.get_secret_value())
        secret = await issue_secret(
            conn,
            sealer,
            tenant=TENANT,
            source_id=f"assoc_{uuid.uuid4().hex[:12]}",
            now=datetime.now(UTC),
            client_id=client.client_id,
        )
    finally:
        await conn.close()
    return Association(client.api_key, secret)


async def members(deployment: Deployment, key: str, count: int) -> list[str]:
    """Members contracts-svc has heard of (members.events), to be hired."""
    made = []
    for n in range(count):
        applied = await deployment.gateway.post(
            "/v1/members",
            json={"person_kind": "natural_person", "display_name": f"Intermittent {n}", "category": 1},
            headers=auth(key),
        )
        assert applied.status_code == 201, applied.text
        made.append(applied.json()["id"])

    async def known() -> bool:
        answers = [await deployment.gateway.get(f"/v1/employees/{m}", headers=auth(key)) for m in made]
        return all(a.status_code == 200 for a in answers)

    await until(known, within=60)
    return made


async def signed_contracts(deployment: Deployment, employer_id: str) -> int:
    count = await deployment.fetchval(
        "contracts",
        "SELECT count(*) FROM contract_directory WHERE employer_id = $1 AND status = 'signed'",
        uuid.UUID(employer_id),
    )
    assert isinstance(count, int)
    return count


async def test_a_batch_of_500_hires_becomes_500_declared_contracts_once(deployment: Deployment) -> None:
    key = await deployment.api_key(TENANT, "members:read", "members:write", "contracts:read")
    sender = await association(deployment)
    people = await members(deployment, key, 5)
    starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    structure = employer()
    batch = {
        "employer": structure,
        "hires": [hire(f"H-{n:04d}", people[n % len(people)], starts_at) for n in range(BATCH)],
    }
    body = json.dumps(batch).encode()

    pushed = await deployment.gateway.post("/v1/webhooks/hires", content=body, headers=sender.headers(body))
    assert pushed.status_code == 202, pushed.text
    answer = pushed.json()
    assert answer["status"] == "accepted"
    hire_ids = [h["id"] for h in answer["hires"]]
    assert len(set(hire_ids)) == BATCH
    assert [h["reference"] for h in answer["hires"]] == [f"H-{n:04d}" for n in range(BATCH)]

    async def all_signed() -> bool:
        return await signed_contracts(deployment, structure["id"]) == BATCH

    await until(all_signed, within=WITHIN)

    # Through the gateway: 500 contracts of the association, each with its DPAE acknowledgement.
    listed: list[dict[str, Any]] = []
    params: dict[str, str] = {"employer_id": structure["id"], "limit": "100"}
    while True:
        page = await deployment.gateway.get("/v1/contracts", params=params, headers=auth(key))
        assert page.status_code == 200, page.text
        listed.extend(page.json()["data"])
        if not page.json()["has_more"]:
            break
        params["cursor"] = page.json()["next_cursor"]
    assert len(listed) == BATCH
    assert all(c["status"] == "signed" and c["employer_kind"] == "association" for c in listed)
    assert len({c["acknowledgement_id"] for c in listed}) == BATCH  # one DPAE each, all acknowledged
    first = await deployment.gateway.get(f"/v1/hires/{hire_ids[0]}", headers=auth(sender.api_key))
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "accepted"
    contract = await deployment.gateway.get(f"/v1/contracts/{first.json()['contract_id']}", headers=auth(key))
    assert contract.json()["hire_declaration"]["acknowledgement_id"].startswith("DPAE-")
    assert "295107512611162" not in contract.text

    # The same batch again, in a new message: the same hire ids, and nothing created.
    events_before = await deployment.fetchval("contracts", "SELECT count(*) FROM events")
    again = await deployment.gateway.post("/v1/webhooks/hires", content=body, headers=sender.headers(body))
    assert again.status_code == 202, again.text
    assert [h["id"] for h in again.json()["hires"]] == hire_ids

    async def second_message_processed() -> bool:
        processed = await deployment.fetchval(
            "gateway",
            "SELECT count(*) FROM inbox WHERE consumer = 'gateway-hires' AND event_id IN"
            " (SELECT event_id FROM outbox WHERE envelope->'data'->>'message_id' = $1)",
            again.json()["id"],
        )
        return processed == 1

    await until(second_message_processed, within=WITHIN)
    assert await deployment.fetchval("contracts", "SELECT count(*) FROM events") == events_before
    assert await signed_contracts(deployment, structure["id"]) == BATCH


async def test_a_hire_that_breaks_a_rule_is_rejected_with_its_reason(deployment: Deployment) -> None:
    key = await deployment.api_key(TENANT, "members:read", "members:write", "contracts:read")
    sender = await association(deployment)
    [person] = await members(deployment, key, 1)
    starts_at = datetime.now(UTC) + timedelta(days=2)
    one = {"employer": employer(), "hire": hire("R-1", person, starts_at, sector="commerce")}
    body = json.dumps(one).encode()
    pushed = await deployment.gateway.post("/v1/webhooks/hires", content=body, headers=sender.headers(body))
    assert pushed.status_code == 202, pushed.text
    [rejected_id] = [h["id"] for h in pushed.json()["hires"]]

    async def decided() -> bool:
        answer = await deployment.gateway.get(f"/v1/hires/{rejected_id}", headers=auth(sender.api_key))
        return answer.status_code == 200

    await until(decided, within=60)
    read = await deployment.gateway.get(f"/v1/hires/{rejected_id}", headers=auth(sender.api_key))
    assert read.json()["status"] == "rejected"
    assert read.json()["reasons"] == [{"code": "contract_rule_cddu_sector", "param": "body.sector"}]
    assert read.json()["contract_id"] is None

    # A malformed batch is refused before anything is stored, naming the field.
    bad = json.dumps({"employer": employer(), "hires": [{"reference": "X"}]}).encode()
    refused = await deployment.gateway.post("/v1/webhooks/hires", content=bad, headers=sender.headers(bad))
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "webhook_payload_invalid"
    assert refused.json()["param"].startswith("body.hires.0")
