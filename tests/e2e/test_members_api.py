"""The register through the public API: list with cursor pagination and filters, corrections with If-Match."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import APPLICATION, auth, until

WITHIN = 30.0
PAGED_TENANT = "grandsensemble"


async def apply(deployment: Deployment, key: str, **fields: object) -> str:
    answer = await deployment.gateway.post("/v1/members", json={**APPLICATION, **fields}, headers=auth(key))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def test_the_register_is_read_a_page_at_a_time_in_application_order(deployment: Deployment) -> None:
    key = await deployment.api_key(PAGED_TENANT, "members:read", "members:write")
    # The deployment serves other tests too: this test's members are those named with its token.
    token = uuid.uuid4().hex[:12]
    applied = [await apply(deployment, key, display_name=f"Member {token} {n}") for n in range(5)]

    async def all_listed() -> bool:
        params = {"limit": 100, "name": token}
        answer = await deployment.gateway.get("/v1/members", params=params, headers=auth(key))
        return len(answer.json()["data"]) == 5

    await until(all_listed, within=WITHIN)
    seen: list[str] = []
    pages = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2, "name": token, **({"cursor": cursor} if cursor else {})}
        page = (await deployment.gateway.get("/v1/members", params=params, headers=auth(key))).json()
        pages.append(page)
        seen += [member["id"] for member in page["data"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]
    assert seen == applied
    assert [len(page["data"]) for page in pages] == [2, 2, 1]
    assert all(page["object"] == "list" for page in pages)


async def test_filters_are_named_after_the_fields(deployment: Deployment) -> None:
    key = await deployment.api_key("coop-portage", "members:read", "members:write")
    token = uuid.uuid4().hex[:12]
    wanted = await apply(deployment, key, category=7, person_kind="legal_entity", display_name=f"SAS {token}")
    await apply(deployment, key, category=2, display_name=f"Jeanne {token}")

    async def found() -> bool:
        params = {"category": 7, "person_kind": "legal_entity", "name": token}
        answer = await deployment.gateway.get("/v1/members", params=params, headers=auth(key))
        return [m["id"] for m in answer.json()["data"]] == [wanted]

    await until(found, within=WITHIN)


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "eyJhZnRlciI6IDF9"}, "cursor"),  # valid base64 JSON, but not one of ours
        ({"status": "sleeping"}, "status"),
    ],
    ids=["limit-zero", "limit-over-100", "garbled-cursor", "foreign-cursor", "unknown-status"],
)
async def test_a_bad_page_request_is_a_400_naming_the_parameter(
    deployment: Deployment, params: dict[str, str | int], param: str
) -> None:
    key = await deployment.api_key("smartfr", "members:read")
    answer = await deployment.gateway.get("/v1/members", params=params, headers=auth(key))
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert param in answer.json()["param"]


async def test_a_correction_applies_to_the_version_named_by_if_match_and_no_other(
    deployment: Deployment,
) -> None:
    key = await deployment.api_key("alterna", "members:read", "members:write")
    member_id = await apply(deployment, key)

    async def readable() -> bool:
        return (
            await deployment.gateway.get(f"/v1/members/{member_id}", headers=auth(key))
        ).status_code == 200

    await until(readable, within=WITHIN)
    read = await deployment.gateway.get(f"/v1/members/{member_id}", headers=auth(key))
    etag = read.headers["etag"]
    assert etag == '"1"'

    changed = await deployment.gateway.patch(
        f"/v1/members/{member_id}",
        json={"display_name": "Camille Durand"},
        headers=auth(key, **{"If-Match": etag}),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["display_name"] == "Camille Durand"
    assert changed.json()["category"] == APPLICATION["category"]
    assert changed.headers["etag"] == '"2"'

    stale = await deployment.gateway.patch(
        f"/v1/members/{member_id}", json={"category": 3}, headers=auth(key, **{"If-Match": etag})
    )
    assert stale.status_code == 412, stale.text
    assert stale.json()["code"] == "precondition_failed"

    async def shows_the_change() -> bool:
        answer = await deployment.gateway.get(f"/v1/members/{member_id}", headers=auth(key))
        return answer.json()["display_name"] == "Camille Durand" and answer.headers["etag"] == '"2"'

    await until(shows_the_change, within=WITHIN)


async def test_another_tenant_cannot_correct_a_member(deployment: Deployment) -> None:
    owner = await deployment.api_key("alterna", "members:write")
    other = await deployment.api_key("smartfr", "members:write", "members:read")
    member_id = await apply(deployment, owner)
    answer = await deployment.gateway.patch(
        f"/v1/members/{member_id}", json={"display_name": "Mallory"}, headers=auth(other)
    )
    assert answer.status_code == 404
    assert answer.json()["code"] == "member_not_found"
