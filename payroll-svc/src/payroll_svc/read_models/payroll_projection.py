"""payroll-svc's read models as an inline projection (ADR 028): rebuilt from zero by replaying its events.

The commands write `payslips`, `salary_payments`, `overpayments`, `unpaid_work` and `payment_runs` in their
own transaction, right after each append (a new payslip's PMSS ceiling is read from `payslips` in that
transaction). This projection applies the same events with the same `record_*` functions, so the two
cannot disagree; it is not run live (the runtime would apply every event a second time), only to rebuild.

`establishments` and `contract_establishments` are not reset: they are fed by contracts-svc's events
(`contracts.ContractDrafted`, through the inbox), which are not in payroll's own log and cannot be replayed
from it. A rebuild keeps them as they are.

A rebuild empties the tables before replaying: run it with the service's writers stopped (a restored copy,
or the service started without its consumer and API), as a command would read an emptied `payslips`.
"""

from __future__ import annotations

from payroll_svc.domain import contract_pay, payments, payslips
from payroll_svc.domain.contract_pay import contract_pay_decider, earliest_unpaid
from payroll_svc.domain.payments import SalaryPaymentEvent, journal
from payroll_svc.read_models.payroll_views import (
    record_payment_run,
    record_payslip,
    record_salary_event,
    record_unpaid_work,
)
from services.decider import EventCodec
from services.eventstore.store import EventStore
from services.eventstore.types import RecordedEvent
from services.log_reader import Conn
from services.replay_states import StreamStates

# The codecs the commands store payroll's events with (bootstrap) and the projection reads them back with.
PAYSLIP_CODEC: EventCodec[payslips.PayslipEvent] = EventCodec(payslips.EVENT_TYPES)
SALARY_CODEC: EventCodec[SalaryPaymentEvent] = EventCodec(payments.EVENT_TYPES)
CONTRACT_PAY_CODEC: EventCodec[contract_pay.ContractPayEvent] = EventCodec(contract_pay.EVENT_TYPES)
RUN_CODEC: EventCodec[journal.PaymentRunEvent] = EventCodec(journal.EVENT_TYPES)

# The streams of each aggregate (bootstrap.salary_stream and the domain's `stream_id`s).
PAYSLIP_STREAMS, SALARY_STREAMS = "payslip-", "salary-payment-"
PAY_RECORD_STREAMS, RUN_STREAMS = "contract-pay-", "payment-run-"


class PayrollViews:
    """Projection of payroll's own events into the tables its commands write (see the module's docstring)."""

    name = "payroll-views"

    def __init__(self, store: EventStore) -> None:
        self._pay_records = StreamStates(store, contract_pay_decider, CONTRACT_PAY_CODEC)

    async def handle(self, conn: Conn, event: RecordedEvent) -> None:
        tenant, stream = event.tenant, event.stream_id
        if stream.startswith(SALARY_STREAMS):
            await record_salary_event(conn, tenant, event.stream_version, SALARY_CODEC.decode(event))
        elif stream.startswith(PAYSLIP_STREAMS):
            issued = PAYSLIP_CODEC.decode(event)
            if isinstance(issued, payslips.PayslipIssued):  # PayslipCorrected: its correction's row says it
                await record_payslip(conn, tenant, issued)
        elif stream.startswith(PAY_RECORD_STREAMS):
            # unpaid_work is written from the pay record's state, as the command path does.
            recorded, state = await self._pay_records.after(conn, event)
            await record_unpaid_work(conn, tenant, recorded.contract_id, earliest_unpaid(state))
        elif stream.startswith(RUN_STREAMS):
            await record_payment_run(conn, tenant, [RUN_CODEC.decode(event)])

    async def reset(self, conn: Conn) -> None:
        """Empties the tables of payroll's own events; not the establishments (contracts-svc's events)."""
        self._pay_records.clear()
        await conn.execute("TRUNCATE payslips, salary_payments, overpayments, unpaid_work, payment_runs")
