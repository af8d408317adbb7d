"""Outbound webhooks' pure rules: the retry schedule, which URLs may be called, secrets, the catalogue."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import pytest
from cryptography.fernet import InvalidToken
from standardwebhooks import Webhook

from gateway.outbound import schedule
from gateway.outbound.catalogue import CATALOGUE, TOPICS, webhook_event
from gateway.outbound.signing_secrets import SecretBox, new_secret
from gateway.outbound.urls import UrlRefused, check_url
from services.envelope import Envelope

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def test_the_schedule_waits_5s_5min_30min_2h_5h_10h_10h_then_gives_up() -> None:
    rng = random.Random(7)
    expected = [5, 300, 1800, 7200, 18000, 36000, 36000]
    for failures, base in enumerate(expected, start=1):
        delay = schedule.retry_delay(failures, rng=rng)
        assert delay is not None
        assert base * 0.9 <= delay <= base * 1.1
    assert schedule.retry_delay(len(expected) + 1) is None
    assert schedule.attempts_allowed() == 8


def test_the_jitter_spreads_retries_within_ten_percent() -> None:
    rng = random.Random(1)
    delays = [schedule.retry_delay(1, rng=rng) for _ in range(200)]
    assert min(d for d in delays if d) < 4.7
    assert max(d for d in delays if d) > 5.3


def test_a_scale_shrinks_the_schedule_for_tests() -> None:
    delay = schedule.retry_delay(2, scale=0.001, rng=random.Random(3))
    assert delay is not None
    assert 0.27 <= delay <= 0.33


def test_a_longer_retry_after_is_honoured_and_a_shorter_one_is_not() -> None:
    assert schedule.retry_delay(1, retry_after=120, rng=random.Random(0)) == 120
    shorter = schedule.retry_delay(2, retry_after=10, rng=random.Random(0))
    assert shorter is not None
    assert shorter >= 270


def test_an_absurd_retry_after_is_capped_at_the_longest_step() -> None:
    assert schedule.retry_delay(1, retry_after=10**9, rng=random.Random(0)) == 36000


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    assert schedule.parse_retry_after("120", NOW) == 120
    assert schedule.parse_retry_after("Thu, 26 Nov 2026 09:10:00 GMT", NOW) == 600
    assert schedule.parse_retry_after("soon", NOW) is None
    assert schedule.parse_retry_after(None, NOW) is None


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://203.0.113.10/hook", "url_not_https"),
        ("https://127.0.0.1/hook", "url_not_public"),
        ("https://localhost/hook", "url_not_public"),
        ("https://10.1.2.3/hook", "url_not_public"),
        ("https://172.16.0.1/hook", "url_not_public"),
        ("https://192.168.1.1/hook", "url_not_public"),
        ("https://169.254.169.254/latest/meta-data", "url_not_public"),
        ("https://100.64.0.1/hook", "url_not_public"),
        ("https://[::1]/hook", "url_not_public"),
        ("https://[fe80::1]/hook", "url_not_public"),
        ("https://[fd00::1]/hook", "url_not_public"),
        ("https://[::ffff:10.0.0.1]/hook", "url_not_public"),
        ("https://0.0.0.0/hook", "url_not_public"),
        ("https://224.0.0.1/hook", "url_not_public"),
        ("https://user:pw@8.8.8.8/hook", "url_invalid"),
        ("ftp://8.8.8.8/hook", "url_invalid"),
        ("hooks.example.org", "url_invalid"),
        ("https://no-such-host.invalid/hook", "url_unresolvable"),
    ],
)
async def test_production_refuses_what_is_not_https_to_a_public_address(url: str, code: str) -> None:
    with pytest.raises(UrlRefused) as refused:
        await check_url(url, allow_loopback=False)
    assert refused.value.code == code


async def test_production_accepts_https_to_a_public_address() -> None:
    await check_url("https://8.8.8.8/hooks/smartfr", allow_loopback=False)
    await check_url("https://[2606:4700:4700::1111]:8443/hooks", allow_loopback=False)


async def test_the_loopback_setting_lets_plain_http_to_loopback_through_and_nothing_private() -> None:
    await check_url("http://127.0.0.1:8123/hook", allow_loopback=True)
    await check_url("http://localhost:8123/hook", allow_loopback=True)
    for url in ("http://10.0.0.1/hook", "https://169.254.169.254/", "http://203.0.113.10/hook"):
        with pytest.raises(UrlRefused):
            await check_url(url, allow_loopback=True)


def test_a_secret_is_whsec_and_standard_webhooks_signs_with_it() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert secret != new_secret()
    signature = Webhook(secret).sign("msg_1", NOW, "{}")
    assert signature.startswith("v1,")


def test_a_sealed_secret_opens_with_the_same_key_only() -> None:
    secret = new_secret()
    sealed = SecretBox("key one").seal(secret)
    assert secret.encode() not in sealed
    assert SecretBox("key one").open(sealed) == secret
    with pytest.raises(InvalidToken):
        SecretBox("key two").open(sealed)


def _envelope(event_type: str, data: dict[str, object]) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(),
        event_type=event_type,
        schema_version=1,
        stream_id="member-x",
        stream_version=1,
        occurred_at=NOW,
        tenant="smartfr",
        correlation_id=uuid.uuid4(),
        data=data,
    )


def test_member_applied_becomes_a_thin_member_applied_webhook() -> None:
    member_id = uuid.uuid4()
    event = webhook_event(
        _envelope(
            "members.MemberApplied",
            {"member_id": str(member_id), "person_kind": "natural_person", "applied_at": NOW.isoformat()},
        )
    )
    assert event is not None
    assert (event.type, event.object, event.object_id) == ("member.applied", "member", str(member_id))
    assert event.type in CATALOGUE
    assert "members.events" in TOPICS


def test_member_admitted_becomes_a_thin_member_admitted_webhook() -> None:
    member_id = uuid.uuid4()
    event = webhook_event(
        _envelope(
            "members.MemberAdmitted",
            {"member_id": str(member_id), "decided_by": "board", "admitted_on": "2026-12-03"},
        )
    )
    assert event is not None
    assert (event.type, event.object, event.object_id) == ("member.admitted", "member", str(member_id))


def test_an_event_outside_the_catalogue_makes_no_webhook() -> None:
    assert webhook_event(_envelope("members.SomethingElse", {})) is None
