"""Employer structures through the public API: register (once per SIRET and tenant), list with cursor
pagination and filters, read, change status with If-Match; every invalid input is a 400 naming the field and
appends nothing. The structure's inbound webhook secret: issued, a push signed with it accepted, 404 for
another tenant, revoked over the bus on closure."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks import Webhook
from stdnum import luhn

from gateway.auth.api_keys import create_client
from services.db import create_pool
from tests.e2e.deployments import API_VERSION, Deployment
from tests.e2e.skeleton import auth, until

WITHIN = 30.0
SIREN = "732829320"
CONTACT = {"name": "Léa Garnier", "email": "lea@ateliers.example", "phone": "01 23 45 67 89"}
REGISTRATION: dict[str, Any] = {
    "siret": "73282932000074",
    "legal_name": "Les Ateliers du Spectacle",
    "kind": "association",
    "vat_number": "FR44732829320",
    "rna": "W751234567",
    "address": {"street": "12 rue des Arts", "postal_code": "75011", "city": "Paris"},
    "contacts": [CONTACT],
}


def siret(establishment: int) -> str:
    """A valid SIRET of SIREN 732829320: the establishment number (NIC) and the Luhn key."""
    without_key = f"{SIREN}{establishment:04d}"
    return without_key + luhn.calc_check_digit(without_key)


async def register(deployment: Deployment, key: str, **fields: Any) -> dict[str, Any]:
    answer = await deployment.gateway.post(
        "/v1/employer_structures", json={**REGISTRATION, **fields}, headers=auth(key)
    )
    assert answer.status_code == 201, answer.text
    assert answer.headers["etag"] == '"1"'
    body: dict[str, Any] = answer.json()
    return body


async def readable(deployment: Deployment, key: str, structure_id: str) -> None:
    async def found() -> bool:
        answer = await deployment.gateway.get(f"/v1/employer_structures/{structure_id}", headers=auth(key))
        return answer.status_code == 200

    await until(found, within=WITHIN)


async def test_a_structure_is_registered_once_per_siret_in_a_tenant(deployment: Deployment) -> None:
    key = await deployment.api_key("alterna", "members:read", "members:write")
    made = await register(deployment, key, siret="732 829 320 00074")
    assert made["object"] == "employer_structure"
    assert made["siret"] == "73282932000074"
    assert made["status"] == "active"
    # The answer is kept 7 days by the idempotency store: its contact is named by id only (ADR 008).
    [contact] = made["contacts"]
    nothing = {"name": None, "email": None, "phone": None, "role": None}
    assert contact == {"id": contact["id"], "erased": False, **nothing}
    await readable(deployment, key, made["id"])
    read = await deployment.gateway.get(f"/v1/employer_structures/{made['id']}", headers=auth(key))
    assert read.json() == made
    assert read.headers["etag"] == '"1"'

    # With the personal data scope the contact is shown, not cached, and the read is logged.
    reader = await deployment.api_key("alterna", "members:read", "members:personal_data:read")
    shown = await deployment.gateway.get(f"/v1/employer_structures/{made['id']}", headers=auth(reader))
    assert shown.status_code == 200, shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert shown.json()["contacts"] == [
        {**contact, "name": "Léa Garnier", "email": "lea@ateliers.example", "phone": "+33123456789"}
    ]
    logged = await deployment.fetchval(
        "members",
        """SELECT fields FROM employer_contact_reads
           WHERE employer_structure_id = $1 AND request_id = $2 AND $3 = ANY(contact_ids)""",
        made["id"],
        shown.headers["request-id"],
        contact["id"],
    )
    assert logged == ["name", "email", "phone"]

    # When the same SIRET is registered again in the tenant: refused, nothing appended.
    before = await deployment.member_events()
    again = await deployment.gateway.post(
        "/v1/employer_structures", json={**REGISTRATION, "legal_name": "Doublon"}, headers=auth(key)
    )
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["code"] == "employer_structure_already_registered"
    assert await deployment.member_events() == before

    # Another tenant registers its own structure under the same SIRET.
    other = await deployment.api_key("coop-portage", "members:read", "members:write")
    theirs = await register(deployment, other)
    assert theirs["id"] != made["id"]
    hidden = await deployment.gateway.get(f"/v1/employer_structures/{made['id']}", headers=auth(other))
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "employer_structure_not_found"


async def test_the_directory_is_read_a_page_at_a_time_and_filtered(deployment: Deployment) -> None:
    key = await deployment.api_key("grandsensemble", "members:read", "members:write")
    # The deployment serves other tests too: this test's structures are those named with its token.
    token = uuid.uuid4().hex[:12]
    made = [
        await register(
            deployment,
            key,
            siret=siret(100 + n),
            legal_name=f"Compagnie {token} {n}",
            vat_number=None,
            rna=None,
        )
        for n in range(5)
    ]

    async def all_listed() -> bool:
        params = {"limit": 100, "legal_name": token}
        answer = await deployment.gateway.get("/v1/employer_structures", params=params, headers=auth(key))
        return len(answer.json()["data"]) == 5

    await until(all_listed, within=WITHIN)
    seen: list[str] = []
    sizes: list[int] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2, "legal_name": token}
        if cursor:
            params["cursor"] = cursor
        page = (
            await deployment.gateway.get("/v1/employer_structures", params=params, headers=auth(key))
        ).json()
        assert page["object"] == "list"
        seen += [structure["id"] for structure in page["data"]]
        sizes.append(len(page["data"]))
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(s["id"] for s in made)
    assert len(seen) == 5
    assert sizes == [2, 2, 1]

    by_siret = await deployment.gateway.get(
        "/v1/employer_structures", params={"siret": siret(102)}, headers=auth(key)
    )
    assert [s["legal_name"] for s in by_siret.json()["data"]] == [f"Compagnie {token} 2"]
    by_name = await deployment.gateway.get(
        "/v1/employer_structures", params={"legal_name": f"compagnie {token} 4"}, headers=auth(key)
    )
    assert [s["id"] for s in by_name.json()["data"]] == [made[4]["id"]]
    by_kind = await deployment.gateway.get(
        "/v1/employer_structures",
        params={"kind": "company", "status": "active", "legal_name": token},
        headers=auth(key),
    )
    assert by_kind.json()["data"] == []


async def test_status_changes_apply_to_the_version_named_by_if_match(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", "members:read", "members:write")
    made = await register(deployment, key, siret=siret(200))
    path = f"/v1/employer_structures/{made['id']}"
    await readable(deployment, key, made["id"])
    etag = (await deployment.gateway.get(path, headers=auth(key))).headers["etag"]

    suspended = await deployment.gateway.patch(
        path,
        json={"status": "suspended", "reason": "unpaid invoices", "effective_on": "2099-01-01"},
        headers=auth(key, **{"If-Match": etag}),
    )
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["status_reason"] == "unpaid invoices"
    assert suspended.json()["status_since"] == "2099-01-01"
    assert suspended.headers["etag"] == '"2"'

    stale = await deployment.gateway.patch(
        path, json={"status": "active", "effective_on": "2099-02-01"}, headers=auth(key, **{"If-Match": etag})
    )
    assert stale.status_code == 412, stale.text
    assert stale.json()["code"] == "precondition_failed"

    again = await deployment.gateway.patch(
        path,
        json={"status": "suspended", "reason": "still unpaid", "effective_on": "2099-02-01"},
        headers=auth(key),
    )
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "employer_status_change_refused"

    closed = await deployment.gateway.patch(
        path,
        json={"status": "closed", "reason": "dissolved", "effective_on": "2099-03-01"},
        headers=auth(key),
    )
    assert closed.status_code == 200, closed.text
    assert closed.headers["etag"] == '"3"'
    final = await deployment.gateway.patch(
        path, json={"status": "active", "effective_on": "2099-04-01"}, headers=auth(key)
    )
    assert final.status_code == 409, final.text

    async def shows_closed() -> bool:
        answer = await deployment.gateway.get(path, headers=auth(key))
        return answer.json()["status"] == "closed" and answer.headers["etag"] == '"3"'

    await until(shows_closed, within=WITHIN)
    listed = await deployment.gateway.get(
        "/v1/employer_structures", params={"status": "closed"}, headers=auth(key)
    )
    assert made["id"] in [s["id"] for s in listed.json()["data"]]


async def test_no_contact_data_travels_in_the_public_event(deployment: Deployment) -> None:
    key = await deployment.api_key("smartfr", "members:read", "members:write")
    contact = {"name": "Yannick Quéré", "email": "yannick.quere@example.org", "phone": "+32 2 123 45 67"}
    await register(deployment, key, siret=siret(300), contacts=[contact], vat_number=None)
    leaked = await deployment.fetchval(
        "members",
        "SELECT count(*) FROM outbox WHERE strpos(envelope::text, $1) > 0 OR strpos(envelope::text, $2) > 0",
        "yannick.quere@example.org",
        "Quéré",
    )
    assert leaked == 0
    in_clear = await deployment.fetchval(
        "members",
        "SELECT count(*) FROM events WHERE strpos(data::text, $1) > 0 OR strpos(data::text, $2) > 0",
        "yannick.quere@example.org",
        "Quéré",
    )
    assert in_clear == 0  # the stored event holds the contact sealed with their key


def _with(path: str, value: Any) -> dict[str, Any]:
    """The registration with the field at `path` (dotted, list indexes as numbers) set to `value`."""
    body: dict[str, Any] = {
        **REGISTRATION,
        "address": {**REGISTRATION["address"]},
        "contacts": [{**CONTACT}],
    }
    *parents, last = path.split(".")
    target: Any = body
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return body


INVALID_REGISTRATIONS = [
    ("siret", "73282932000075", "bad-siret-key"),
    ("siret", "7328293200007", "siret-13-digits"),
    ("siret", "7328293200007X", "siret-with-letter"),
    ("siret", "ABCDEFGHIJKLMN", "siret-letters"),
    ("siret", 73282932000074, "siret-number"),
    ("vat_number", "FR45732829320", "bad-vat-key"),
    ("vat_number", "FR40303265045", "vat-of-another-company"),
    ("vat_number", "DE123456789", "foreign-vat"),
    ("vat_number", "FR", "vat-too-short"),
    ("rna", "W12345678", "rna-8-digits"),
    ("rna", "751234567W", "rna-letter-last"),
    ("contacts.0.email", "lea@", "email-no-domain"),
    ("contacts.0.email", "lea.ateliers.example", "email-no-at"),
    ("contacts.0.email", "lea @ateliers.example", "email-with-space"),
    ("contacts.0.email", "lea@ateliers", "email-no-tld"),
    ("contacts.0.phone", "12345", "phone-too-short"),
    ("contacts.0.phone", "+33 1 23 45 67 89 01 23 45", "phone-too-long"),
    ("contacts.0.name", "", "contact-without-name"),
    ("address.postal_code", "7501", "postal-code-4-digits"),
    ("address.country", "F", "country-1-letter"),
    ("legal_name", "", "empty-legal-name"),
    ("kind", "cooperative", "unknown-kind"),
    ("contacts", [], "no-contact"),
]


@pytest.mark.parametrize(
    ("field", "value"),
    [(f, v) for f, v, _ in INVALID_REGISTRATIONS],
    ids=[i for _, _, i in INVALID_REGISTRATIONS],
)
async def test_an_invalid_registration_is_a_400_naming_the_field_and_appends_nothing(
    deployment: Deployment, field: str, value: Any
) -> None:
    key = await deployment.api_key("alterna", "members:read", "members:write")
    before = await deployment.member_events()
    body = _with(field, value)
    if field != "siret":
        body["siret"] = siret(400)  # a SIRET no other test registers (the VAT number names its SIREN)
    answer = await deployment.gateway.post("/v1/employer_structures", json=body, headers=auth(key))
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["param"] == f"body.{field}"
    assert await deployment.member_events() == before


INVALID_STATUS_CHANGES = [
    ({"status": "suspended", "reason": "x", "effective_on": "2099-02-30"}, "effective_on", "no-30-february"),
    ({"status": "suspended", "reason": "x", "effective_on": "01/12/2099"}, "effective_on", "french-date"),
    ({"status": "suspended", "reason": "x", "effective_on": "2099-13-01"}, "effective_on", "month-13"),
    (
        {"status": "suspended", "reason": "x", "effective_on": "2020-01-01"},
        "effective_on",
        "before-registration",
    ),
    ({"status": "suspended", "effective_on": "2099-01-01"}, "reason", "suspension-without-reason"),
    ({"status": "closed", "reason": "", "effective_on": "2099-01-01"}, "reason", "closing-with-empty-reason"),
    ({"status": "sleeping", "effective_on": "2099-01-01"}, "status", "unknown-status"),
]


@pytest.mark.parametrize(
    ("body", "field"),
    [(b, f) for b, f, _ in INVALID_STATUS_CHANGES],
    ids=[i for _, _, i in INVALID_STATUS_CHANGES],
)
async def test_an_invalid_status_change_is_a_400_naming_the_field_and_appends_nothing(
    deployment: Deployment, body: dict[str, Any], field: str
) -> None:
    key = await deployment.api_key("coop-portage", "members:read", "members:write")
    existing = await deployment.gateway.get(
        "/v1/employer_structures", params={"siret": siret(500)}, headers=auth(key)
    )
    if existing.json()["data"]:
        structure_id = existing.json()["data"][0]["id"]
    else:
        structure_id = (await register(deployment, key, siret=siret(500), vat_number=None))["id"]
        await readable(deployment, key, structure_id)  # the next case finds it in the directory
    before = await deployment.member_events()
    answer = await deployment.gateway.patch(
        f"/v1/employer_structures/{structure_id}", json=body, headers=auth(key)
    )
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["param"] == f"body.{field}"
    assert await deployment.member_events() == before


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"status": "sleeping"}, "status"),
        ({"siret": "123"}, "siret"),
    ],
    ids=["limit-zero", "garbled-cursor", "unknown-status", "short-siret"],
)
async def test_a_bad_directory_request_is_a_400_naming_the_parameter(
    deployment: Deployment, params: dict[str, str | int], param: str
) -> None:
    key = await deployment.api_key("smartfr", "members:read")
    answer = await deployment.gateway.get("/v1/employer_structures", params=params, headers=auth(key))
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert param in answer.json()["param"]


# ---- the structure's inbound webhook secret (the 24-hour overlap of a rotation moves the gateway's clock, so
# it is shown embedded only: gateway/tests/integration/test_employer_webhook_secrets.py) -----------------

PING = "/v1/webhooks/inbound/test.ping"
PING_BODY = '{"hello": "association"}'


def signed(api_key: str, secret: str) -> dict[str, str]:
    webhook_id = f"msg_{uuid.uuid4().hex}"
    now = time.time()
    at = datetime.fromtimestamp(now, UTC)
    return {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now)),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, PING_BODY),
    }


async def association_client(deployment: Deployment) -> tuple[str, str]:
    """The association's API client (scope webhooks:send): its id and its key."""
    pool = await create_pool(deployment.database_url, "gateway")
    try:
        async with pool.acquire() as conn:
            client = await create_client(
                conn, tenant="smartfr", name="association", scopes=["webhooks:send"], api_version=API_VERSION
            )
    finally:
        await pool.close()
    return client.client_id, client.api_key


async def test_a_structure_gets_its_secret_pushes_with_it_and_loses_it_when_closed(
    deployment: Deployment,
) -> None:
    manager = await deployment.api_key("smartfr", "members:read", "members:write", "webhooks:manage")
    pusher_id, pusher = await association_client(deployment)
    body = f"404833048{uuid.uuid4().int % 10_000:04d}"  # another SIREN than this module's others
    registration: dict[str, Any] = {
        "siret": body + luhn.calc_check_digit(body),
        "legal_name": "Compagnie du Quai",
        "kind": "association",
        "address": {"street": "3 quai de Seine", "postal_code": "75019", "city": "Paris"},
        "contacts": [{"name": "Inès Robin", "email": "ines@quai.example"}],
    }
    registered = await deployment.gateway.post(
        "/v1/employer_structures", json=registration, headers=auth(manager)
    )
    assert registered.status_code == 201, registered.text
    structure = registered.json()["id"]
    path = f"/v1/employer_structures/{structure}/webhook_secret"

    stranger = await deployment.api_key("alterna", "webhooks:manage")
    hidden = await deployment.gateway.post(path, json={"client_id": pusher_id}, headers=auth(stranger))
    assert hidden.status_code == 404, hidden.text

    issued = await deployment.gateway.post(path, json={"client_id": pusher_id}, headers=auth(manager))
    assert issued.status_code == 201, issued.text
    secret = issued.json()["secret"]
    accepted = await deployment.gateway.post(PING, content=PING_BODY, headers=signed(pusher, secret))
    assert accepted.status_code == 202, accepted.text

    closing = {"status": "closed", "reason": "dissolved", "effective_on": "2026-12-31"}
    closed = await deployment.gateway.patch(
        f"/v1/employer_structures/{structure}", json=closing, headers=auth(manager)
    )
    assert closed.status_code == 200, closed.text

    async def revoked() -> bool:
        answer = await deployment.gateway.post(PING, content=PING_BODY, headers=signed(pusher, secret))
        return answer.status_code == 401

    await until(revoked, within=WITHIN)
    refused = await deployment.gateway.post(path, json={}, headers=auth(manager))
    assert refused.status_code == 409, refused.text
