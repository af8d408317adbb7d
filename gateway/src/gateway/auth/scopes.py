"""The scopes a client may hold; the OpenAPI document lists them under the OAuth2 flow.

A route that needs a scope not listed here adds it (`require` does it too, so the document stays complete).
"""

from __future__ import annotations

SCOPES: dict[str, str] = {
    "members:read": "Read the register of members.",
    "members:write": "Apply for membership and change members.",
    "members:personal_data:read": "Read a natural person's personal data (NIR, IBAN, birth, address...); "
    "every read is logged.",
    "members:personal_data:erase": "Erase a natural person's personal data (crypto-shredding), for good.",
    "members:personal_data:audit": "Read the log of who read a person's personal data.",
    "contracts:read": "Read employment contracts and employees.",
    "contracts:write": "Create and change employment contracts.",
    "payslips:read": "Read payslips.",
    "invoices:read": "Read invoices and credit notes, their Factur-X XML and PDF.",
    "invoices:write": "Draft, change, discard and finalise invoices and credit notes.",
    "payments:write": "Run the daily salary payments (a SEPA credit transfer file to the bank).",
    "payroll:simulate": "Simulate payslips (gross to net, gross from an employer budget); nothing is stored.",
    "webhooks:manage": "Register, change and replay outbound webhook endpoints.",
    "webhooks:send": "Push signed messages to the inbound webhooks (partner associations).",
    "ops": "Read the ops pages (pipeline health, dead letters) and replay dead letters (operators only).",
}


def unknown_scopes(scopes: list[str] | set[str] | frozenset[str]) -> list[str]:
    return sorted(set(scopes) - SCOPES.keys())
