"""From draft to completion: the DPAE window, signing, renewals, amendments, completion and cancellation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4, uuid5

import pytest
from contract_fixtures import CDDU_TERMS, CONTRACT, NOW, STARTS, declared, drafted, parties, signed, spec

from contracts_svc.domain.contracts import (
    AmendContract,
    CancelContract,
    CompleteContract,
    ContractAmended,
    ContractCancelled,
    ContractCompleted,
    ContractRenewed,
    FlagLateHireDeclaration,
    HireDeclarationRefused,
    LateHireDeclarationFlagged,
    Pay,
    RecordHireDeclaration,
    RenewContract,
    ReportWork,
    SignContract,
    WorkPeriod,
    WorkReported,
)
from contracts_svc.domain.contracts.hire_declaration import (
    Acknowledged,
    EmployeeIdentity,
    Refused,
    check_identity,
    declarable,
    payload_of,
)
from contracts_svc.domain.contracts.rules import (
    ContractRuleBroken,
    HireDeclarationLate,
    HireDeclarationTooEarly,
    InvalidContractField,
    LifecycleRefused,
    UnknownContract,
)

ACK = Acknowledged("DPAE-0001", NOW)
DECLARED = declared()
SIGNED_AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
SIGNED = signed(SIGNED_AT)
AFTER = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
AMENDMENT = UUID("0197a3c2-5b1e-7c3d-9a4f-2e6b8d1c0a01")
REPORT = UUID("0197a3c2-5b1e-7c3d-9a4f-2e6b8d1c0a02")
IDENTITY = EmployeeIdentity(
    last_name="Garnier",
    first_names="Léa Marie",
    sex="F",
    birth_date=date(1995, 10, 3),
    birth_place="Paris",
    birth_department="75",
    nir="295107512611162",
)


def work(day: int, start_hour: int, hours: int) -> WorkPeriod:
    starts = datetime(2026, 12, day, start_hour, 0, tzinfo=UTC)
    return WorkPeriod(starts_at=starts, ends_at=starts + timedelta(hours=hours))


# The DPAE: at the earliest 8 days before, before the hiring hour; acknowledged or refused by URSSAF.


def test_an_acknowledged_dpae_declares_the_hire_and_keeps_only_the_acknowledgement() -> None:
    state = spec.given(drafted()).when(RecordHireDeclaration(CONTRACT, ACK, NOW)).then(DECLARED)
    assert state.lifecycle == "hire_declared"  # type: ignore[union-attr]
    assert state.acknowledgement_id == "DPAE-0001"  # type: ignore[union-attr]


def test_a_refused_dpae_leaves_the_draft_to_be_declared_again() -> None:
    refused = HireDeclarationRefused(contract_id=CONTRACT, reason="SIRET inconnu", refused_at=NOW)
    spec.given(drafted()).when(RecordHireDeclaration(CONTRACT, Refused("SIRET inconnu"), NOW)).then(refused)
    spec.given(drafted(), refused).when(RecordHireDeclaration(CONTRACT, ACK, NOW)).then(DECLARED)


def test_a_dpae_more_than_8_days_before_the_hiring_hour_is_refused() -> None:
    early = STARTS - timedelta(days=8, seconds=1)
    spec.given(drafted()).when(RecordHireDeclaration(CONTRACT, ACK, early)).then_raises(
        HireDeclarationTooEarly, match="8 days"
    )
    on_time = STARTS - timedelta(days=8)
    spec.given(drafted()).when(RecordHireDeclaration(CONTRACT, ACK, on_time)).then(declared(on_time))


def test_a_dpae_at_the_hiring_hour_is_late_refused_and_flagged() -> None:
    state = drafted()
    folded = spec.decider.fold([state])
    assert declarable(folded, CONTRACT, STARTS - timedelta(seconds=1)) == "on_time"
    assert declarable(folded, CONTRACT, STARTS) == "late"
    spec.given(state).when(RecordHireDeclaration(CONTRACT, ACK, STARTS)).then_raises(
        HireDeclarationLate, match="before the hiring hour"
    )
    flagged = (
        spec.given(state)
        .when(FlagLateHireDeclaration(CONTRACT, STARTS))
        .then(LateHireDeclarationFlagged(contract_id=CONTRACT, attempted_at=STARTS, starts_at=STARTS))
    )
    assert flagged.late_declaration_flagged  # type: ignore[union-attr]


def test_a_hire_is_declared_once_and_a_cape_never() -> None:
    spec.given(drafted(), DECLARED).when(RecordHireDeclaration(CONTRACT, ACK, NOW)).then_raises(
        LifecycleRefused, match="hire_declared"
    )
    spec.given(drafted("cape")).when(RecordHireDeclaration(CONTRACT, ACK, NOW)).then_raises(
        LifecycleRefused, match="no DPAE"
    )
    spec.given().when(RecordHireDeclaration(CONTRACT, ACK, NOW)).then_raises(UnknownContract)


def test_the_dpae_payload_has_every_field_r1221_1_requires() -> None:
    contract = spec.decider.fold([drafted()])
    payload = payload_of(contract, IDENTITY)  # type: ignore[arg-type]
    assert (payload.employer_siret, payload.employer_ape_code) == ("73282932000074", "90.01Z")
    assert payload.employer_address == "12 rue des Arts, 75011 Paris"
    assert payload.occupational_health_service == "CMB Paris"
    assert (payload.employee_last_name, payload.employee_sex, payload.employee_nir) == (
        "Garnier",
        "F",
        "295107512611162",
    )
    assert (payload.hiring_date, payload.hiring_time) == (date(2026, 12, 1), "09:00")  # Paris time
    assert (payload.contract_type, payload.contract_end_date) == ("CDD", date(2026, 12, 5))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"nir": "295107512611163"}, "not a valid NIR"),
        ({"sex": "M"}, "sex"),
        ({"birth_date": date(1996, 10, 3)}, "birth year"),
        ({"birth_date": date(1995, 11, 3)}, "birth month"),
        ({"last_name": " "}, "blank"),
    ],
)
def test_the_employee_identity_is_checked_before_it_is_sent(change: dict[str, object], message: str) -> None:
    from dataclasses import replace

    with pytest.raises(InvalidContractField, match=message):
        check_identity(replace(IDENTITY, **change))  # type: ignore[arg-type]


# Signing


def test_a_contract_cannot_be_signed_without_its_dpae_acknowledgement() -> None:
    spec.given(drafted()).when(SignContract(CONTRACT, SIGNED_AT)).then_raises(LifecycleRefused, match="DPAE")
    spec.given(drafted(), DECLARED).when(SignContract(CONTRACT, SIGNED_AT)).then(SIGNED)


def test_a_cape_is_signed_without_dpae() -> None:
    spec.given(drafted("cape")).when(SignContract(CONTRACT, SIGNED_AT)).then(signed(SIGNED_AT, "cape"))


def test_a_cdd_signed_after_2_working_days_from_the_hire_is_marked_late() -> None:
    # Hire on Tuesday 1 Dec: due by Thursday 3 Dec (working days, Sunday and holidays excluded).
    on_time = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)
    late = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    spec.given(drafted(), DECLARED).when(SignContract(CONTRACT, on_time)).then(signed(on_time))
    spec.given(drafted(), DECLARED).when(SignContract(CONTRACT, late)).then(signed(late, within=False))


def test_signing_twice_is_refused() -> None:
    spec.given(drafted(), DECLARED, SIGNED).when(SignContract(CONTRACT, SIGNED_AT)).then_raises(
        LifecycleRefused
    )


# Reported work


def test_work_is_reported_in_days_and_hours_on_a_signed_contract() -> None:
    periods = (work(1, 8, 7), work(2, 8, 7))
    state = (
        spec.given(drafted(), DECLARED, SIGNED)
        .when(draft_report(periods))
        .then(
            WorkReported(
                contract_id=CONTRACT,
                parties=parties(),
                terms=CDDU_TERMS,
                periods=periods,
                minutes=14 * 60,
                days=(date(2026, 12, 1), date(2026, 12, 2)),
                reported_at=AFTER,
                report_id=REPORT,
            )
        )
    )
    assert state.minutes_worked == 840  # type: ignore[union-attr]


def draft_report(periods: tuple[WorkPeriod, ...], others: tuple[WorkPeriod, ...] = ()) -> ReportWork:
    return ReportWork(CONTRACT, REPORT, periods, others, AFTER)


def test_work_is_not_reported_before_signature_nor_on_a_cape() -> None:
    spec.given(drafted(), DECLARED).when(draft_report((work(1, 8, 7),))).then_raises(
        LifecycleRefused, match="signed"
    )
    cape_signed = signed(SIGNED_AT, "cape")
    spec.given(drafted("cape"), cape_signed).when(draft_report((work(1, 8, 7),))).then_raises(
        LifecycleRefused, match="not employment"
    )


@pytest.mark.parametrize(
    ("period", "message"),
    [
        (
            WorkPeriod(
                starts_at=datetime(2026, 12, 1, 7, 0, tzinfo=UTC),
                ends_at=datetime(2026, 12, 1, 9, tzinfo=UTC),
            ),
            "before the contract",
        ),
        (work(6, 8, 2), "after the contract's end"),
        (
            WorkPeriod(
                starts_at=datetime(2026, 12, 2, 9, tzinfo=UTC), ends_at=datetime(2026, 12, 2, 8, tzinfo=UTC)
            ),
            "not after",
        ),
        (work(6, 17, 2), "future"),
    ],
)
def test_reported_work_lies_within_the_contract_and_the_past(period: WorkPeriod, message: str) -> None:
    spec.given(drafted(), DECLARED, SIGNED).when(draft_report((period,))).then_raises(
        InvalidContractField, match=message
    )


def test_the_same_work_report_sent_again_is_recorded_once() -> None:
    report = draft_report((work(2, 8, 4),))
    [reported] = spec.decider.decide(report, spec.decider.fold([drafted(), DECLARED, SIGNED]))
    assert isinstance(reported, WorkReported)
    assert reported.report_id == report.report_id
    spec.given(drafted(), DECLARED, SIGNED, reported).when(report).then()  # not refused as an overlap


def test_work_overlapping_work_already_reported_elsewhere_is_refused() -> None:
    spec.given(drafted(), DECLARED, SIGNED).when(
        draft_report((work(2, 8, 4),), others=(work(2, 10, 4),))
    ).then_raises(InvalidContractField, match="one employer at a time")


# Renewal, amendment, completion, cancellation


def renewal_id(ends_on: date) -> UUID:
    return uuid5(CONTRACT, f"renewal to {ends_on}")


def renewal(ends_on: date, now: datetime = SIGNED_AT) -> RenewContract:
    return RenewContract(CONTRACT, renewal_id(ends_on), ends_on=ends_on, reason="the tour goes on", now=now)


def renewed(previous: date, ends_on: date) -> ContractRenewed:
    return ContractRenewed(
        contract_id=CONTRACT,
        previous_ends_on=previous,
        ends_on=ends_on,
        reason="the tour goes on",
        renewed_at=SIGNED_AT,
        renewal_id=renewal_id(ends_on),
    )


def test_a_cdd_is_renewed_twice_at_most() -> None:
    cdd = drafted("cdd")
    first = renewed(date(2027, 5, 31), date(2027, 8, 31))
    second = renewed(date(2027, 8, 31), date(2027, 11, 30))
    spec.given(cdd).when(renewal(date(2027, 8, 31))).then(first)
    spec.given(cdd, first).when(renewal(date(2027, 11, 30))).then(second)
    error = spec.given(cdd, first, second).when(renewal(date(2027, 12, 31))).then_raises(ContractRuleBroken)
    assert error.rule == "max_renewals"


def test_a_renewal_keeps_the_cdd_within_18_months() -> None:
    error = (
        spec.given(drafted("cdd")).when(renewal(date(2028, 6, 1))).then_raises(ContractRuleBroken, match="18")
    )
    assert error.rule == "max_duration"


def test_a_renewal_is_agreed_before_the_term() -> None:
    after_end = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
    spec.given(drafted("cdd")).when(renewal(date(2027, 8, 31), after_end)).then_raises(
        ContractRuleBroken, match="before the term"
    )


def test_a_cape_is_renewed_by_periods_of_12_months_twice() -> None:
    cape = drafted("cape")  # 1 Dec 2026 - 30 Nov 2027
    first = renewed(date(2027, 11, 30), date(2028, 11, 30))
    spec.given(cape).when(renewal(date(2028, 11, 30))).then(first)
    spec.given(cape).when(renewal(date(2028, 12, 1))).then_raises(ContractRuleBroken, match="12 months")


def test_a_cdi_is_not_renewed() -> None:
    spec.given(drafted("cdi")).when(renewal(date(2027, 1, 1))).then_raises(
        ContractRuleBroken, match="not renewed"
    )


def test_the_same_renewal_sent_again_renews_once() -> None:
    first = renewed(date(2027, 5, 31), date(2027, 8, 31))
    spec.given(drafted("cdd"), first).when(renewal(date(2027, 8, 31))).then()  # not refused: found


def test_the_same_amendment_sent_again_is_recorded_once() -> None:
    title = AmendContract(CONTRACT, AMENDMENT, reason="new post", now=SIGNED_AT, job_title="Régisseur")
    [amended] = spec.decider.decide(title, spec.decider.fold([drafted()]))
    spec.given(drafted(), amended).when(title).then()
    other = AmendContract(CONTRACT, uuid4(), reason="new post", now=SIGNED_AT, job_title="Régisseur")
    assert spec.decider.decide(other, spec.decider.fold([drafted(), amended]))  # another one is recorded


def test_an_amendment_has_a_reason_and_keeps_the_rules() -> None:
    raise_pay = AmendContract(
        CONTRACT,
        AMENDMENT,
        reason="new collective agreement",
        now=SIGNED_AT,
        pay=Pay(basis="hourly", amount_cents=1600),
    )
    state = (
        spec.given(drafted())
        .when(raise_pay)
        .then(
            ContractAmended(
                contract_id=CONTRACT,
                reason="new collective agreement",
                job_title=None,
                weekly_hours=None,
                working_time=None,
                pay=Pay(basis="hourly", amount_cents=1600),
                amended_at=SIGNED_AT,
                amendment_id=AMENDMENT,
            )
        )
    )
    assert state.pay.amount_cents == 1600  # type: ignore[union-attr]
    no_reason = AmendContract(CONTRACT, uuid4(), reason=" ", now=SIGNED_AT, job_title="x")
    spec.given(drafted()).when(no_reason).then_raises(InvalidContractField, match="reason")
    below = AmendContract(
        CONTRACT, uuid4(), reason="cut", now=SIGNED_AT, pay=Pay(basis="monthly", amount_cents=200000)
    )
    spec.given(drafted("portage")).when(below).then_raises(ContractRuleBroken, match="portage|minimum")


def test_a_signed_contract_is_completed_after_its_last_day_worked() -> None:
    report = spec.decider.decide(
        draft_report((work(4, 8, 7),)), spec.decider.fold([drafted(), DECLARED, SIGNED])
    )
    completed = ContractCompleted(
        contract_id=CONTRACT,
        parties=parties(),
        terms=CDDU_TERMS,
        starts_on=date(2026, 12, 1),
        completed_on=date(2026, 12, 5),
        minutes_worked=7 * 60,
        days_worked=1,
        first_day_worked=date(2026, 12, 4),
        last_day_worked=date(2026, 12, 4),
        completed_at=AFTER,
    )
    spec.given(drafted(), DECLARED, SIGNED, *report).when(
        CompleteContract(CONTRACT, date(2026, 12, 5), AFTER)
    ).then(completed)
    spec.given(drafted(), DECLARED, SIGNED, *report).when(
        CompleteContract(CONTRACT, date(2026, 12, 3), AFTER)
    ).then_raises(InvalidContractField, match="last day worked")
    spec.given(drafted(), DECLARED).when(CompleteContract(CONTRACT, date(2026, 12, 5), AFTER)).then_raises(
        LifecycleRefused
    )
    spec.given(drafted(), DECLARED, SIGNED, completed).when(SignContract(CONTRACT, AFTER)).then_raises(
        LifecycleRefused, match="completed"
    )


def test_a_contract_is_cancelled_with_a_reason_until_work_is_reported() -> None:
    cancelled = ContractCancelled(
        contract_id=CONTRACT, parties=parties(), reason="the show was called off", cancelled_at=NOW
    )
    spec.given(drafted(), DECLARED, SIGNED).when(
        CancelContract(CONTRACT, "the show was called off", NOW)
    ).then(cancelled)
    spec.given(drafted()).when(CancelContract(CONTRACT, "", NOW)).then_raises(
        InvalidContractField, match="reason"
    )
    report = spec.decider.decide(
        draft_report((work(1, 8, 7),)), spec.decider.fold([drafted(), DECLARED, SIGNED])
    )
    spec.given(drafted(), DECLARED, SIGNED, *report).when(
        CancelContract(CONTRACT, "late", AFTER)
    ).then_raises(LifecycleRefused, match="not cancelled")
    spec.given(drafted(), cancelled).when(RecordHireDeclaration(CONTRACT, ACK, NOW)).then_raises(
        LifecycleRefused
    )
