"""The contract pay record (given / when / then): one payslip per contract and month, the end-of-contract
indemnities on the last one over the whole contract's pay, work reported late paid on the next payslip."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from payroll_svc.domain.contract_pay import (
    EVENT_TYPES,
    CloseMonth,
    CompleteContract,
    ContractPayEvent,
    PayCorrected,
    PayMismatch,
    PayPeriodClosed,
    PayTerms,
    RecordCorrection,
    RecordWork,
    WorkAfterCompletion,
    WorkRecorded,
    contract_pay_decider,
    earliest_unpaid,
    payslip_id_of,
)
from payroll_svc.domain.contract_pay.pay_input import EmployerTerms, pay_input
from payroll_svc.domain.payroll import HeadcountBand, compute_payslip
from services.decider import EventCodec
from services.testkit.spec import Spec

spec = Spec(contract_pay_decider, codec=EventCodec[ContractPayEvent](EVENT_TYPES))
CONTRACT = UUID("0192a5e0-0000-7000-8000-0000000000c1")
MEMBER = UUID("0192a5e0-0000-7000-8000-0000000000b1")
EMPLOYER = UUID("0192a5e0-0000-7000-8000-0000000000e1")
NOW = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
CDDU = PayTerms(
    contract_type="cddu",
    status="non_cadre",
    pay_basis="hourly",
    monthly_gross_cents=None,
    weekly_hours=Decimal(35),
    employer_is_association=False,
)
TERMS = EmployerTerms(headcount=HeadcountBand.FROM_50, accident_at_work_rate=Decimal("0.007"))


def report(n: int, start: date, end: date, minutes: int, rate_cents: int = 1500) -> RecordWork:
    return RecordWork(
        contract_id=CONTRACT,
        member_id=MEMBER,
        employer_id=EMPLOYER,
        report_id=UUID(int=n),
        terms=CDDU,
        minutes=minutes,
        gross_cents=minutes * rate_cents // 60,
        period_start=start,
        period_end=end,
        now=NOW,
    )


def recorded(command: RecordWork) -> WorkRecorded:
    [event] = contract_pay_decider.decide(command, contract_pay_decider.initial_state)
    assert isinstance(event, WorkRecorded)
    return event


JANUARY = report(1, date(2027, 1, 11), date(2027, 1, 15), 35 * 60)  # 525.00 €
FEBRUARY = report(2, date(2027, 2, 1), date(2027, 2, 3), 21 * 60)  # 315.00 €


def completion(minutes: int, gross_cents: int, end: date = date(2027, 2, 5)) -> CompleteContract:
    return CompleteContract(
        contract_id=CONTRACT,
        member_id=MEMBER,
        employer_id=EMPLOYER,
        terms=CDDU,
        minutes=minutes,
        gross_cents=gross_cents,
        period_start=date(2027, 1, 11),
        period_end=end,
        last_day_worked=min(end, date(2027, 2, 3)),
        now=NOW,
    )


def closed(month: date, works: list[RecordWork], **fields: object) -> PayPeriodClosed:
    minutes = sum(w.minutes for w in works)
    base: dict[str, object] = {
        "contract_id": CONTRACT,
        "member_id": MEMBER,
        "employer_id": EMPLOYER,
        "payslip_id": payslip_id_of(CONTRACT, month),
        "period": month,
        "terms": CDDU,
        "report_ids": tuple(w.report_id for w in works),
        "minutes": minutes,
        "hours_paid": Decimal(minutes) / 60,
        "pay_cents": sum(w.gross_cents or 0 for w in works),
        "first_day": date(2027, 1, 11) if month.month == 1 else month,
        "last_day": date(2027, 1, 31) if month.month == 1 else date(2027, 2, 28),
        "last_day_worked": max(w.period_end for w in works) if works else date(2027, 2, 3),
        "final": False,
        "earlier_pay_cents": 0,
        "closed_at": NOW,
    }
    return PayPeriodClosed.model_validate({**base, **fields})


def test_reported_work_is_recorded_once_under_the_month_of_its_last_day() -> None:
    state = spec.given().when(JANUARY).then(recorded(JANUARY))
    assert earliest_unpaid(state) == date(2027, 1, 1)
    spec.given(recorded(JANUARY)).when(JANUARY).then()  # the same report again: nothing new


def test_closing_a_month_pays_its_work_on_that_months_payslip_and_leaves_the_next_months() -> None:
    state = (
        spec.given(recorded(JANUARY), recorded(FEBRUARY))
        .when(CloseMonth(date(2027, 1, 1), NOW))
        .then(closed(date(2027, 1, 1), [JANUARY]))
    )
    assert earliest_unpaid(state) == date(2027, 2, 1)
    spec.given(recorded(JANUARY), closed(date(2027, 1, 1), [JANUARY])).when(
        CloseMonth(date(2027, 1, 1), NOW)
    ).then()  # closed twice: nothing more


def test_a_skipped_close_gives_one_payslip_per_month_not_one_for_both() -> None:
    spec.given(recorded(JANUARY), recorded(FEBRUARY)).when(CloseMonth(date(2027, 2, 1), NOW)).then(
        closed(date(2027, 1, 1), [JANUARY]),
        closed(date(2027, 2, 1), [FEBRUARY], first_day=date(2027, 2, 1)),
    )


def test_work_reported_after_its_month_was_closed_is_back_pay_on_the_next_payslip() -> None:
    late = report(3, date(2027, 1, 20), date(2027, 1, 20), 7 * 60)
    history = (recorded(JANUARY), closed(date(2027, 1, 1), [JANUARY]), recorded(late), recorded(FEBRUARY))
    back_pay = closed(date(2027, 2, 1), [late, FEBRUARY], last_day_worked=date(2027, 2, 3))
    spec.given(*history).when(CloseMonth(date(2027, 2, 1), NOW)).then(back_pay)


def test_the_completion_pays_the_last_month_with_the_indemnities_on_the_whole_contracts_pay() -> None:
    total_minutes, total_gross = JANUARY.minutes + FEBRUARY.minutes, 52500 + 31500
    state = (
        spec.given(recorded(JANUARY), closed(date(2027, 1, 1), [JANUARY]), recorded(FEBRUARY))
        .when(completion(total_minutes, total_gross))
        .then(
            closed(
                date(2027, 2, 1),
                [FEBRUARY],
                last_day=date(2027, 2, 5),
                final=True,
                earlier_pay_cents=52500,
            )
        )
    )
    assert state.completed
    assert earliest_unpaid(state) is None
    last = closed(
        date(2027, 2, 1), [FEBRUARY], last_day=date(2027, 2, 5), final=True, earlier_pay_cents=52500
    )
    payslip = compute_payslip(pay_input(last, TERMS, 0))
    # February's 315.00 € and the CDDU's 10 % paid-leave pay on 525.00 + 315.00 €.
    assert [(e.code, e.amount_cents) for e in payslip.earnings] == [("salaire_base", 31500), ("iccp", 8400)]


def test_a_completion_without_any_close_still_gives_one_payslip_per_month() -> None:
    spec.given(recorded(JANUARY), recorded(FEBRUARY)).when(completion(56 * 60, 84000)).then(
        closed(date(2027, 1, 1), [JANUARY]),
        closed(
            date(2027, 2, 1),
            [FEBRUARY],
            last_day=date(2027, 2, 5),
            final=True,
            earlier_pay_cents=52500,
        ),
    )


def indemnities_alone(earlier_pay_cents: int) -> PayPeriodClosed:
    """The last period of a contract ended on 2 February without work that month."""
    return closed(
        date(2027, 2, 1),
        [],
        minutes=0,
        hours_paid=Decimal(0),
        pay_cents=0,
        last_day=date(2027, 2, 2),
        last_day_worked=date(2027, 2, 2),
        final=True,
        earlier_pay_cents=earlier_pay_cents,
    )


def test_a_completion_whose_last_month_has_no_work_pays_the_indemnities_alone() -> None:
    spec.given(recorded(JANUARY), closed(date(2027, 1, 1), [JANUARY])).when(
        completion(JANUARY.minutes, 52500, end=date(2027, 2, 2))
    ).then(indemnities_alone(earlier_pay_cents=52500))
    only_iccp = closed(
        date(2027, 2, 1), [], minutes=0, hours_paid=0, pay_cents=0, last_day=date(2027, 2, 2), final=True
    ).model_copy(update={"earlier_pay_cents": 52500})
    assert compute_payslip(pay_input(only_iccp, TERMS, 0)).gross_cents == 5250


def test_a_completion_below_what_was_paid_is_refused() -> None:
    spec.given(recorded(JANUARY), closed(date(2027, 1, 1), [JANUARY])).when(completion(60, 1500)).then_raises(
        PayMismatch, match="below the work already paid"
    )


def test_work_after_the_last_payslip_is_refused_and_a_second_completion_changes_nothing() -> None:
    done = closed(date(2027, 1, 1), [JANUARY], final=True)
    spec.given(recorded(JANUARY), done).when(FEBRUARY).then_raises(WorkAfterCompletion)
    spec.given(recorded(JANUARY), done).when(completion(JANUARY.minutes, 52500)).then()


def test_a_second_payslip_of_the_same_month_has_its_own_id() -> None:
    more = report(4, date(2027, 1, 25), date(2027, 1, 25), 60)
    [second] = contract_pay_decider.decide(
        CloseMonth(date(2027, 1, 1), NOW),
        contract_pay_decider.fold([recorded(JANUARY), closed(date(2027, 1, 1), [JANUARY]), recorded(more)]),
    )
    assert isinstance(second, PayPeriodClosed)
    assert (
        second.payslip_id
        == payslip_id_of(CONTRACT, date(2027, 1, 1), 2)
        != payslip_id_of(CONTRACT, date(2027, 1, 1))
    )


def test_the_ceiling_other_payslips_of_the_month_used_is_not_available_again() -> None:
    january = closed(date(2027, 1, 1), [JANUARY])  # 11 to 31 January: 21 calendar days
    assert compute_payslip(pay_input(january, TERMS, 0)).ceiling_cents == 400500 * 21 // 30
    assert compute_payslip(pay_input(january, TERMS, 300000)).ceiling_cents == 400500 - 300000
    assert compute_payslip(pay_input(january, TERMS, 500000)).ceiling_cents == 0  # the PMSS is used up


# ---- corrections: the indemnities are on the contract's pay as corrected (ADR 025) -------------------------

CORRECTION_ID = UUID("0192a5e0-0000-7000-8000-0000000000d1")


def correction_of_january(difference: int) -> RecordCorrection:
    return RecordCorrection(
        CONTRACT, payslip_id_of(CONTRACT, date(2027, 1, 1)), CORRECTION_ID, difference, NOW
    )


def january_corrected(difference: int) -> PayCorrected:
    return PayCorrected(
        contract_id=CONTRACT,
        payslip_id=payslip_id_of(CONTRACT, date(2027, 1, 1)),
        correction_id=CORRECTION_ID,
        pay_difference_cents=difference,
        corrected_at=NOW,
    )


def test_a_payslips_correction_is_recorded_with_its_difference_of_pay_and_one_without_is_not() -> None:
    history = (recorded(JANUARY), closed(date(2027, 1, 1), [JANUARY]))
    state = spec.given(*history).when(correction_of_january(3000)).then(january_corrected(3000))
    assert (state.paid_pay_cents, state.corrected_pay_cents, state.completed) == (52500, 3000, False)
    spec.given(*history).when(correction_of_january(0)).then()  # the hours or a rate: no pay changed
    spec.given().when(correction_of_january(3000)).then()  # no pay record: nothing to tell


def test_a_correction_before_the_end_counts_in_the_last_payslips_indemnities_not_in_its_pay() -> None:
    total_minutes, total_gross = JANUARY.minutes + FEBRUARY.minutes, 52500 + 31500  # the reports' totals
    raised = (recorded(JANUARY), closed(date(2027, 1, 1), [JANUARY]), january_corrected(3000))
    last = closed(
        date(2027, 2, 1), [FEBRUARY], last_day=date(2027, 2, 5), final=True, earlier_pay_cents=52500 + 3000
    )

    spec.given(*raised, recorded(FEBRUARY)).when(completion(total_minutes, total_gross)).then(last)

    payslip = compute_payslip(pay_input(last, TERMS, 0))
    # February's 315.00 € as reported, and the 10 % paid-leave pay on 555.00 (January corrected) + 315.00 €.
    assert [(e.code, e.amount_cents) for e in payslip.earnings] == [("salaire_base", 31500), ("iccp", 8700)]


def test_a_cut_before_the_end_lowers_the_indemnities_and_one_after_the_end_is_recorded() -> None:
    cut = (recorded(JANUARY), closed(date(2027, 1, 1), [JANUARY]), january_corrected(-2500))
    spec.given(*cut).when(completion(JANUARY.minutes, 52500, end=date(2027, 2, 2))).then(
        indemnities_alone(earlier_pay_cents=50000)
    )
    ended = (recorded(JANUARY), closed(date(2027, 1, 1), [JANUARY], final=True))
    state = spec.given(*ended).when(correction_of_january(3000)).then(january_corrected(3000))
    assert state.completed  # the correction carries its own indemnities (payslips.correction.corrected)
