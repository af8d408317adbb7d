"""Line amounts, VAT per rate and totals, in integer cents (half-up rounding, per rate as EN 16931 does)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from billing_svc.domain.invoicing.events import DraftContent, Line, Totals, VatBreakdown
from billing_svc.domain.invoicing.reference import VatExemption

HUNDRED = Decimal(100)


def cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_cents(line: Line) -> int:
    return cents(line.quantity * line.unit_price_cents)


def vat_breakdown(content: DraftContent, exemption: VatExemption | None) -> tuple[VatBreakdown, ...]:
    if exemption is not None:
        basis = sum(line_cents(line) for line in content.lines)
        return (
            VatBreakdown(
                category=exemption.category,
                percent=Decimal(0),
                basis_cents=basis,
                vat_cents=0,
                exemption_mention=exemption.mention,
                vatex=exemption.vatex,
            ),
        )
    by_rate: dict[Decimal, int] = {}
    for line in content.lines:
        assert line.vat_percent is not None  # checked with the content
        by_rate[line.vat_percent] = by_rate.get(line.vat_percent, 0) + line_cents(line)
    return tuple(
        VatBreakdown(
            category="S",
            percent=percent,
            basis_cents=basis,
            vat_cents=cents(basis * percent / HUNDRED),
            exemption_mention=None,
            vatex=None,
        )
        for percent, basis in sorted(by_rate.items(), reverse=True)
    )


def totals(content: DraftContent, breakdown: tuple[VatBreakdown, ...]) -> Totals:
    lines = sum(line_cents(line) for line in content.lines)
    vat = sum(b.vat_cents for b in breakdown)
    return Totals(lines_cents=lines, basis_cents=lines, vat_cents=vat, total_cents=lines + vat)
