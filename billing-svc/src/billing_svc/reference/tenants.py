"""Each tenant's legal-entity settings (seller, SEPA creditor, GDC invoicing) and the GDC fee table, read
once from their data files (tenants.json, gdc_fees.json, with their sources)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any
from uuid import UUID

from billing_svc.domain.gdc.invoice import GdcInvoicing
from billing_svc.domain.invoicing import Party
from billing_svc.domain.invoicing.events import Address
from billing_svc.domain.invoicing.reference import Period
from billing_svc.sepa.direct_debit import Creditor


class UnknownTenant(LookupError):
    pass


class GdcNotOffered(LookupError):
    """The tenant runs no GDC service (no GDC settings, or no fee in force on the day)."""


@dataclass(frozen=True)
class TenantSettings:
    seller: Party
    creditor: Creditor
    gdc: GdcInvoicing | None


@dataclass(frozen=True)
class GdcFee:
    tenant: str
    percent: Decimal
    period: Period
    source: str


def _read(name: str) -> Any:
    return json.loads(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


def _tenant(row: dict[str, Any]) -> TenantSettings:
    seller = row["seller"]
    creditor = row["sepa_creditor"]
    gdc = row["gdc"]
    return TenantSettings(
        seller=Party(**{**seller, "address": Address(**seller["address"])}),
        creditor=Creditor(creditor["name"], creditor["creditor_id"], creditor["iban"], creditor["bic"]),
        gdc=None
        if gdc is None
        else GdcInvoicing(
            series=gdc["series"],
            activity_id=UUID(gdc["activity_id"]),
            vat_exemption=gdc["vat_exemption"],
            vat_percent=None if gdc["vat_percent"] is None else Decimal(gdc["vat_percent"]),
            payment_days=gdc["payment_days"],
        ),
    )


@dataclass(frozen=True)
class Tenants:
    settings: dict[str, TenantSettings]
    fees: tuple[GdcFee, ...]

    def of(self, tenant: str) -> TenantSettings:
        try:
            return self.settings[tenant]
        except KeyError:
            raise UnknownTenant(f"no legal-entity settings for the tenant {tenant!r}") from None

    def seller(self, tenant: str) -> Party:
        return self.of(tenant).seller

    def gdc(self, tenant: str) -> GdcInvoicing:
        gdc = self.of(tenant).gdc
        if gdc is None:
            raise GdcNotOffered(f"the tenant {tenant!r} runs no GDC service")
        return gdc

    def gdc_fee(self, tenant: str, on: date) -> Decimal:
        found = next((f for f in self.fees if f.tenant == tenant and f.period.covers(on)), None)
        if found is None:
            raise GdcNotOffered(f"no GDC fee in force for {tenant!r} on {on}")
        return found.percent


def load() -> Tenants:
    fees = tuple(
        GdcFee(
            f["tenant"],
            Decimal(f["percent"]),
            Period(date.fromisoformat(f["from"]), date.fromisoformat(f["until"]) if f["until"] else None),
            f["source"],
        )
        for f in _read("gdc_fees.json")["fees"]
    )
    return Tenants({name: _tenant(row) for name, row in _read("tenants.json")["tenants"].items()}, fees)


TENANTS = load()
