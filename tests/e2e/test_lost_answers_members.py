"""members-svc when the gateway loses an answer (ADR 023): the integrator's retry, with the same
Idempotency-Key, runs the request again; the ids minted from the key name what the first run made, which is
found and not made again. Another key makes another.

Embedded mode: the crash window is made in the gateway's store, whatever runs the services.
"""

from __future__ import annotations

from typing import Any

from stdnum import luhn

from tests.e2e.deployments import Deployment
from tests.e2e.lost_answers import post_twice_with_the_answer_lost
from tests.e2e.skeleton import APPLICATION, auth, until

WITHIN = 30.0
TENANT = "smartfr"  # its nominal: 30 EUR a share


async def events_on(deployment: Deployment, stream_id: str) -> int:
    query = "SELECT count(*) FROM events WHERE stream_id = $1"
    count = await deployment.fetchval("members", query, stream_id)
    assert isinstance(count, int)
    return count


async def writer(deployment: Deployment) -> str:
    return await deployment.api_key(TENANT, "members:read", "members:write")


async def applied_member(deployment: Deployment, key: str) -> str:
    answer = await deployment.gateway.post("/v1/members", json=APPLICATION, headers=auth(key))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def same_answer(first: Any, retry: Any) -> str:
    """Both answered the same way, naming the same thing: its id."""
    assert (retry.status_code, retry.json()["id"]) == (first.status_code, first.json()["id"]), retry.text
    return str(first.json()["id"])


async def test_a_retried_application_names_the_same_member_and_applies_once(
    embedded_deployment: Deployment,
) -> None:
    deployment = embedded_deployment
    key = await writer(deployment)
    before = await deployment.member_events()

    first, retry = await post_twice_with_the_answer_lost(deployment, "/v1/members", APPLICATION, auth(key))

    member_id = same_answer(first, retry)
    assert first.status_code == 201
    assert retry.json()["status"] == "applied"
    assert retry.headers["location"] == f"/v1/members/{member_id}"
    assert await events_on(deployment, f"member-{member_id}") == 1
    assert await deployment.member_events() == before + 1
    another = await applied_member(deployment, key)  # another key: another applicant
    assert another != member_id


async def test_a_retried_share_subscription_subscribes_once_and_counts_in_the_capital_once(
    embedded_deployment: Deployment,
) -> None:
    deployment = embedded_deployment
    key = await writer(deployment)
    member_id = await applied_member(deployment, key)
    capital_before = await events_on(deployment, f"capital-{TENANT}")
    path = f"/v1/members/{member_id}/share_subscriptions"
    body = {"share_count": 10, "subscribed_on": "2026-11-26"}

    first, retry = await post_twice_with_the_answer_lost(deployment, path, body, auth(key))

    assert (retry.status_code, retry.json()) == (first.status_code, first.json())
    assert (retry.json()["share_count"], retry.json()["subscribed_cents"]) == (10, 30_000)
    assert await events_on(deployment, f"shares-{member_id}") == 1
    assert await events_on(deployment, f"capital-{TENANT}") == capital_before + 1

    # Another key is another subscription: the holding and the capital grow again.
    second = await deployment.gateway.post(path, json=body, headers=auth(key))
    assert (second.status_code, second.json()["share_count"]) == (201, 20), second.text
    assert await events_on(deployment, f"shares-{member_id}") == 2
    assert await events_on(deployment, f"capital-{TENANT}") == capital_before + 2

    async def the_holding_shows_both_subscriptions_once() -> bool:
        shares = await deployment.gateway.get(f"/v1/members/{member_id}/shares", headers=auth(key))
        return shares.status_code == 200 and shares.json()["subscribed_cents"] == 60_000

    await until(the_holding_shows_both_subscriptions_once, within=WITHIN)


async def test_a_retried_share_payment_is_paid_once(embedded_deployment: Deployment) -> None:
    deployment = embedded_deployment
    key = await writer(deployment)
    member_id = await applied_member(deployment, key)
    subscription = {"share_count": 10, "subscribed_on": "2026-11-26"}
    subscribed = await deployment.gateway.post(
        f"/v1/members/{member_id}/share_subscriptions", json=subscription, headers=auth(key)
    )
    assert subscribed.status_code == 201, subscribed.text
    path = f"/v1/members/{member_id}/share_payments"
    body = {"amount_cents": 10_000, "paid_on": "2026-11-27"}

    first, retry = await post_twice_with_the_answer_lost(deployment, path, body, auth(key))

    assert (retry.status_code, retry.json()) == (first.status_code, first.json())
    assert (retry.json()["paid_cents"], retry.json()["unpaid_cents"]) == (10_000, 20_000)
    assert await events_on(deployment, f"shares-{member_id}") == 2
    second = await deployment.gateway.post(path, json=body, headers=auth(key))
    assert (second.status_code, second.json()["paid_cents"]) == (201, 20_000), second.text


CONVOCATION = {
    "title": "AGO 2027",
    "kind": "ordinary",
    "held_on": "2027-06-15",
    "members_convened": 10,
    "resolutions": [{"title": "Approval of the 2026 accounts"}],
}


async def test_a_retried_convocation_names_the_same_assembly_and_convenes_it_once(
    embedded_deployment: Deployment,
) -> None:
    deployment = embedded_deployment
    key = await writer(deployment)

    first, retry = await post_twice_with_the_answer_lost(deployment, "/v1/assemblies", CONVOCATION, auth(key))

    assembly_id = same_answer(first, retry)
    assert first.status_code == 201
    assert retry.json() == first.json()
    assert await events_on(deployment, f"assembly-{assembly_id}") == 1
    another = await deployment.gateway.post("/v1/assemblies", json=CONVOCATION, headers=auth(key))
    assert another.status_code == 201, another.text
    assert another.json()["id"] != assembly_id


def siret(establishment: int) -> str:
    """A valid SIRET of SIREN 732829320: the establishment number (NIC) and the Luhn key."""
    without_key = f"732829320{establishment:04d}"
    return without_key + luhn.calc_check_digit(without_key)


def registration(establishment: int) -> dict[str, Any]:
    return {
        "siret": siret(establishment),
        "legal_name": "Les Ateliers du Spectacle",
        "kind": "association",
        "address": {"street": "12 rue des Arts", "postal_code": "75011", "city": "Paris"},
        "contacts": [
            {"name": "Léa Garnier", "email": "lea@ateliers.example"},
            {"name": "Noé Petit", "email": "noe@ateliers.example"},
        ],
    }


async def test_a_retried_registration_names_the_same_structure_and_contacts_and_registers_once(
    embedded_deployment: Deployment,
) -> None:
    deployment = embedded_deployment
    key = await writer(deployment)
    body = registration(1)

    path = "/v1/employer_structures"
    first, retry = await post_twice_with_the_answer_lost(deployment, path, body, auth(key))

    structure_id = same_answer(first, retry)
    assert first.status_code == 201
    assert retry.json()["contacts"] == first.json()["contacts"]
    assert await events_on(deployment, f"employer-{structure_id}") == 1
    keys = await deployment.fetchval(
        "members", "SELECT count(*) FROM employer_contact_keys WHERE employer_structure_id = $1", structure_id
    )
    assert keys == 2  # the contacts' keys saved by the first run: those that open what it sealed

    # Another key under the same SIRET is another registration, refused; under another SIRET, made.
    again = await deployment.gateway.post(path, json=body, headers=auth(key))
    assert (again.status_code, again.json()["code"]) == (409, "employer_structure_already_registered")
    other = await deployment.gateway.post(path, json=registration(2), headers=auth(key))
    assert other.status_code == 201, other.text
    assert other.json()["id"] != structure_id
