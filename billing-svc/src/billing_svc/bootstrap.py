"""Composition root of billing-svc: the invoice handlers and the Factur-X validator's process pool."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from billing_svc.facturx.pool import FacturXValidator
from billing_svc.invoices import Invoices
from services.runtime import Resources

DEFAULT_SCHEMATRON_WORKERS = 2


@dataclass(frozen=True)
class Billing:
    resources: Resources
    invoices: Invoices
    validator: FacturXValidator


def build(resources: Resources) -> Billing:
    workers = int(getattr(resources.settings, "schematron_workers", DEFAULT_SCHEMATRON_WORKERS))
    validator = FacturXValidator(workers)
    return Billing(resources, Invoices(resources, validator), validator)


def background(service: object, resources: Resources) -> Sequence[Callable[[asyncio.Event], Awaitable[None]]]:
    """Shuts the validator's worker processes down with the service."""
    if not isinstance(service, Billing):
        return ()

    async def close_pool_on_stop(stop: asyncio.Event) -> None:
        await stop.wait()
        await asyncio.to_thread(service.validator.close)

    return (close_pool_on_stop,)
