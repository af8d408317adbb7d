"""Drafting a contract: each type's rules from DOMAIN.md; given no events, when DraftContract, then..."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from contract_fixtures import CONTRACT, EMPLOYER, draft, drafted, spec

from contracts_svc.domain.contracts import Pay, PreviousContract
from contracts_svc.domain.contracts.rules import (
    ContractAlreadyExists,
    ContractRuleBroken,
    InvalidContractField,
)


@pytest.mark.parametrize("contract_type", ["cddu", "cdd", "cdi", "portage", "cae", "cape"])
def test_every_contract_type_is_drafted_when_its_rules_hold(contract_type: str) -> None:
    state = spec.given().when(draft(contract_type)).then(drafted(contract_type))
    assert state.lifecycle == "drafted"  # type: ignore[union-attr]


def test_a_contract_is_drafted_once() -> None:
    spec.given(drafted()).when(draft()).then_raises(ContractAlreadyExists)


def test_a_cddu_outside_the_d1242_1_sectors_is_refused() -> None:
    error = (
        spec.given().when(draft("cddu", sector="commerce")).then_raises(ContractRuleBroken, match="D1242-1")
    )
    assert error.rule == "cddu_sector"


def test_a_cddu_without_a_sector_is_refused() -> None:
    spec.given().when(draft("cddu", sector=None)).then_raises(ContractRuleBroken, match="D1242-1")


def test_a_cdd_needs_one_of_the_reasons_of_l1242_2() -> None:
    error = spec.given().when(draft("cdd", reason=None)).then_raises(ContractRuleBroken, match="L1242-2")
    assert error.field == "reason"
    spec.given().when(draft("cdd", reason="because")).then_raises(ContractRuleBroken, match="reasons")


def test_a_cdd_lasts_at_most_18_months() -> None:
    spec.given().when(draft("cdd", ends_on=date(2028, 5, 31))).then(drafted("cdd", ends_on=date(2028, 5, 31)))
    error = (
        spec.given().when(draft("cdd", ends_on=date(2028, 6, 1))).then_raises(ContractRuleBroken, match="18")
    )
    assert error.rule == "max_duration"


def test_a_fixed_term_contract_needs_its_end_and_a_cdi_has_none() -> None:
    spec.given().when(draft("cdd", ends_on=None)).then_raises(InvalidContractField, match="end date")
    spec.given().when(draft("cdi", ends_on=date(2027, 1, 1))).then_raises(
        InvalidContractField, match="no end"
    )
    spec.given().when(draft("cdd", ends_on=date(2026, 11, 30))).then_raises(
        InvalidContractField, match="before"
    )


def test_a_cdi_is_full_time_at_35_hours_or_part_time_below() -> None:
    part = draft("cdi", working_time="part_time", weekly_hours=Decimal(24))
    spec.given().when(part).then(drafted("cdi", working_time="part_time", weekly_hours=Decimal(24)))
    spec.given().when(draft("cdi", weekly_hours=Decimal(30))).then_raises(InvalidContractField, match="35")
    spec.given().when(draft("cdi", working_time="part_time", weekly_hours=Decimal(35))).then_raises(
        InvalidContractField, match="under 35"
    )


def test_a_ported_employee_is_paid_at_least_the_minimum_of_their_level() -> None:
    below = Pay(basis="monthly", amount_cents=280349)
    error = spec.given().when(draft("portage", pay=below)).then_raises(ContractRuleBroken, match="280350")
    assert error.rule == "portage_minimum_pay"
    senior = draft("portage", portage_level="senior", pay=Pay(basis="monthly", amount_cents=300374))
    spec.given().when(senior).then_raises(ContractRuleBroken, match="300375")
    days = draft("portage", portage_level="forfait_jours", pay=Pay(basis="monthly", amount_cents=340425))
    spec.given().when(days).then(
        drafted("portage", portage_level="forfait_jours", pay=Pay(basis="monthly", amount_cents=340425))
    )


def test_the_portage_minimum_is_pro_rated_for_part_time() -> None:
    half = {"working_time": "part_time", "weekly_hours": Decimal("17.5")}
    spec.given().when(draft("portage", pay=Pay(basis="monthly", amount_cents=140175), **half)).then(
        drafted("portage", pay=Pay(basis="monthly", amount_cents=140175), **half)
    )
    spec.given().when(draft("portage", pay=Pay(basis="monthly", amount_cents=140174), **half)).then_raises(
        ContractRuleBroken, match="140175"
    )


def test_a_portage_assignment_lasts_at_most_36_months() -> None:
    error = spec.given().when(draft("portage", ends_on=date(2029, 12, 1))).then_raises(ContractRuleBroken)
    assert error.rule == "max_duration"


def test_portage_is_forbidden_for_services_a_la_personne() -> None:
    error = (
        spec.given()
        .when(draft("portage", sector="services_a_la_personne"))
        .then_raises(ContractRuleBroken, match="services_a_la_personne")
    )
    assert error.rule == "sector_forbidden"


def test_portage_is_offered_by_the_portage_cooperative_only() -> None:
    error = (
        spec.given().when(draft("portage", tenant="smartfr")).then_raises(ContractRuleBroken, match="portage")
    )
    assert error.rule == "contract_type_not_offered"


def test_cape_and_entrepreneur_salarie_contracts_are_a_cae_s() -> None:
    spec.given().when(draft("cape", tenant="smartfr")).then_raises(ContractRuleBroken, match="cae")
    spec.given().when(draft("cae", tenant="coop-portage")).then_raises(ContractRuleBroken, match="cae")


def test_an_entrepreneur_salarie_is_to_be_an_associate_within_3_years() -> None:
    assert drafted("cae").associate_by == date(2029, 12, 1)


def test_a_cape_lasts_at_most_12_months_and_pays_no_salary() -> None:
    error = spec.given().when(draft("cape", ends_on=date(2027, 12, 1))).then_raises(ContractRuleBroken)
    assert error.rule == "max_duration"
    paid = draft("cape", pay=Pay(basis="monthly", amount_cents=100000))
    spec.given().when(paid).then_raises(ContractRuleBroken, match="no salary")


def test_an_employment_contract_pays_a_positive_gross() -> None:
    spec.given().when(draft("cdi", pay=Pay(basis="none", amount_cents=0))).then_raises(InvalidContractField)


def test_a_new_cdd_on_the_same_post_waits_a_third_of_the_previous_duration() -> None:
    # The previous CDD ran 30 days (1-30 Oct): 10 days of waiting, so 10 Nov at the earliest.
    previous = PreviousContract(CONTRACT, "cdd", date(2026, 10, 1), date(2026, 10, 30))
    on_the_day = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
    spec.given().when(draft("cdd", previous_on_post=previous, starts_at=on_the_day)).then(
        drafted("cdd", starts_at=on_the_day)
    )
    early = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)
    error = (
        spec.given()
        .when(draft("cdd", previous_on_post=previous, starts_at=early))
        .then_raises(ContractRuleBroken, match="2026-11-10")
    )
    assert error.rule == "waiting_period"


def test_the_waiting_period_is_half_after_a_cdd_under_14_days() -> None:
    previous = PreviousContract(CONTRACT, "cdd", date(2026, 11, 1), date(2026, 11, 10))  # 10 days: wait 5
    early = datetime(2026, 11, 15, 8, 0, tzinfo=UTC)
    spec.given().when(draft("cdd", previous_on_post=previous, starts_at=early)).then_raises(
        ContractRuleBroken, match="2026-11-16"
    )


def test_a_replacement_cdd_and_a_cddu_do_not_wait() -> None:
    previous = PreviousContract(CONTRACT, "cdd", date(2026, 11, 1), date(2026, 11, 28))
    spec.given().when(draft("cdd", reason="replacement", previous_on_post=previous)).then(
        drafted("cdd", reason="replacement")
    )
    spec.given().when(draft("cddu", previous_on_post=previous)).then(drafted("cddu"))


def test_the_employer_s_identifiers_are_checked() -> None:
    bad_siret = EMPLOYER.model_copy(update={"siret": "73282932000075"})
    error = spec.given().when(draft(employer=bad_siret)).then_raises(InvalidContractField, match="SIRET")
    assert error.field == "employer.siret"
    bad_ape = EMPLOYER.model_copy(update={"ape_code": "9001"})
    spec.given().when(draft(employer=bad_ape)).then_raises(InvalidContractField, match="APE")


def test_the_hiring_hour_carries_its_time_zone() -> None:
    naive = datetime(2026, 12, 1, 9, 0)
    spec.given().when(draft(starts_at=naive)).then_raises(InvalidContractField, match="time zone")
