"""What may be pushed: a registry of kinds, each with its scope, its size limit and its payload check.

A kind is the last segment of the URL (`POST /v1/webhooks/inbound/test.ping`). contracts' issue adds
`hire` here (with its own route `POST /v1/webhooks/hires` on the same receiver).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.inbound.hires import MAX_BODY_BYTES, HirePayloadInvalid, check_hires

DEFAULT_SCOPE = "webhooks:send"
DEFAULT_MAX_BODY_BYTES = 256 * 1024


class PayloadInvalid(Exception):
    """The body is JSON but not what the kind expects; `param` names the offending place."""

    def __init__(self, detail: str, param: str | None = None) -> None:
        self.detail = detail
        self.param = param
        super().__init__(detail)


def json_object(payload: Any) -> None:
    if not isinstance(payload, dict):
        raise PayloadInvalid("the body must be a JSON object", param="body")


@dataclass(frozen=True)
class Kind:
    name: str
    description: str
    scope: str = DEFAULT_SCOPE  # the API client's scope that may push this kind
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    check: Callable[[Any], None] = json_object  # raises PayloadInvalid


TEST_PING = Kind("test.ping", "A connectivity check: any JSON object, stored and acknowledged, nothing else.")


def registry(kinds: Iterable[Kind]) -> Mapping[str, Kind]:
    found: dict[str, Kind] = {}
    for kind in kinds:
        if kind.name in found:
            raise ValueError(f"inbound webhook kind {kind.name!r} registered twice")
        found[kind.name] = kind
    return found


def _hires(payload: Any) -> None:
    try:
        check_hires(payload)
    except HirePayloadInvalid as invalid:
        raise PayloadInvalid(invalid.detail, invalid.param) from None


# contracts' hires (gateway/inbound/hires.py), pushed to their own path, POST /v1/webhooks/hires.
HIRE = Kind(
    "hire",
    "Hires pushed by an association: each becomes a contract (the association employs) or is rejected.",
    max_body_bytes=MAX_BODY_BYTES,
    check=_hires,
)

KINDS: Mapping[str, Kind] = registry([TEST_PING, HIRE])
