"""Ids minted from the gateway's request key: the same for a retry, distinct otherwise, time-ordered."""

from __future__ import annotations

import hashlib

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.http.handlers import install_problem_handlers
from services.request_keys import HEADER, CurrentRequestKey, RequestKey, id_for


def key(client: str, idempotency_key: str, at_ms: int = 1_790_000_000_000) -> RequestKey:
    return RequestKey(at_ms, hashlib.sha256(f"{client}\n{idempotency_key}".encode()).digest())


def test_a_retry_names_the_same_thing_and_another_purpose_or_key_another() -> None:
    first = key("coop-portage", "k-1")
    assert first.id_for("member") == key("coop-portage", "k-1").id_for("member")
    assert first.id_for("member") != first.id_for("payment")
    assert first.id_for("member") != key("coop-portage", "k-2").id_for("member")
    assert first.id_for("member") != key("alterna", "k-1").id_for("member")


def test_the_ids_are_uuid7_stamped_with_the_first_claim_so_they_sort_by_creation() -> None:
    earlier, later = key("c", "z", at_ms=1_790_000_000_000), key("c", "a", at_ms=1_790_000_000_001)
    made = earlier.id_for("member")
    assert (made.version, made.variant) == (7, "specified in RFC 4122")
    assert made.int >> 80 == 1_790_000_000_000
    assert earlier.id_for("member") < later.id_for("member")


def test_without_a_key_every_call_mints_a_new_id() -> None:
    assert id_for(None, "member") != id_for(None, "member")


def test_the_header_round_trips_and_a_malformed_one_is_refused() -> None:
    made = key("c", "k")
    assert RequestKey.parse(made.header()) == made
    for bad in ("", "12", "12.abc", f"x.{'0' * 64}", f"1.{'0' * 63}"):
        with pytest.raises(ValueError, match="not a request key"):
            RequestKey.parse(bad)


def test_a_route_reads_the_key_and_answers_400_for_a_malformed_one() -> None:
    app = FastAPI()
    install_problem_handlers(app, {})

    @app.post("/things")
    async def create(request_key: CurrentRequestKey) -> dict[str, str]:
        return {"id": str(id_for(request_key, "thing"))}

    with TestClient(app) as client:
        made = key("c", "k")
        first = client.post("/things", headers={HEADER: made.header()}).json()["id"]
        assert first == str(made.id_for("thing"))
        assert client.post("/things").json()["id"] != client.post("/things").json()["id"]
        refused = client.post("/things", headers={HEADER: "nope"})
        assert (refused.status_code, refused.json()["code"]) == (400, "request_key_invalid")
