"""The ids a create mints, from the integrator's Idempotency-Key when the gateway passes it on.

The gateway keeps a POST's answer once the service has answered. If it dies in between, or the service's
answer is lost on the way (a timeout, a 5xx after the commit), the integrator's retry runs the request again:
with fresh ids it would create a second member, record a second payment. So the gateway passes the key on
(`Request-Key`: when the key was first claimed, and a digest of the API client and the key), and the service
mints from it the ids of what the request creates: the retry names the same member, the same payment, and
finds it there instead of creating another (ADR 023).

The ids stay UUIDv7, stamped with the time the key was first claimed, so they sort by creation as the ones
`new_event_id` mints do; the random bits come from the digest and what the id is for (one request may create
several things).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request

from services.http import Problem
from services.ids import new_event_id

HEADER = "Request-Key"
_FORMAT = re.compile(r"^(\d{1,15})\.([0-9a-f]{64})$")


@dataclass(frozen=True, slots=True)
class RequestKey:
    first_claimed_ms: int  # Unix time in milliseconds
    digest: bytes  # SHA-256 of the API client and its Idempotency-Key

    def header(self) -> str:
        return f"{self.first_claimed_ms}.{self.digest.hex()}"

    @classmethod
    def parse(cls, value: str) -> RequestKey:
        found = _FORMAT.match(value)
        if found is None:
            raise ValueError(f"not a request key: {value!r}")
        return cls(int(found[1]), bytes.fromhex(found[2]))

    def id_for(self, purpose: str) -> UUID:
        """The same id for the same key and purpose; UUIDv7 layout (48-bit time, version, variant)."""
        random = int.from_bytes(hashlib.sha256(self.digest + purpose.encode()).digest()[:10])
        rand_a, rand_b = random >> 62 & 0xFFF, random & (1 << 62) - 1
        value = (self.first_claimed_ms & (1 << 48) - 1) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
        return UUID(int=value)


def id_for(key: RequestKey | None, purpose: str) -> UUID:
    """The id of what a request creates: derived from its key, or new when the caller sent none."""
    return key.id_for(purpose) if key is not None else new_event_id()


async def request_key(request: Request) -> RequestKey | None:
    value = request.headers.get(HEADER)
    if value is None:
        return None
    try:
        return RequestKey.parse(value)
    except ValueError as error:
        raise Problem(400, "request_key_invalid", detail=str(error), param=HEADER) from error


CurrentRequestKey = Annotated[RequestKey | None, Depends(request_key)]
