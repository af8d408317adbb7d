"""The payslip aggregate (given / when / then) and the public events it and the salary payments publish,
checked against their published JSON Schemas."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import jsonschema
import pytest

from payroll_svc.domain.payments import SalaryPaid, SalaryPaymentRejected, SalaryScheduled
from payroll_svc.domain.payroll import ContractType, HeadcountBand, PayInput, Status, compute_payslip
from payroll_svc.domain.payslips import (
    EVENT_TYPES,
    CorrectedPayslip,
    CorrectPayslip,
    IssuePayslip,
    NotCorrectable,
    PayslipAlreadyCorrected,
    PayslipAlreadyIssued,
    PayslipCorrected,
    PayslipEvent,
    PayslipIssued,
    UnknownPayslip,
    issued,
    payslip_decider,
)
from payroll_svc.domain.payslips.correction import (
    CorrectedInputs,
    NothingToCorrect,
    corrected,
)
from payroll_svc.integration.outbound import to_public
from services.command_loop import Decided
from services.decider import EventCodec
from services.testkit.spec import Spec

spec = Spec(payslip_decider, codec=EventCodec[PayslipEvent](EVENT_TYPES))
SCHEMAS = Path(__file__).resolve().parents[3] / "schemas" / "jsonschema" / "payroll"
NOW = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)
PAYSLIP_ID = UUID("0192a5e0-0000-7000-8000-00000000000a")
PAY = PayInput(
    period=date(2026, 12, 1),
    status=Status.NON_CADRE,
    contract_type=ContractType.CDDU,
    headcount=HeadcountBand.FROM_50,
    accident_at_work_rate=Decimal("0.007"),
    hours_paid=Decimal(35),
    gross_pay_cents=52500,
    calendar_days=5,
    ends_in_period=True,
)
ISSUE = IssuePayslip(
    payslip_id=PAYSLIP_ID,
    contract_id=UUID("0192a5e0-0000-7000-8000-0000000000c1"),
    member_id=UUID("0192a5e0-0000-7000-8000-0000000000b1"),
    employer_id=UUID("0192a5e0-0000-7000-8000-0000000000e1"),
    period=date(2026, 12, 1),
    contract_type="cddu",
    hours_paid=Decimal(35),
    last_day_worked=date(2026, 12, 5),
    payslip=compute_payslip(PAY),
    now=NOW,
)


def test_a_completed_contract_issues_its_payslip_with_every_line() -> None:
    state = spec.given().when(ISSUE).then(issued(ISSUE))
    assert isinstance(state, PayslipIssued)
    assert state.payslip() == ISSUE.payslip  # the document can be rendered again from the event alone


def test_the_same_payslip_again_is_a_no_op() -> None:
    spec.given(issued(ISSUE)).when(replace(ISSUE, now=datetime(2026, 12, 6, tzinfo=UTC))).then()


def test_other_figures_for_an_issued_payslip_are_refused_a_correction_is_a_new_payslip() -> None:
    other = replace(ISSUE, payslip=compute_payslip(replace(PAY, gross_pay_cents=60000)))
    spec.given(issued(ISSUE)).when(other).then_raises(PayslipAlreadyIssued, match="correct it")


def _published(event: Any, stream: str) -> dict[str, Any]:
    decided = Decided(event, PAYSLIP_ID, type(event).__name__, stream, 1, "t", NOW, PAYSLIP_ID, None, None)
    [envelope] = to_public([decided])
    return {"type": envelope.event_type, "data": envelope.data}


@pytest.mark.parametrize(
    ("event", "public_type"),
    [
        (issued(ISSUE), "PayslipIssued"),
        (
            SalaryScheduled(
                payslip_id=PAYSLIP_ID,
                member_id=ISSUE.member_id,
                net_cents=40000,
                last_day_worked=date(2026, 12, 5),
                due_on=date(2026, 12, 11),
                scheduled_at=NOW,
            ),
            "SalaryPaymentScheduled",
        ),
        (
            SalaryPaid(
                payslip_id=PAYSLIP_ID,
                run_id="SAL-1",
                paid_on=date(2026, 12, 11),
                on_time=True,
                recorded_at=NOW,
            ),
            "SalaryPaid",
        ),
        (
            SalaryPaymentRejected(payslip_id=PAYSLIP_ID, run_id="SAL-1", reason="AC04", recorded_at=NOW),
            "SalaryPaymentRejected",
        ),
    ],
)
def test_each_private_event_publishes_exactly_its_schema(event: Any, public_type: str) -> None:
    published = _published(event, "s")
    schema = json.loads((SCHEMAS / f"{public_type}.v1.json").read_text())

    jsonschema.validate(published["data"], schema, format_checker=jsonschema.FormatChecker())
    assert published["type"] == f"payroll.{public_type}"
    assert set(published["data"]) == set(schema["properties"])


def test_the_published_payslip_carries_its_lines_and_totals_in_cents() -> None:
    data = _published(issued(ISSUE), "s")["data"]
    payslip = ISSUE.payslip
    assert data["period"] == "2026-12"
    assert [line["code"] for line in data["lines"]] == [line.code for line in payslip.lines]
    assert (data["gross_cents"], data["net_paid_cents"], data["employer_cost_cents"]) == (
        payslip.gross_cents,
        payslip.net_paid_cents,
        payslip.employer_cost_cents,
    )


@pytest.mark.parametrize(
    ("inputs", "contract_ended"),
    [(PAY, True), (replace(PAY, ends_in_period=False), False), (None, None)],
    ids=["the contract's last payslip", "a month's payslip before its end", "issued before inputs were kept"],
)
def test_the_published_payslip_says_whether_the_contracts_work_ended_in_its_period(
    inputs: PayInput | None, contract_ended: bool | None
) -> None:
    # billing releases what is still reserved for the contract with its last payslip, not with a month's
    data = _published(issued(replace(ISSUE, pay=inputs)), "s")["data"]
    assert data["contract_ended"] is contract_ended


# ---- corrections: a new payslip names the one it corrects; the corrected one records it, once --------------

CORRECTABLE = replace(ISSUE, pay=PAY)
CORRECTION_ID = UUID("0197a3c2-5b1e-7c3d-9a4f-2e6b8d1c0b01")  # from the correction's request
CORRECT = CorrectPayslip(PAYSLIP_ID, CORRECTION_ID, "hours misreported", NOW)


def test_a_payslip_issued_with_its_inputs_round_trips_them() -> None:
    state = spec.given().when(CORRECTABLE).then(issued(CORRECTABLE))
    assert isinstance(state, PayslipIssued)
    assert state.pay == PAY


def test_correcting_a_payslip_records_its_correction_and_keeps_its_figures() -> None:
    state = (
        spec.given(issued(CORRECTABLE))
        .when(CORRECT)
        .then(
            PayslipCorrected(
                payslip_id=PAYSLIP_ID,
                correction_id=CORRECTION_ID,
                reason="hours misreported",
                corrected_at=NOW,
            )
        )
    )
    assert isinstance(state, CorrectedPayslip)
    assert state.issued == issued(CORRECTABLE)


def test_a_corrected_payslip_is_not_corrected_again_its_correction_is() -> None:
    corrected_once = PayslipCorrected(
        payslip_id=PAYSLIP_ID, correction_id=CORRECTION_ID, reason="x", corrected_at=NOW
    )
    another = replace(CORRECT, correction_id=uuid4())
    spec.given(issued(CORRECTABLE), corrected_once).when(another).then_raises(
        PayslipAlreadyCorrected, match=str(CORRECTION_ID)
    )
    spec.given(issued(CORRECTABLE), corrected_once).when(CORRECTABLE).then()  # a repeat still changes nothing


def test_the_same_correction_sent_again_corrects_nothing_more() -> None:
    corrected_once = PayslipCorrected(
        payslip_id=PAYSLIP_ID, correction_id=CORRECTION_ID, reason="hours misreported", corrected_at=NOW
    )
    spec.given(issued(CORRECTABLE), corrected_once).when(CORRECT).then()


def test_an_unknown_payslip_or_one_issued_without_its_inputs_cannot_be_corrected() -> None:
    spec.given().when(CORRECT).then_raises(UnknownPayslip)
    spec.given(issued(ISSUE)).when(CORRECT).then_raises(NotCorrectable)


def test_the_corrected_inputs_change_only_what_they_name() -> None:
    more_hours = corrected(PAY, CorrectedInputs(gross_pay_cents=60000, hours_paid=Decimal(40)))
    assert more_hours == replace(PAY, gross_pay_cents=60000, hours_paid=Decimal(40))
    with pytest.raises(NothingToCorrect):
        corrected(PAY, CorrectedInputs())


def test_a_correction_after_the_end_keeps_the_pay_the_last_payslips_indemnities_were_computed_on() -> None:
    earlier_month = replace(PAY, ends_in_period=False)  # a period before the contract's last one
    raise_ = CorrectedInputs(gross_pay_cents=55500)

    before_the_end = corrected(earlier_month, raise_)
    after_the_end = corrected(earlier_month, raise_, after_the_end=True)
    corrected_again = corrected(after_the_end, CorrectedInputs(gross_pay_cents=60000), after_the_end=True)
    the_last_one = corrected(PAY, raise_, after_the_end=True)

    assert before_the_end.indemnified_pay_cents is None  # the last payslip will count it in full
    assert after_the_end.indemnified_pay_cents == 52500  # the indemnities paid on 525.00 €: 30.00 € more
    assert corrected_again.indemnified_pay_cents == 52500  # still against what the last payslip counted
    assert the_last_one == replace(PAY, gross_pay_cents=55500)  # its indemnities recomputed in full
    earnings = {e.code: e.amount_cents for e in compute_payslip(after_the_end).earnings}
    assert earnings == {"salaire_base": 55500, "iccp": 300}


def test_a_payslip_stored_before_the_indemnified_pay_was_kept_reads_without_it() -> None:
    stored = json.loads(issued(CORRECTABLE).model_dump_json())
    del stored["pay"]["indemnified_pay_cents"]  # as the events stored before ADR 025 hold it

    assert PayslipIssued.model_validate(stored) == issued(CORRECTABLE)
