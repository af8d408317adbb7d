"""API7 server-side request forgery: an outbound webhook URL never reaches our own network.

gateway/tests/unit/test_outbound_rules.py and the production-settings test of
gateway/tests/integration/test_outbound_webhooks.py cover the plain forms (private, loopback, link-local,
metadata, IPv4-mapped IPv6, credentials, schemes). These add the disguises: other spellings of an address the
resolver still reads as loopback, IPv6 forms that carry a private IPv4 address (NAT64, 6to4, IPv4-compatible,
SIIT), and DNS names whose answers include a private address, registered through the API or met at delivery.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from typing import Any

import pytest

from gateway.auth.scopes import SCOPES
from gateway.outbound.urls import UrlRefused, check_url
from tests.e2e.test_tenant_matrix import TENANT_A, World

DISGUISED = [
    "https://2130706433/hook",  # 127.0.0.1 as one decimal number
    "https://0x7f000001/hook",
    "https://017700000001/hook",
    "https://127.1/hook",
    "https://0177.0.0.1/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::]/hook",
    "https://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/latest/meta-data",  # NAT64 of 169.254.169.254
    "https://[2002:a00:1::1]/hook",  # 6to4 of 10.0.0.1
    "https://[2002:7f00:1::1]/hook",  # 6to4 of 127.0.0.1
    "https://[::127.0.0.1]/hook",  # IPv4-compatible (deprecated) loopback
    "https://[::ffff:0:a00:1]/hook",  # SIIT IPv4-translated 10.0.0.1
]


@pytest.mark.parametrize("url", DISGUISED)
async def test_a_disguised_private_address_is_refused_in_production(url: str) -> None:
    with pytest.raises(UrlRefused) as refused:
        await check_url(url, allow_loopback=False)
    assert refused.value.code == "url_not_public", refused.value.detail


@pytest.mark.parametrize("url", ["https://[64:ff9b::808:808]/hook", "https://[2002:808:808::1]/hook"])
async def test_the_same_forms_around_a_public_address_are_accepted(url: str) -> None:
    await check_url(url, allow_loopback=False)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The resolver's answers for names under .test (RFC 6761), in getaddrinfo's format; others resolve."""
    answers: dict[str, list[str]] = {}
    original = asyncio.BaseEventLoop.getaddrinfo

    async def getaddrinfo(self: Any, host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port, 0, 0) if ":" in a else (a, port),
                )
                for a in answers[host]
            ]
        return await original(self, host, port, *args, **kwargs)

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", getaddrinfo)
    return answers


@pytest.mark.parametrize(
    "addresses",
    [["10.0.0.7"], ["8.8.8.8", "192.168.1.20"], ["2606:4700:4700::1111", "fd00::7"], ["169.254.169.254"]],
    ids=["private", "public and private", "ipv6 public and unique-local", "metadata"],
)
async def test_a_name_whose_answers_include_a_private_address_is_refused_through_the_api(
    world: World, dns: dict[str, list[str]], addresses: list[str]
) -> None:
    # Given a DNS name that resolves (among others) to a private address.
    name = f"hooks-{uuid.uuid4().hex[:8]}.test"
    dns[name] = addresses
    key = await world.key(TENANT_A, frozenset(SCOPES))
    before = await world.backoffice.gateway.pool.fetchval("SELECT count(*) FROM webhook_endpoints")
    # When a client registers it: refused, naming the url, and nothing registered.
    answer = await world.gateway.post(
        "/v1/webhook_endpoints",
        json={"url": f"https://{name}/hook", "event_types": ["member.applied"]},
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())},
    )
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert (answer.json()["code"], answer.json()["param"]) == ("url_not_public", "url")
    after = await world.backoffice.gateway.pool.fetchval("SELECT count(*) FROM webhook_endpoints")
    assert after == before


async def test_a_name_that_moves_to_a_private_address_after_registration_is_refused_at_delivery(
    dns: dict[str, list[str]],
) -> None:
    # DNS rebinding: public when registered, private when the worker is about to deliver (it checks again).
    name = f"rebind-{uuid.uuid4().hex[:8]}.test"
    dns[name] = ["8.8.4.4"]
    await check_url(f"https://{name}/hook", allow_loopback=False)
    dns[name] = ["127.0.0.1"]
    with pytest.raises(UrlRefused):
        await check_url(f"https://{name}/hook", allow_loopback=False)
