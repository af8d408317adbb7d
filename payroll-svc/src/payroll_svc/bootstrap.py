"""Composition root of payroll-svc: payslips from contracts' work and completions, salaries, payment runs."""

from __future__ import annotations

import logging
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx

from payroll_svc import metrics
from payroll_svc.config import Settings
from payroll_svc.declarations.dsn import Person, Sender, monthly_dsn
from payroll_svc.declarations.dsn_month import contract_month, declared_establishment, regularisation
from payroll_svc.domain import contract_pay, payments, payslips
from payroll_svc.domain.contract_pay import ContractPayCommand
from payroll_svc.domain.contract_pay.pay_input import EmployerTerms, pay_input
from payroll_svc.domain.payments import (
    Bank,
    BankUnavailable,
    SalaryPayment,
    SalaryPaymentEvent,
    answers,
    due_for_run,
    journal,
    salary_payment_decider,
)
from payroll_svc.domain.payroll import HeadcountBand, compute_payslip
from payroll_svc.domain.payslips.correction import CorrectedInputs, corrected
from payroll_svc.integration.employer_terms import EmployerTermsBook
from payroll_svc.integration.fake_bank import FakeBank
from payroll_svc.integration.identities import (
    DSN_PURPOSE,
    FakeIdentities,
    Identities,
    MembersIdentities,
    PersonUnknown,
    checked_siret,
)
from payroll_svc.integration.outbound import to_public
from payroll_svc.integration.payees import FakePayees, Payees
from payroll_svc.integration.sepa_credit_transfer import PayingAccount, SalaryTransfer, salary_transfer_file
from payroll_svc.integration.when_contract_completed import complete_contract, schedule_salary
from payroll_svc.integration.when_work_reported import record_work
from payroll_svc.read_models import establishments
from payroll_svc.read_models.establishments import EstablishmentUnknown, record_contract_establishment
from payroll_svc.read_models.payroll_projection import (
    CONTRACT_PAY_CODEC,
    PAYSLIP_CODEC,
    RUN_CODEC,
    SALARY_CODEC,
    SALARY_STREAMS,
)
from payroll_svc.read_models.payroll_views import (
    contracts_with_unpaid_work,
    lock_month_and_ceiling_used,
    paid_in_month,
    record_payment_run,
    record_payslip,
    record_salary_event,
    record_unpaid_work,
    run_answers,
    runs_sending,
)
from schemas.generated.contracts.contract_completed_v1 import ContractCompletedV1
from schemas.generated.contracts.contract_drafted_v1 import ContractDraftedV1
from schemas.generated.contracts.work_reported_v1 import WorkReportedV1
from services import command_loop
from services.envelope import Envelope
from services.eventstore.errors import ConcurrencyConflict
from services.ids import new_event_id
from services.log_reader import Conn
from services.request_keys import RequestKey, id_for
from services.runtime import Resources
from services.telemetry import current_traceparent

log = logging.getLogger(__name__)

CONTRACTS_TOPIC = "contracts.events"
CLOSE_RETRIES = 3
DSN_SENDER = Sender("backoffice", "SmartFr SCIC", "0.1", "Service paie", "paie@smartfr.example")


def salary_stream(payslip_id: UUID) -> str:
    return f"{SALARY_STREAMS}{payslip_id}"


@dataclass(frozen=True)
class RunOutcome:
    run_id: str | None
    run_on: date
    paid: list[UUID] = field(default_factory=list)
    late: list[UUID] = field(default_factory=list)
    rejected: dict[UUID, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Correction:
    payslip: payslips.PayslipIssued
    difference_cents: int  # the corrected net less the net it replaces


@dataclass(frozen=True)
class Payroll:
    resources: Resources
    employers: EmployerTermsBook
    bank: Bank
    payees: Payees
    account: PayingAccount
    identities: Identities = field(default_factory=FakeIdentities)
    sender: Sender = DSN_SENDER

    async def on_contracts_event(self, conn: Conn, envelope: Envelope) -> None:
        """WorkReported and ContractCompleted -> the contract's pay record, and the payslips and salaries of
        the pay periods it closes, all in the inbox's transaction."""
        if envelope.schema_version != 1:
            return
        now = datetime.now(UTC)
        command: ContractPayCommand | None
        if envelope.event_type == "contracts.ContractDrafted":
            await self._contract_drafted(conn, envelope)
            return
        if envelope.event_type == "contracts.WorkReported":
            command = record_work(WorkReportedV1.model_validate(envelope.data), envelope.event_id, now)
        elif envelope.event_type == "contracts.ContractCompleted":
            command = complete_contract(ContractCompletedV1.model_validate(envelope.data), now)
        else:
            return
        if command is None:
            return
        await self._pay_record(conn, envelope.tenant, command.contract_id, command, _metadata(envelope), now)

    @staticmethod
    async def _contract_drafted(conn: Conn, envelope: Envelope) -> None:
        """Where the contract is made: what its payslip names and which establishment's DSN declares it."""
        drafted = ContractDraftedV1.model_validate(envelope.data)
        if drafted.employer_establishment is not None:  # absent from drafts published before ADR 024
            await record_contract_establishment(
                conn, envelope.tenant, drafted.contract_id, drafted.employer_establishment, drafted.drafted_at
            )

    async def close_month(self, month: date, *, tenant: str, correlation_id: str | None) -> list[UUID]:
        """Issue the payslips of `month` (and of the work of earlier months not paid yet), one contract at a
        time, each in its own transaction; the ids of the payslips issued."""
        now = datetime.now(UTC)
        metadata = {"correlation_id": correlation_id}
        async with self.resources.pool.acquire() as conn:
            contracts = await contracts_with_unpaid_work(conn, tenant, month)
        issued: list[UUID] = []
        for contract_id in contracts:
            for attempt in range(CLOSE_RETRIES):
                try:
                    async with self.resources.pool.acquire() as conn, conn.transaction():
                        issued += await self._pay_record(
                            conn, tenant, contract_id, contract_pay.CloseMonth(month, now), metadata, now
                        )
                    break
                except ConcurrencyConflict:  # the consumer recorded work meanwhile: decide again
                    if attempt == CLOSE_RETRIES - 1:
                        raise
            self.resources.store.committed()
        return issued

    async def _pay_record(
        self,
        conn: Conn,
        tenant: str,
        contract_id: UUID,
        command: ContractPayCommand,
        metadata: dict[str, Any],
        now: datetime,
    ) -> list[UUID]:
        handled = await command_loop.handle(
            self.resources.store,
            contract_pay.contract_pay_decider,
            CONTRACT_PAY_CODEC,
            contract_pay.stream_id(contract_id),
            command,
            tenant=tenant,
            metadata=metadata,
            occurred_at=now,
            conn=conn,
        )
        if not handled.events:
            return []
        earliest_unpaid = contract_pay.earliest_unpaid(handled.state)
        opened = handled.version == len(handled.events)  # a new pay record: no unpaid-work row to clear
        if not (opened and earliest_unpaid is None):
            await record_unpaid_work(conn, tenant, contract_id, earliest_unpaid)
        issued = []
        for event in handled.events:
            if isinstance(event, contract_pay.PayPeriodClosed):
                await self._issue(conn, tenant, event, metadata, now)
                issued.append(event.payslip_id)
        return issued

    async def _issue(
        self,
        conn: Conn,
        tenant: str,
        period: contract_pay.PayPeriodClosed,
        metadata: dict[str, Any],
        now: datetime,
    ) -> None:
        """The period's payslip, its share of the person's PMSS for the month, and its salary.

        The period has just been closed, so its payslip's id (and its salary's) are new: their streams are
        appended without a read (two round trips of a month's thousands saved; a stream found after all
        conflicts and rolls back)."""
        used = await lock_month_and_ceiling_used(conn, tenant, period.member_id, period.period)
        employer = self.employers.terms(tenant, period.employer_id)
        pay = pay_input(period, employer, used)
        payslip = compute_payslip(pay)
        issued = await self._issue_payslip(
            conn,
            tenant,
            payslips.IssuePayslip(
                payslip_id=period.payslip_id,
                contract_id=period.contract_id,
                member_id=period.member_id,
                employer_id=period.employer_id,
                period=period.period,
                contract_type=period.terms.contract_type,
                hours_paid=period.hours_paid,
                last_day_worked=period.last_day_worked,
                payslip=payslip,
                now=now,
                pay=pay,
            ),
            metadata,
            new_stream=True,
        )
        assert issued is not None  # a new stream: issued here (one found after all conflicts, ADR 022)
        if payslip.net_paid_cents > 0:
            salary = schedule_salary(period, payslip, now)
            await self._salary(conn, tenant, salary, metadata, now, new_stream=True)

    async def _issue_payslip(
        self,
        conn: Conn,
        tenant: str,
        command: payslips.IssuePayslip,
        metadata: dict[str, Any],
        *,
        new_stream: bool = False,
    ) -> payslips.PayslipIssued | None:
        """The payslip's event, public event and read-model row; None when it was issued before."""
        issued = await command_loop.handle(
            self.resources.store,
            payslips.payslip_decider,
            PAYSLIP_CODEC,
            payslips.stream_id(command.payslip_id),
            command,
            tenant=tenant,
            metadata=metadata,
            to_public=to_public,
            occurred_at=command.now,
            conn=conn,
            new_stream=new_stream,
        )
        if not issued.events:
            return None
        [event] = issued.events
        assert isinstance(event, payslips.PayslipIssued)
        await record_payslip(conn, tenant, event)
        return event

    async def correct_payslip(
        self,
        payslip_id: UUID,
        reason: str,
        changes: CorrectedInputs,
        *,
        correction_id: UUID | None = None,
        tenant: str,
        correlation_id: str | None,
    ) -> Correction:
        """A new payslip from the corrected inputs that names the one it corrects, which records that it is
        corrected; the net difference scheduled as a salary payment (a raise) or recorded as an overpayment
        to recover (a cut). All in one transaction.

        `correction_id` (from the request's key) names the new payslip: the same correction sent again finds
        it and answers it, issuing and paying nothing more."""
        now = datetime.now(UTC)
        metadata: dict[str, Any] = {"correlation_id": correlation_id}
        correction_id = correction_id or new_event_id()
        async with self.resources.pool.acquire() as conn, conn.transaction():
            superseded = await command_loop.handle(
                self.resources.store,
                payslips.payslip_decider,
                PAYSLIP_CODEC,
                payslips.stream_id(payslip_id),
                payslips.CorrectPayslip(payslip_id, correction_id, reason, now),
                tenant=tenant,
                metadata=metadata,
                occurred_at=now,
                conn=conn,
            )
            assert isinstance(superseded.state, payslips.CorrectedPayslip)
            old = superseded.state.issued
            if not superseded.events:  # corrected by this very correction before: answer it
                return await self._correction_made(conn, tenant, correction_id, old)
            assert old.pay is not None  # the decider refuses a payslip without its inputs
            after_the_end = await self._record_correction(
                conn, tenant, old, changes, correction_id, metadata, now
            )
            pay = corrected(old.pay, changes, after_the_end=after_the_end)
            payslip = compute_payslip(pay)
            event = await self._issue_payslip(
                conn,
                tenant,
                payslips.IssuePayslip(
                    payslip_id=correction_id,
                    contract_id=old.contract_id,
                    member_id=old.member_id,
                    employer_id=old.employer_id,
                    period=old.period,
                    contract_type=old.contract_type,
                    hours_paid=pay.hours_paid,
                    last_day_worked=old.last_day_worked,
                    payslip=payslip,
                    now=now,
                    corrects_payslip_id=payslip_id,
                    pay=pay,
                ),
                metadata,
            )
            assert event is not None  # a correction's id is new: PayslipAlreadyCorrected otherwise
            difference = payslip.net_paid_cents - old.net_paid_cents
            if difference > 0:
                command: Any = payments.ScheduleSalary(
                    correction_id, old.member_id, difference, old.last_day_worked, now
                )
                await self._salary(conn, tenant, command, metadata, now)
            elif difference < 0:
                command = payments.RecordOverpayment(
                    correction_id, payslip_id, old.member_id, -difference, now
                )
                await self._salary(conn, tenant, command, metadata, now)
        self.resources.store.committed()
        return Correction(event, difference)

    async def _record_correction(
        self,
        conn: Conn,
        tenant: str,
        old: payslips.PayslipIssued,
        changes: CorrectedInputs,
        correction_id: UUID,
        metadata: dict[str, Any],
        now: datetime,
    ) -> bool:
        """The contract's pay record hears of the correction's difference of pay, which counts in the
        indemnities of a last payslip issued later (ADR 025); whether that last payslip is issued already."""
        assert old.pay is not None
        new_pay = changes.gross_pay_cents
        difference = 0 if new_pay is None else new_pay - old.pay.gross_pay_cents
        record = await command_loop.handle(
            self.resources.store,
            contract_pay.contract_pay_decider,
            CONTRACT_PAY_CODEC,
            contract_pay.stream_id(old.contract_id),
            contract_pay.RecordCorrection(old.contract_id, old.payslip_id, correction_id, difference, now),
            tenant=tenant,
            metadata=metadata,
            occurred_at=now,
            conn=conn,
        )
        return record.state.completed

    async def _correction_made(
        self, conn: Conn, tenant: str, correction_id: UUID, old: payslips.PayslipIssued
    ) -> Correction:
        stored = await self.resources.store.read_stream(
            payslips.stream_id(correction_id), tenant=tenant, conn=conn
        )
        state = payslips.payslip_decider.fold(PAYSLIP_CODEC.decode(r) for r in stored)
        issued = state.issued if isinstance(state, payslips.CorrectedPayslip) else state
        assert isinstance(issued, payslips.PayslipIssued)  # issued with the correction, in its transaction
        return Correction(issued, issued.net_paid_cents - old.net_paid_cents)

    async def dsn(self, tenant: str, siret: str, month: date, made_on: date) -> str:
        """The monthly DSN of the establishment: the pay of its contracts paid in the month, the people named
        through the Identities port on this build (nothing of them kept here)."""
        siret = checked_siret(siret)
        first = month.replace(day=1)
        last = first.replace(day=monthrange(first.year, first.month)[1])
        async with self.resources.pool.acquire() as conn:
            registered = await establishments.establishment(conn, tenant, siret)
            if registered is None:
                raise EstablishmentUnknown(f"no contract of this cooperative is made under SIRET {siret}")
            rows = await paid_in_month(conn, tenant, first, last, siret=siret)
        people: dict[UUID, Person] = {}
        contracts = []
        for declared in rows:
            issued = payslips.PayslipIssued.model_validate_json(declared.issued)
            if issued.member_id not in people:
                people[issued.member_id] = await self.identities.person(tenant, issued.member_id, DSN_PURPOSE)
            person = people[issued.member_id]
            if declared.corrected is None:
                contracts.append(contract_month(issued, person, declared.paid_on))
            else:
                corrected = payslips.PayslipIssued.model_validate_json(declared.corrected)
                contracts.append(regularisation(issued, corrected, person, declared.paid_on))
        company, establishment = declared_establishment(registered, headcount=len(people))
        return monthly_dsn(first, self.sender, company, establishment, contracts, made_on=made_on)

    async def _salary(
        self,
        conn: Conn,
        tenant: str,
        command: Any,
        metadata: dict[str, Any],
        now: datetime,
        *,
        new_stream: bool = False,
    ) -> list[SalaryPaymentEvent]:
        handled = await command_loop.handle(
            self.resources.store,
            salary_payment_decider,
            SALARY_CODEC,
            salary_stream(command.payslip_id),
            command,
            tenant=tenant,
            metadata=metadata,
            to_public=to_public,
            occurred_at=now,
            conn=conn,
            new_stream=new_stream,
        )
        first = handled.version - len(handled.events) + 1
        for offset, event in enumerate(handled.events):
            await record_salary_event(conn, tenant, first + offset, event)
        return handled.events

    async def run_payments(
        self,
        run_on: date,
        *,
        tenant: str,
        correlation_id: str | None,
        request_key: RequestKey | None = None,
    ) -> RunOutcome:
        """Pay what is due on `run_on`: one pain.001 file to the bank, then each salary's answer recorded.

        One run at a time per tenant (an advisory lock held for the run), so no salary goes in two files.
        The run is journaled before its file goes to the bank; a run found still sending (interrupted after
        the bank took its file) is finished first from the bank's answer to its message, never sent again.
        A file the bank fails as a whole records nothing (BankUnavailable propagates): all stays due.
        The run's id comes from the request's key: the same run asked again is found and answered, not
        made again (it would send the salaries the bank rejected once more).
        """
        now = datetime.now(UTC)
        pool = self.resources.pool
        async with pool.acquire() as lock:
            await lock.execute("SELECT pg_advisory_lock(hashtext('payroll-run:' || $1))", tenant)
            try:
                metadata: dict[str, Any] = {"correlation_id": correlation_id}
                recovered = await self._finish_interrupted_runs(tenant, metadata, now)
                run_id, made = await self._run_of_request(tenant, run_on, request_key)
                if made is None:
                    outcome = await self._run(run_on, run_id, tenant, metadata, now)
                else:
                    outcome = await self._answered(tenant, made)
            finally:
                await lock.execute("SELECT pg_advisory_unlock(hashtext('payroll-run:' || $1))", tenant)
        for event in recovered:
            _count(outcome, tenant, event)
        return outcome

    async def _run_of_request(
        self, tenant: str, run_on: date, request_key: RequestKey | None
    ) -> tuple[str, journal.PaymentRunStarted | None]:
        """The id of the request's run, and the run when it was made already. A run the bank failed paid
        nothing: the request, sent again, makes the next one."""
        attempt = 0
        while True:
            run_id = run_id_of(run_on, request_key, attempt)
            stored = await self.resources.store.read_stream(journal.stream_id(run_id), tenant=tenant)
            state = journal.payment_run_decider.fold(RUN_CODEC.decode(r) for r in stored)
            if isinstance(state, journal.NoRun):
                return run_id, None
            abandoned = isinstance(state, journal.Finished) and isinstance(
                state.outcome, journal.PaymentRunAbandoned
            )
            if not abandoned:
                return run_id, state.started  # recorded (an interrupted one was finished just before)
            attempt += 1

    async def _answered(self, tenant: str, started: journal.PaymentRunStarted) -> RunOutcome:
        """A run made before, answered again from what the bank answered to each of its salaries."""
        payslip_ids = [payment.payslip_id for payment in started.payments]
        async with self.resources.pool.acquire() as conn:
            answered = await run_answers(conn, tenant, started.run_id, payslip_ids)
        outcome = RunOutcome(started.run_id, started.run_on)
        for payslip_id in payslip_ids:
            answer = answered.get(payslip_id)
            if answer is None:
                continue  # rejected by this run, paid by a later one
            if answer.status == "paid":
                outcome.paid.append(payslip_id)
                if not answer.on_time:
                    outcome.late.append(payslip_id)
            elif answer.status == "rejected":
                outcome.rejected[payslip_id] = answer.rejection or ""
        return outcome

    async def _journal(
        self,
        conn: Conn,
        tenant: str,
        run_id: str,
        command: journal.PaymentRunCommand,
        metadata: dict[str, Any],
    ) -> None:
        handled = await command_loop.handle(
            self.resources.store,
            journal.payment_run_decider,
            RUN_CODEC,
            journal.stream_id(run_id),
            command,
            tenant=tenant,
            metadata=metadata,
            conn=conn,
        )
        await record_payment_run(conn, tenant, handled.events)

    async def _finish_interrupted_runs(
        self, tenant: str, metadata: dict[str, Any], now: datetime
    ) -> list[SalaryPaymentEvent]:
        recorded: list[SalaryPaymentEvent] = []
        async with self.resources.pool.acquire() as conn:
            interrupted = await runs_sending(conn, tenant)
        for run_id in interrupted:
            async with self.resources.pool.acquire() as conn, conn.transaction():
                stream = journal.stream_id(run_id)
                stored = await self.resources.store.read_stream(stream, tenant=tenant, conn=conn)
                state = journal.payment_run_decider.fold(RUN_CODEC.decode(r) for r in stored)
                assert isinstance(state, journal.Sending)
                started = state.started
                receipt = self.bank.status(run_id)
                if receipt is None:
                    log.warning("payroll: run %s never reached the bank: its salaries stay due", run_id)
                    abandon = journal.AbandonRun(run_id, "the bank never received the file", now)
                    await self._journal(conn, tenant, run_id, abandon, metadata)
                    continue
                log.warning("payroll: run %s was interrupted: recording the bank's answer to it", run_id)
                payments_sent = [payment.payment() for payment in started.payments]
                for answer in answers(run_id, started.run_on, payments_sent, receipt, now):
                    recorded += await self._salary(conn, tenant, answer, metadata, now)
                await self._journal(conn, tenant, run_id, journal.RecordRun(run_id, True, now), metadata)
            self.resources.store.committed()
        return recorded

    async def _run(
        self, run_on: date, run_id: str, tenant: str, metadata: dict[str, Any], now: datetime
    ) -> RunOutcome:
        async with self.resources.pool.acquire() as conn:
            rows = await conn.fetch(
                """SELECT payslip_id, member_id, net_cents, due_on FROM salary_payments
                   WHERE tenant = $1 AND status <> 'paid' AND due_on <= $2""",
                tenant,
                run_on,
            )
        due = due_for_run(
            [SalaryPayment(r["payslip_id"], r["member_id"], r["net_cents"], r["due_on"]) for r in rows],
            run_on,
        )
        if not due:
            return RunOutcome(None, run_on)
        transfers = []
        for payment in list(due):
            try:
                payee = await self.payees.payee(tenant, payment.member_id)
            except PersonUnknown as unknown:  # no bank details to pay to: it stays due, and shows late
                log.warning("payroll: salary of payslip %s left out: %s", payment.payslip_id, unknown)
                due.remove(payment)
                continue
            transfers.append(
                SalaryTransfer(
                    payslip_id=payment.payslip_id,
                    employee_name=payee.name,
                    iban=payee.iban,
                    bic=payee.bic,
                    amount_cents=payment.net_cents,
                    execution_date=run_on,
                    remittance=f"Salaire bulletin {payment.payslip_id.hex[:12]}",
                )
            )
        if not due:
            return RunOutcome(None, run_on)
        document = salary_transfer_file(run_id, now, self.account, transfers)
        metrics.SALARIES_DUE.labels(tenant).inc(len(due))
        journaled = tuple(
            journal.RunPayment(
                payslip_id=p.payslip_id, member_id=p.member_id, net_cents=p.net_cents, due_on=p.due_on
            )
            for p in due
        )
        async with self.resources.pool.acquire() as conn, conn.transaction():  # before the bank sees it
            start = journal.StartRun(run_id, run_on, journaled, now)
            await self._journal(conn, tenant, run_id, start, metadata)
        try:
            receipt = self.bank.submit(document)
        except BankUnavailable as refused:
            metrics.PAYMENT_RUNS_FAILED.labels(tenant).inc()
            async with self.resources.pool.acquire() as conn, conn.transaction():
                abandon = journal.AbandonRun(run_id, str(refused), now)
                await self._journal(conn, tenant, run_id, abandon, metadata)
            raise
        # Anything else (a crash, a lost answer) leaves the run journaled as sending: the next run asks.
        outcome = RunOutcome(run_id, run_on)
        recorded: list[SalaryPaymentEvent] = []
        # The bank has the file: its answers are recorded all at once, so a crash leaves none or all of them.
        async with self.resources.pool.acquire() as conn, conn.transaction():
            for answer in answers(run_id, run_on, due, receipt, now):
                recorded += await self._salary(conn, tenant, answer, metadata, now)
            await self._journal(conn, tenant, run_id, journal.RecordRun(run_id, False, now), metadata)
        self.resources.store.committed()
        for event in recorded:
            _count(outcome, tenant, event)
        return outcome


def run_id_of(run_on: date, request_key: RequestKey | None, attempt: int = 0) -> str:
    """The run's id, its file's message id (Max35Text): from the request's key, new without one. The last
    12 hex digits are the id's random bits (the first 12 are its time)."""
    return f"SAL-{run_on:%Y%m%d}-{id_for(request_key, f'payment run {attempt}').hex[-12:]}"


def _count(outcome: RunOutcome, tenant: str, event: SalaryPaymentEvent) -> None:
    if isinstance(event, payments.SalaryPaid):
        if event.payslip_id not in outcome.paid:  # the request's own run, answered again, lists it already
            outcome.paid.append(event.payslip_id)
            if not event.on_time:
                outcome.late.append(event.payslip_id)
        metrics.SALARIES_PAID.labels(tenant, "on_time" if event.on_time else "late").inc()
    elif isinstance(event, payments.SalaryPaymentRejected):
        outcome.rejected[event.payslip_id] = event.reason
        metrics.SALARIES_REJECTED.labels(tenant).inc()


def _metadata(envelope: Envelope) -> dict[str, Any]:
    return {
        "correlation_id": envelope.correlation_id,
        "causation_id": envelope.event_id,
        # The span processing this message, so what it causes is a child of it (not a sibling).
        "traceparent": current_traceparent() or envelope.traceparent,
    }


def build(resources: Resources) -> Payroll:
    settings = resources.settings
    assert isinstance(settings, Settings)
    identities: Identities = FakeIdentities()
    payees: Payees = FakePayees()
    if settings.members_url is not None:  # distributed mode: people from members-svc (ADR 019)
        client = httpx.AsyncClient(base_url=settings.members_url, timeout=10)
        secret = settings.internal_token_secret.get_secret_value()
        identities = payees = MembersIdentities(client, secret)
    return Payroll(
        resources=resources,
        identities=identities,
        employers=EmployerTermsBook.load(
            EmployerTerms(
                headcount=HeadcountBand(settings.employer_headcount_band),
                accident_at_work_rate=Decimal(settings.employer_accident_at_work_rate),
            ),
            settings.employer_terms_file,
        ),
        bank=FakeBank(rejects=dict(settings.bank_rejects), fails=settings.bank_fails),
        payees=payees,
        account=PayingAccount(name=settings.paying_account_name, iban=settings.paying_account_iban),
    )
