"""contracts.WorkReported v1 -> RecordWork on the contract's pay record (paid on its month's payslip)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from payroll_svc.domain.contract_pay import RecordWork
from payroll_svc.integration.when_contract_completed import NO_SALARY_HERE, pay_terms
from schemas.generated.contracts.work_reported_v1 import WorkReportedV1


def record_work(event: WorkReportedV1, report_id: UUID, now: datetime) -> RecordWork | None:
    """None for a contract that pays no salary here. A report across a month's end is the later month's
    (the event gives its total, not its days): it is paid with the month of its last day."""
    if event.contract_type in NO_SALARY_HERE:
        return None
    return RecordWork(
        contract_id=event.contract_id,
        member_id=event.member_id,
        employer_id=event.employer_id,
        report_id=report_id,
        terms=pay_terms(event),
        minutes=event.minutes,
        gross_cents=event.gross_cents,
        period_start=event.period_start,
        period_end=event.period_end,
        now=now,
    )
