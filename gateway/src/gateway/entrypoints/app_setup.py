"""What the gateway adds to the chassis's app: its own middleware, inside the chassis's.

See `services.http.add_inner_middleware`. Outer first: who calls, rate limits, idempotency, versions.
"""

from __future__ import annotations

from fastapi import FastAPI


def configure(app: FastAPI) -> None:
    """Each mechanism of the gateway registers here, one line each, in the order requests pass through."""
