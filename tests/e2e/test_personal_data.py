"""Personal data through the public API: each field checked, reads scoped and logged, search by name, and
erasure by crypto-shredding (ADR 008): afterwards no table of the deployment's database, no retained Kafka
message and no process log holds the person's NIR, IBAN or name, while their membership and shares remain."""

from __future__ import annotations

import random
import string
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from schwifty import IBAN
from stdnum.fr import nir

from members_svc.bootstrap import CODEC
from members_svc.config import Settings as MembersSettings
from members_svc.keyring import KeyEncryptionKey, Keyring
from members_svc.read_models.member_register import MemberRegister
from services.db import create_pool
from services.projection import ProjectionRunner
from tests.e2e.deployments import Deployment
from tests.e2e.skeleton import auth, until

WITHIN = 30.0
TENANT = "smartfr"  # its nominal is configured: shares can be subscribed
PERSONAL = ("members:read", "members:write", "members:personal_data:read", "members:personal_data:erase")


def distinctive_nir(month: int = 5, department: str = "2A") -> str:
    """A valid NIR of a woman born in May 1969 in Corsica, with a random commune and order number."""
    number = f"269{month:02d}{department}{random.randrange(1, 999):03d}{random.randrange(1, 999):03d}"
    return number + nir.calc_check_digits(number)


def distinctive_iban() -> str:
    return str(
        IBAN.generate("FR", bank_code="30006", account_code=f"{random.randrange(10**10, 10**11)}").compact
    )


def distinctive_name() -> str:
    return "Quillebeuf" + "".join(random.choices(string.ascii_lowercase, k=8))


def person(**changes: Any) -> dict[str, Any]:
    return {
        "family_name": "Martin",
        "given_names": "Camille",
        "birth_date": "1969-05-14",
        "birth_place": "Ajaccio",
        "nir": distinctive_nir(),
        "address": {"lines": ["12 rue des Lilas"], "postal_code": "20000", "city": "Ajaccio"},
        "email": "camille.martin@example.org",
        "phone": "+33 6 12 34 56 78",
        "iban": distinctive_iban(),
        **changes,
    }


async def apply(deployment: Deployment, key: str, name: str, kind: str = "natural_person") -> str:
    answer = await deployment.gateway.post(
        "/v1/members", json={"person_kind": kind, "display_name": name, "category": 1}, headers=auth(key)
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["display_name"] is None  # POST answers are kept 7 days: no personal data in them
    return str(answer.json()["id"])


async def record(deployment: Deployment, key: str, member_id: str, data: dict[str, Any]) -> Any:
    return await deployment.gateway.put(
        f"/v1/members/{member_id}/personal_data", json=data, headers=auth(key)
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"nir": "269052A00417164"}, "nir"),
        ({"nir": distinctive_nir(), "birth_date": "1970-05-14"}, "nir"),
        ({"iban": "FR7630006000000001123456787"}, "iban"),
        ({"email": "camille@"}, "email"),
        ({"phone": "06 12"}, "phone"),
        ({"birth_date": "2999-01-01", "nir": None}, "birth_date"),
        ({"birth_date": "1969-13-01"}, "birth_date"),
        ({"address": {"lines": ["1 rue"], "postal_code": "2000", "city": "Ajaccio"}}, "address.postal_code"),
    ],
    ids=[
        "bad-nir",
        "nir-not-the-birth-year",
        "bad-iban",
        "bad-email",
        "bad-phone",
        "future-birth",
        "no-month-13",
        "postal-code",
    ],
)
async def test_an_invalid_field_is_a_400_naming_it_and_nothing_is_appended(
    deployment: Deployment, changes: dict[str, Any], field: str
) -> None:
    key = await deployment.api_key(TENANT, *PERSONAL)
    member_id = await apply(deployment, key, "Camille Martin")
    before = await deployment.member_events()
    data = {name: value for name, value in person(**changes).items() if value is not None}
    answer = await record(deployment, key, member_id, data)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert field in answer.json()["param"]
    for value in changes.values():
        if isinstance(value, str):
            assert value not in answer.text  # the value may be personal data: not repeated
    assert await deployment.member_events() == before


async def test_a_corsican_nir_is_accepted_and_read_back_with_the_scope_and_each_read_is_logged(
    deployment: Deployment,
) -> None:
    key = await deployment.api_key(TENANT, *PERSONAL, "members:personal_data:audit")
    reader = await deployment.api_key(TENANT, "members:read")
    member_id = await apply(deployment, key, "Camille Martin")
    data = person(nir=distinctive_nir(department="2B"))
    answer = await record(deployment, key, member_id, data)
    assert answer.status_code == 204, answer.text
    assert answer.content == b""

    denied = await deployment.gateway.get(f"/v1/members/{member_id}/personal_data", headers=auth(reader))
    assert denied.status_code == 403, denied.text
    read = await deployment.gateway.get(f"/v1/members/{member_id}/personal_data", headers=auth(key))
    assert read.status_code == 200, read.text
    assert read.headers["cache-control"] == "no-store"
    got = read.json()
    assert (got["erased"], got["nir"], got["iban"], got["phone"]) == (
        False,
        data["nir"],
        data["iban"],
        "+33612345678",
    )
    assert got["display_name"] == "Camille Martin"
    assert got["address"]["postal_code"] == "20000"

    log = await deployment.gateway.get(f"/v1/members/{member_id}/personal_data/reads", headers=auth(key))
    assert log.status_code == 200, log.text
    entries = log.json()["data"]
    assert len(entries) == 1  # the refused read read nothing
    assert entries[0]["request_id"] == read.headers["request-id"]
    assert "nir" in entries[0]["fields"]
    assert "iban" in entries[0]["fields"]
    assert data["nir"] not in log.text


async def test_the_register_is_searched_by_name_in_any_case_and_without_accents(
    deployment: Deployment,
) -> None:
    key = await deployment.api_key("coop-portage", *PERSONAL)
    suffix = "".join(random.choices(string.ascii_lowercase, k=6))
    wanted = await apply(deployment, key, f"Élodie Lefèvre-{suffix}")
    await apply(deployment, key, f"Camille Martin-{suffix}")

    async def found(name: str) -> list[str]:
        answer = await deployment.gateway.get("/v1/members", params={"name": name}, headers=auth(key))
        assert answer.status_code == 200, answer.text
        return [member["id"] for member in answer.json()["data"]]

    async def both_listed() -> bool:
        return len(await found(suffix)) == 2

    await until(both_listed, within=WITHIN)
    assert await found(f"ELODIE LEFEVRE-{suffix.upper()}") == [wanted]
    assert await found(f"lefèvre-{suffix}") == [wanted]
    assert await found(f"%{suffix}") == []  # LIKE's wildcards are taken literally

    erased = await deployment.gateway.post(f"/v1/members/{wanted}/erasure", headers=auth(key))
    assert erased.status_code == 200, erased.text

    async def forgotten() -> bool:
        return wanted not in await found(suffix)

    await until(forgotten, within=WITHIN)


async def _rebuild_register(database_url: str) -> int:
    """Replays members-svc's events into an emptied register (the deployments run with the dev KEK)."""
    kek = KeyEncryptionKey(MembersSettings().personal_data_kek.get_secret_value())
    pool = await create_pool(database_url, "members")
    try:
        runner = ProjectionRunner(pool, [], schema="members")
        return await runner.rebuild(MemberRegister(CODEC, Keyring(kek)))
    finally:
        await pool.close()


async def _database_rows(database_url: str) -> list[str]:
    """Every row of every table of every schema, as text (lower case)."""
    conn = await asyncpg.connect(database_url)
    try:
        tables = await conn.fetch(
            """SELECT table_schema, table_name FROM information_schema.tables
               WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')"""
        )
        assert len(tables) > 10
        rows: list[str] = []
        for table in tables:
            ident = f'"{table["table_schema"]}"."{table["table_name"]}"'
            rows += [r[0].lower() for r in await conn.fetch(f"SELECT t::text FROM {ident} t")]
        return rows
    finally:
        await conn.close()


async def _kafka_messages(bootstrap: str) -> list[str]:
    """Every message every topic retains, value and key, as text (lower case)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if not t.startswith("__")]
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    partitions = [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
    assert any(p.topic == "members.events" for p in partitions), topics
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    messages: list[str] = []
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        pending = {p for p in partitions if ends[p] > 0}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=5000)
            if not batch:
                break  # what is left are transaction markers, not messages
            for records in batch.values():
                messages += [
                    ((r.key or b"") + b" " + (r.value or b"")).decode(errors="replace").lower()
                    for r in records
                ]
            pending = {p for p in pending if await consumer.position(p) < ends[p]}
    finally:
        await consumer.stop()
    return messages


def _process_logs(folder: Path) -> list[str]:
    return [p.read_text(errors="replace").lower() for p in folder.glob("*.log")]


def _needles(*values: str) -> list[str]:
    """The values as text and as the hex PostgreSQL shows bytea in (what the gateway keeps is bytes)."""
    found = []
    for value in values:
        found += [value.lower(), value.encode().hex(), value.lower().encode().hex()]
    return found


def _leaks(haystack: list[str], needles: list[str]) -> list[str]:
    return [f"{needle!r} in {text[:300]!r}" for text in haystack for needle in needles if needle in text]


async def test_after_an_erasure_nothing_of_the_person_is_left_anywhere_but_their_history_is(
    deployment: Deployment, request: pytest.FixtureRequest
) -> None:
    key = await deployment.api_key(TENANT, *PERSONAL)
    name = distinctive_name()
    data = person(family_name=name, nir=distinctive_nir(), iban=distinctive_iban())
    member_id = await apply(deployment, key, f"Camille {name}")
    witness = await apply(deployment, key, "Dominique Witness")  # not erased: a rebuild shows their name
    assert (await record(deployment, key, member_id, data)).status_code == 204
    admitted = await deployment.gateway.post(
        f"/v1/members/{member_id}/admission",
        json={"decided_by": "board", "admitted_on": "2026-11-26"},
        headers=auth(key),
    )
    assert admitted.status_code == 200, admitted.text
    subscribed = await deployment.gateway.post(
        f"/v1/members/{member_id}/share_subscriptions",
        json={"share_count": 4, "subscribed_on": "2026-11-26"},
        headers=auth(key),
    )
    assert subscribed.status_code == 201, subscribed.text

    read = await deployment.gateway.get(f"/v1/members/{member_id}/personal_data", headers=auth(key))
    assert (read.json()["nir"], read.json()["iban"], read.json()["family_name"]) == (
        data["nir"],
        data["iban"],
        name,
    )

    async def named() -> bool:
        answer = await deployment.gateway.get("/v1/members", params={"name": name}, headers=auth(key))
        return [m["id"] for m in answer.json()["data"]] == [member_id]

    await until(named, within=WITHIN)
    # Before: the name is in the register, so the scan below can see a leak.
    assert _leaks(await _database_rows(deployment.database_url), _needles(name))

    erased = await deployment.gateway.post(f"/v1/members/{member_id}/erasure", headers=auth(key))
    assert erased.status_code == 200, erased.text
    assert erased.json() == {
        "object": "erasure",
        "member_id": member_id,
        "erased": True,
        "erased_at": erased.json()["erased_at"],
    }
    again = await deployment.gateway.post(f"/v1/members/{member_id}/erasure", headers=auth(key))
    assert again.status_code == 409, again.text

    async def shown_erased() -> bool:
        answer = await deployment.gateway.get(f"/v1/members/{member_id}", headers=auth(key))
        return answer.json()["erased"] is True

    await until(shown_erased, within=WITHIN)
    member = (await deployment.gateway.get(f"/v1/members/{member_id}", headers=auth(key))).json()
    assert (member["display_name"], member["status"], member["category"]) == (None, "admitted", 1)
    after = (await deployment.gateway.get(f"/v1/members/{member_id}/personal_data", headers=auth(key))).json()
    assert after["erased"] is True
    assert [v for k, v in after.items() if k not in ("id", "object", "erased")] == [None] * 10
    shares = await deployment.gateway.get(f"/v1/members/{member_id}/shares", headers=auth(key))
    assert (shares.status_code, shares.json()["share_count"]) == (200, 4)
    by_name = await deployment.gateway.get("/v1/members", params={"name": name}, headers=auth(key))
    assert by_name.json()["data"] == []
    refused = await record(deployment, key, member_id, person())
    assert (refused.status_code, refused.json()["code"]) == (409, "personal_data_erased")

    # A rebuild of the register from the events opens the others' names again, but not the erased one's.
    rebuilt = await _rebuild_register(deployment.database_url)
    assert rebuilt > 0
    assert await deployment.fetchval(
        "members",
        "SELECT display_name IS NULL AND erased FROM member_register WHERE member_id = $1",
        member_id,
    )
    assert (
        await deployment.fetchval(
            "members", "SELECT display_name FROM member_register WHERE member_id = $1", witness
        )
        == "Dominique Witness"
    )

    needles = _needles(name, data["nir"], data["iban"])
    assert _leaks(await _database_rows(deployment.database_url), needles) == []
    if deployment.mode == "distributed":
        messages = await _kafka_messages(request.getfixturevalue("kafka_bootstrap"))
        assert any("members.personaldataerased" in m and member_id in m for m in messages)
        assert _leaks(messages, needles) == []
        assert deployment.logs is not None
        assert _leaks(_process_logs(deployment.logs), needles) == []
