"""An employer structure's contact erased by crypto-shredding (ADR 008, addendum): afterwards no table of the
deployment's database, no retained Kafka message and no process log holds their name, e-mail or phone, while
the structure and its other contacts remain; and no POST answer (kept 7 days by the idempotency store) ever
carried them. The scans are test_personal_data's."""

from __future__ import annotations

import random
import string
from typing import Any

import pytest
from stdnum import luhn

from members_svc.bootstrap_employers import EMPLOYER_CODEC, EMPLOYER_EVENT_TYPES
from members_svc.read_models.employer_directory import EmployerDirectory
from services.db import create_pool
from services.projection import ProjectionRunner
from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import auth, until
from tests.e2e.test_personal_data import (
    _database_rows,
    _kafka_messages,
    _leaks,
    _needles,
    _process_logs,
)

WITHIN = 30.0
TENANT = "grandsensemble"
SCOPES = ("members:read", "members:write", "members:personal_data:read", "members:personal_data:erase")


def distinctive(prefix: str) -> str:
    return prefix + "".join(random.choices(string.ascii_lowercase, k=8))


def distinctive_mobile() -> tuple[str, str]:
    """A French mobile number as typed, and in the international form members-svc keeps."""
    digits = f"{random.randrange(10**7, 10**8)}"
    return f"06 {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}", f"+336{digits}"


def siret() -> str:
    """A random valid SIRET: a SIREN with its Luhn key, an establishment number, the SIRET's Luhn key."""
    siren = f"{random.randrange(10**7, 10**8)}"
    siren += luhn.calc_check_digit(siren)
    without_key = f"{siren}{random.randrange(1, 10**4):04d}"
    return without_key + luhn.calc_check_digit(without_key)


async def _rebuild_directory(database_url: str) -> int:
    """Replays members-svc's events into an emptied directory."""
    pool = await create_pool(database_url, "members")
    try:
        runner = ProjectionRunner(pool, [], schema="members")
        return await runner.rebuild(EmployerDirectory(EMPLOYER_CODEC, EMPLOYER_EVENT_TYPES))
    finally:
        await pool.close()


async def test_after_erasing_a_contact_nothing_of_them_is_left_anywhere_but_the_structure_is(
    deployment: Deployment, request: pytest.FixtureRequest
) -> None:
    key = await deployment.api_key(TENANT, *SCOPES)
    name, email_user = distinctive("Kerhervé "), distinctive("kerherve.")
    email = f"{email_user}@asso.example"
    typed_phone, phone = distinctive_mobile()
    witness = {"name": "Dominique Témoin", "email": "temoin@asso.example", "role": "president"}
    legal_name = distinctive("Association des Fanfares ")
    registration: dict[str, Any] = {
        "siret": siret(),
        "legal_name": legal_name,
        "kind": "association",
        "address": {"street": "3 quai des Chartrons", "postal_code": "33000", "city": "Bordeaux"},
        "contacts": [{"name": name, "email": email, "phone": typed_phone, "role": "treasurer"}, witness],
    }
    made = await deployment.gateway.post("/v1/employer_structures", json=registration, headers=auth(key))
    assert made.status_code == 201, made.text
    for value in (name, email, typed_phone, phone, witness["name"]):
        assert value not in made.text  # the idempotency store keeps this answer 7 days
    structure_id = made.json()["id"]
    contact_id, witness_id = [c["id"] for c in made.json()["contacts"]]
    path = f"/v1/employer_structures/{structure_id}"

    async def contacts() -> list[dict[str, Any]] | None:
        answer = await deployment.gateway.get(path, headers=auth(key))
        return answer.json()["contacts"] if answer.status_code == 200 else None

    async def readable() -> bool:
        return await contacts() is not None

    await until(readable, within=WITHIN)
    shown = await contacts()
    assert shown is not None
    assert (shown[0]["name"], shown[0]["email"], shown[0]["phone"]) == (name, email, phone)
    # The scan sees what is in clear: the structure's legal name is (it is not personal data).
    assert _leaks(await _database_rows(deployment.database_url), _needles(legal_name))

    erased = await deployment.gateway.post(f"{path}/contacts/{contact_id}/erasure", headers=auth(key))
    assert erased.status_code == 200, erased.text
    assert erased.json() == {
        "object": "contact_erasure",
        "employer_structure_id": structure_id,
        "contact_id": contact_id,
        "erased": True,
        "erased_at": erased.json()["erased_at"],
    }
    again = await deployment.gateway.post(f"{path}/contacts/{contact_id}/erasure", headers=auth(key))
    assert (again.status_code, again.json()["code"]) == (409, "employer_contact_erased")
    unknown = await deployment.gateway.post(f"{path}/contacts/{structure_id}/erasure", headers=auth(key))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "employer_contact_not_found")
    stranger = await deployment.api_key("alterna", *SCOPES)
    hidden = await deployment.gateway.post(f"{path}/contacts/{witness_id}/erasure", headers=auth(stranger))
    assert (hidden.status_code, hidden.json()["code"]) == (404, "employer_structure_not_found")
    anonymous = await deployment.gateway.post(
        f"{path}/contacts/{witness_id}/erasure", headers={"Authorization": "Bearer not-a-key"}
    )
    assert anonymous.status_code == 401, anonymous.text
    no_scope = await deployment.api_key(TENANT, "members:read", "members:write")
    refused = await deployment.gateway.post(f"{path}/contacts/{witness_id}/erasure", headers=auth(no_scope))
    assert refused.status_code == 403, refused.text

    nothing = {"name": None, "email": None, "phone": None, "role": None}
    expected = [
        {"id": contact_id, "erased": True, **nothing},
        {"id": witness_id, "erased": False, "phone": None, **witness},
    ]

    async def shown_erased() -> bool:
        return await contacts() == expected

    await until(shown_erased, within=WITHIN)
    structure = (await deployment.gateway.get(path, headers=auth(key))).json()
    assert (structure["legal_name"], structure["status"]) == (legal_name, "active")

    # A rebuild of the directory from the events opens the witness again, but not the erased contact.
    assert await _rebuild_directory(deployment.database_url) > 0
    assert await contacts() == expected

    needles = _needles(name, email, phone, typed_phone)
    assert _leaks(await _database_rows(deployment.database_url), needles) == []
    if deployment.mode == "distributed":
        messages: list[str] = []

        async def published() -> bool:  # the structure's public event there (members' relay may lag)
            nonlocal messages
            messages = await _kafka_messages(request.getfixturevalue("kafka_bootstrap"))
            return any(structure_id in m for m in messages)

        await until(published, within=WITHIN)
        assert _leaks(messages, needles) == []
        assert deployment.logs is not None
        assert _leaks(_process_logs(deployment.logs), needles) == []
