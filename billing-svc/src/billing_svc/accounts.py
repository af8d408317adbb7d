"""Activity accounts as the consumers and the API run them (ADR 016).

One consumer group reads the events that move an account: billing's own PaymentReceived and guarantee-fund
events, contracts' budget reservation requests and releases, payroll's payslips. Each becomes a command on
the account's stream (`account-<activity_id>`), appended in the inbox's transaction together with its public
events (the answer to a reservation among them) and the statement's rows. Expense claims come from the API.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from billing_svc.accounts_codec import ACCOUNT, ACCOUNT_CODEC
from billing_svc.accounts_reference import CONTRIBUTION
from billing_svc.domain import accounts
from billing_svc.domain.accounts import (
    AccountCommand,
    ClaimExpenses,
    CoverByGuaranteeFund,
    CreditPayment,
    DebitPayslip,
    RecordFundRecovery,
    ReleaseReservation,
    ReserveBudget,
)
from billing_svc.domain.accounts.contribution import ContributionTable
from billing_svc.domain.accounts.events import AccountEvent, ExpenseClaimed, Receipt
from billing_svc.domain.accounts.rules import UnknownActivityAccount
from billing_svc.domain.accounts.state import Account
from billing_svc.integration import account_inbound as inbound
from billing_svc.integration.account_outbound import to_public
from billing_svc.read_models import accounts as views
from schemas.generated.contracts.budget_reservation_released_v1 import BudgetReservationReleasedV1
from schemas.generated.contracts.budget_reservation_requested_v1 import BudgetReservationRequestedV1
from schemas.generated.payroll.payslip_issued_v1 import PayslipIssuedV1
from services import command_loop
from services.envelope import Envelope
from services.eventstore.errors import ConcurrencyConflict
from services.log_reader import Conn
from services.runtime import Resources
from services.telemetry import current_traceparent

log = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")
TOPICS = ("billing.events", "contracts.events", "payroll.events")
CLAIM_ATTEMPTS = 5


def paris_day(instant: datetime) -> date:
    return instant.astimezone(PARIS).date()


@dataclass(frozen=True)
class Accounts:
    resources: Resources
    contribution: ContributionTable = CONTRIBUTION

    async def on_event(self, conn: Conn, envelope: Envelope) -> None:
        """An event that moves an account -> its command, in the consumer's (inbox's) transaction."""
        if envelope.schema_version != 1:
            return
        command = await self._command_for(conn, envelope, datetime.now(UTC))
        if command is not None:
            await self._handle(conn, envelope.tenant, command, _metadata(envelope))

    async def _command_for(self, conn: Conn, envelope: Envelope, now: datetime) -> AccountCommand | None:
        tenant, data = envelope.tenant, envelope.data
        match envelope.event_type:
            case inbound.PAYMENT_RECEIVED:
                paid = inbound.PaymentReceived.model_validate(data)
                if paid.activity_id is None:
                    return None  # not an activity's invoice: no account to credit
                rate = self.contribution.rate_on(tenant, paid.received_on)
                return CreditPayment(
                    paid.activity_id,
                    paid.payment_id,
                    paid.invoice_id,
                    paid.amount_excluding_vat_cents,
                    paid.received_on,
                    rate,
                    now,
                )
            case inbound.FUND_COVERED:
                covered = inbound.GuaranteeFundCovered.model_validate(data)
                if covered.activity_id is None:
                    return None
                rate = self.contribution.rate_on(tenant, covered.covered_on)
                return CoverByGuaranteeFund(
                    covered.activity_id,
                    covered.invoice_id,
                    covered.amount_excluding_vat_cents,
                    covered.covered_on,
                    rate,
                    now,
                )
            case inbound.FUND_RECOVERED:
                recovered = inbound.GuaranteeFundRecovered.model_validate(data)
                if recovered.activity_id is None:
                    return None
                return RecordFundRecovery(
                    recovered.activity_id,
                    recovered.invoice_id,
                    recovered.amount_excluding_vat_cents,
                    recovered.recovered_on,
                    recovered.recorded_at,
                    now,
                )
            case inbound.RESERVATION_REQUESTED:
                requested = BudgetReservationRequestedV1.model_validate(data)
                await views.remember_contract(conn, tenant, requested.contract_id, requested.activity_id)
                return ReserveBudget(
                    requested.activity_id,
                    requested.reservation_id,
                    requested.amount_cents,
                    now,
                    contract_id=requested.contract_id,
                )
            case inbound.RESERVATION_RELEASED:
                released = BudgetReservationReleasedV1.model_validate(data)
                return ReleaseReservation(released.activity_id, released.reservation_id, now)
            case inbound.PAYSLIP_ISSUED:
                payslip = PayslipIssuedV1.model_validate(data)
                activity_id = await views.activity_of_contract(conn, tenant, payslip.contract_id)
                if activity_id is None:
                    return None  # not a contract of a member's activity (a GDC association's, say)
                return DebitPayslip(
                    activity_id,
                    payslip.payslip_id,
                    payslip.contract_id,
                    payslip.period,
                    payslip.employer_cost_cents,
                    paris_day(payslip.issued_at),
                    now,
                    payslip.corrects_payslip_id,
                    contract_ended=payslip.contract_ended is not False,  # absent: published before it said
                )
        return None

    async def _handle(
        self, conn: Conn, tenant: str, command: AccountCommand, metadata: Mapping[str, Any]
    ) -> list[AccountEvent]:
        handled = await command_loop.handle(
            self.resources.store,
            ACCOUNT,
            ACCOUNT_CODEC,
            accounts.stream_id(command.activity_id),
            command,
            tenant=tenant,
            metadata=metadata,
            to_public=to_public,
            occurred_at=command.now,
            conn=conn,
        )
        first = handled.version - len(handled.events) + 1
        for offset, event in enumerate(handled.events):
            await views.record(conn, tenant, first + offset, event)
        return handled.events

    async def claim_expenses(
        self,
        activity_id: UUID,
        claim_id: UUID,
        description: str,
        receipts: tuple[Receipt, ...],
        *,
        tenant: str,
        correlation_id: str,
    ) -> ExpenseClaimed:
        """Debit the account with the claim, once: a claim id recorded already (a retried request names the
        same claim) is answered as it was recorded."""
        now = datetime.now(UTC)
        command = ClaimExpenses(activity_id, claim_id, description, receipts, paris_day(now), now)
        for attempt in range(CLAIM_ATTEMPTS):
            try:
                async with self.resources.pool.acquire() as conn, conn.transaction():
                    events = await self._handle(conn, tenant, command, {"correlation_id": correlation_id})
                    claimed = events[0] if events else await self._claim_recorded(conn, tenant, command)
                self.resources.store.committed()
                assert isinstance(claimed, ExpenseClaimed)
                return claimed
            except ConcurrencyConflict:  # a payment or payslip moved the account meanwhile: decide again
                if attempt == CLAIM_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    async def _claim_recorded(self, conn: Conn, tenant: str, command: ClaimExpenses) -> ExpenseClaimed:
        recorded = await self.resources.store.read_stream(
            accounts.stream_id(command.activity_id), tenant=tenant, conn=conn
        )
        return next(
            event
            for event in map(ACCOUNT_CODEC.decode, recorded)
            if isinstance(event, ExpenseClaimed) and event.claim_id == command.claim_id
        )

    async def account(self, activity_id: UUID, *, tenant: str) -> tuple[int, Account]:
        recorded = await self.resources.store.read_stream(accounts.stream_id(activity_id), tenant=tenant)
        if not recorded:
            raise UnknownActivityAccount(f"no activity account {activity_id}")
        return recorded[-1].stream_version, ACCOUNT.fold(ACCOUNT_CODEC.decode(r) for r in recorded)


def _metadata(envelope: Envelope) -> dict[str, Any]:
    return {
        "correlation_id": envelope.correlation_id,
        "causation_id": envelope.event_id,
        # The span processing this message, so what it causes is a child of it (not a sibling).
        "traceparent": current_traceparent() or envelope.traceparent,
    }
