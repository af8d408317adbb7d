"""The walking skeleton, one test body per behaviour, run in the embedded and in the distributed mode.

A member applies through the gateway; members-svc decides and appends; the public event crosses the bus
(the PostgreSQL log, or Kafka between separate processes); contracts-svc records the member in its read model;
the gateway's GET shows it.
"""

from __future__ import annotations

import httpx
import pytest

from backoffice.catalogue import SERVICES
from services.runtime import ServiceRuntime
from services.testkit.infrastructure import KafkaBroker
from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import APPLICATION, auth, member_applies, member_reaches_contracts

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
ALL_SCOPES = ("members:read", "members:write", "contracts:read")
# In the distributed mode a consumer group joins and Kafka delivers: allow for a rebalance.
WITHIN = {"embedded": 15.0, "distributed": 60.0}


async def test_a_member_who_applies_is_known_to_contracts_through_the_bus(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", *ALL_SCOPES)
    member_id = await member_applies(deployment.gateway, key)
    await member_reaches_contracts(deployment.gateway, key, member_id, within=WITHIN[deployment.mode])


async def test_another_tenant_does_not_see_the_member(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", *ALL_SCOPES)
    other = await deployment.api_key("alterna", *ALL_SCOPES)
    member_id = await member_applies(deployment.gateway, key)
    await member_reaches_contracts(deployment.gateway, key, member_id, within=WITHIN[deployment.mode])
    for path in (f"/v1/members/{member_id}", f"/v1/employees/{member_id}"):
        answer = await deployment.gateway.get(path, headers=auth(other))
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        (b'{"person_kind": "natural_person", "display_name": ', 400, None),
        (b'{"person_kind": "natural_person", "display_name": 42}', 400, "display_name"),
        (b'{"person_kind": "robot", "display_name": "R2"}', 400, "person_kind"),
        (b'{"person_kind": "natural_person", "display_name": "A", "shoe_size": 44}', 400, "shoe_size"),
        (b'{"person_kind": "natural_person", "display_name": "A", "category": 12}', 400, "category"),
        (b'{"person_kind": "natural_person", "display_name": "' + b"x" * 2_000_000 + b'"}', 413, None),
    ],
    ids=["malformed-json", "wrong-type", "wrong-value", "unknown-field", "out-of-range", "oversize-body"],
)
async def test_bad_input_is_refused_with_a_problem_naming_the_field_and_nothing_is_stored(
    deployment: Deployment, body: bytes, status: int, param: str | None
) -> None:
    key = await deployment.api_key("smartfr", "members:write")
    before = await deployment.member_events()
    answer = await deployment.gateway.post(
        "/v1/members", content=body, headers=auth(key, **{"Content-Type": "application/json"})
    )
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["status"] == status
    assert problem["request_id"] == answer.headers["request-id"]
    if param is not None:
        assert param in problem["param"], problem
    assert await deployment.member_events() == before


async def test_a_call_without_credential_or_scope_is_refused_and_nothing_is_stored(
    deployment: Deployment,
) -> None:
    reader = await deployment.api_key("smartfr", "members:read")
    before = await deployment.member_events()
    anonymous = await deployment.gateway.post("/v1/members", json=APPLICATION)
    assert anonymous.status_code == 401
    forged = await deployment.gateway.post("/v1/members", json=APPLICATION, headers=auth("coop_test_forged"))
    assert forged.status_code == 401
    no_scope = await deployment.gateway.post("/v1/members", json=APPLICATION, headers=auth(reader))
    assert no_scope.status_code == 403
    assert no_scope.json()["code"] == "insufficient_scope"
    assert await deployment.member_events() == before


async def test_the_callers_trace_travels_with_the_public_event(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", *ALL_SCOPES)
    member_id = await member_applies(deployment.gateway, key, traceparent=TRACEPARENT)
    traceparent = await deployment.fetchval(
        "members",
        "SELECT envelope->>'traceparent' FROM outbox WHERE envelope->'data'->>'member_id' = $1",
        member_id,
    )
    assert isinstance(traceparent, str)
    assert traceparent.split("-")[1] == TRACEPARENT.split("-")[1]


async def test_a_service_refuses_a_call_without_the_gateways_token() -> None:
    members_app = ServiceRuntime(SERVICES["members"].definition(), SERVICES["members"].settings()).app
    transport = httpx.ASGITransport(app=members_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://members") as members:
        answer = await members.post("/internal/members", json=APPLICATION)
    assert answer.status_code == 401
    assert answer.json()["code"] == "internal_token_missing"


@pytest.mark.kafka
@pytest.mark.slow
async def test_an_application_made_while_the_broker_is_down_reaches_contracts_once_it_is_back(
    distributed_deployment: Deployment, controllable_kafka: KafkaBroker
) -> None:
    deployment = distributed_deployment
    key = await deployment.api_key("smartfr", *ALL_SCOPES)
    await controllable_kafka.stop()
    # The broker is gone: the application is still accepted (its public event waits in the outbox) ...
    during_outage = await member_applies(deployment.gateway, key)
    await controllable_kafka.start()
    # ... and reaches contracts-svc once the broker is back; nothing is lost.
    await member_reaches_contracts(deployment.gateway, key, during_outage, within=90)
    assert all(process.poll() is None for process in deployment.processes.values()), deployment.tail()
