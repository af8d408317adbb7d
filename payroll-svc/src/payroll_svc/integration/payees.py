"""Where a salary is paid: the port to the employees' bank details, and a fake adapter.

The bank details are personal data kept by members-svc and never published: with `PAYROLL_MEMBERS_URL` set,
a run reads them from members-svc (integration.identities.MembersIdentities, purpose salary_payment, ADR 019).
The fake gives each member a stable, valid French test IBAN (schwifty computes the RIB key and the IBAN
check digits), so the payment file is real pain.001 and the fake bank can reject a line by IBAN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from schwifty import IBAN

TEST_BANK = "3000400003"  # bank and branch codes of the fake payees' accounts (a test range, no real account)


@dataclass(frozen=True, slots=True)
class Payee:
    name: str
    iban: str
    bic: str | None


class Payees(Protocol):
    async def payee(self, tenant: str, member_id: UUID) -> Payee: ...


class FakePayees:
    async def payee(self, tenant: str, member_id: UUID) -> Payee:
        iban = IBAN.generate("FR", bank_code=TEST_BANK, account_code=f"{member_id.int % 10**11:011d}")
        return Payee(name=f"Membre {str(member_id)[:8]}", iban=str(iban), bic=None)
