"""Composition root of billing-svc: the invoice handlers, the Factur-X validator's process pool and the GDC
monthly run of the 1st."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from billing_svc import gdc_schedule
from billing_svc.accounts import Accounts
from billing_svc.facturx.pool import FacturXValidator
from billing_svc.gdc import Gdc
from billing_svc.invoices import Invoices
from billing_svc.quotes import Quotes
from billing_svc.receivables import Receivables
from services.runtime import Resources

DEFAULT_SCHEMATRON_WORKERS = 2


@dataclass(frozen=True)
class Billing:
    resources: Resources
    invoices: Invoices
    validator: FacturXValidator
    quotes: Quotes
    gdc: Gdc
    accounts: Accounts
    receivables: Receivables


def build(resources: Resources) -> Billing:
    workers = int(getattr(resources.settings, "schematron_workers", DEFAULT_SCHEMATRON_WORKERS))
    validator = FacturXValidator(workers)
    invoices = Invoices(resources, validator)
    return Billing(
        resources,
        invoices,
        validator,
        Quotes(resources),
        Gdc(resources, invoices),
        Accounts(resources),
        Receivables(resources),
    )


def background(service: object, resources: Resources) -> Sequence[Callable[[asyncio.Event], Awaitable[None]]]:
    """The validator's worker processes (started and warmed with the service, shut down with it), and the
    GDC monthly run of the 1st."""
    if not isinstance(service, Billing):
        return ()

    async def validator_pool(stop: asyncio.Event) -> None:
        warming = asyncio.ensure_future(service.validator.warm_up())
        try:
            await stop.wait()
        finally:
            warming.cancel()
            await asyncio.to_thread(service.validator.close)

    return (validator_pool, *gdc_schedule.background(service.gdc, resources))
