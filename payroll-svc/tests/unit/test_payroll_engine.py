"""The payroll engine against DOMAIN.md's worked examples and the official RGDU example, to the cent."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from payroll_svc.domain.payroll import (
    ContractType,
    HeadcountBand,
    Intermittent,
    InvalidPayInput,
    PayInput,
    PortageLevel,
    Status,
    compute_payslip,
    gross_for_budget,
    parameters_on,
    regularised_rgdu,
    share_the_ceiling,
)

JANUARY = date(2026, 1, 1)
FULL_MONTH = PayInput(
    period=JANUARY,
    status=Status.NON_CADRE,
    contract_type=ContractType.CDI,
    headcount=HeadcountBand.FROM_50,
    accident_at_work_rate=Decimal("0.007"),
    hours_paid=Decimal("151.67"),
    gross_pay_cents=0,
)
FIVE_DAY_CDDU = replace(
    FULL_MONTH, contract_type=ContractType.CDDU, hours_paid=Decimal(35), calendar_days=5, ends_in_period=True
)


@pytest.mark.parametrize(
    ("gross", "net_before_tax", "net_taxable", "coefficient", "employer_cost_openfisca"),
    [
        (182303, 144310, 149504, "0.4021", 186964),
        (200000, 158320, 164018, "0.3178", 221972),
        (350000, 277059, 287031, "0.0615", 478156),
    ],
)
def test_the_domain_worked_examples_are_reproduced_to_the_cent(
    gross: int, net_before_tax: int, net_taxable: int, coefficient: str, employer_cost_openfisca: int
) -> None:
    payslip = compute_payslip(replace(FULL_MONTH, gross_pay_cents=gross))

    assert payslip.gross_cents == gross
    assert payslip.net_before_tax_cents == net_before_tax
    assert payslip.net_taxable_cents == net_taxable
    assert payslip.rgdu_coefficient == Decimal(coefficient)
    # DOMAIN.md's employer costs use AGS 0.20 % (openfisca); at 0.25 % they are higher by 0.05 % of the gross.
    assert payslip.employer_cost_cents == employer_cost_openfisca + round(gross * Decimal("0.0005"))


def test_the_official_rgdu_example_gives_0_0615_on_3500_euros() -> None:
    payslip = compute_payslip(replace(FULL_MONTH, gross_pay_cents=350000))

    assert payslip.rgdu_coefficient == Decimal("0.0615")
    assert payslip.rgdu_cents == 21525  # 0.0615 x 3,500.00


def test_the_rgdu_stops_at_three_smic_and_is_capped_below_the_smic() -> None:
    at_three_smic = compute_payslip(replace(FULL_MONTH, gross_pay_cents=547000))
    below_smic = compute_payslip(replace(FULL_MONTH, gross_pay_cents=150000))
    small_employer = compute_payslip(
        replace(FULL_MONTH, gross_pay_cents=150000, headcount=HeadcountBand.UNDER_11)
    )

    assert at_three_smic.rgdu_coefficient == 0
    assert all(line.code != "rgdu" for line in at_three_smic.lines)
    assert below_smic.rgdu_coefficient == Decimal("0.4021")
    assert small_employer.rgdu_coefficient == Decimal("0.3981")


def test_the_rgdu_smic_is_pro_rated_to_the_hours_paid() -> None:
    half_time = compute_payslip(replace(FULL_MONTH, gross_pay_cents=100000, hours_paid=Decimal("75.83")))
    full_time = compute_payslip(replace(FULL_MONTH, gross_pay_cents=100000))

    assert half_time.smic_cents == 91148  # 12.02 x 75.83 = 911.4766
    assert half_time.rgdu_coefficient < full_time.rgdu_coefficient


def test_the_domain_budget_example_900_euros_for_a_five_day_cddu_gives_675_85() -> None:
    solution = gross_for_budget(FIVE_DAY_CDDU, 90000)

    assert solution.payslip.gross_cents == 67585
    assert solution.payslip.employer_cost_cents <= 90000
    assert [earning.code for earning in solution.payslip.earnings] == ["salaire_base", "iccp"]
    assert solution.payslip.earnings[1].amount_cents == round(solution.gross_pay_cents / 10)
    assert 53350 <= solution.payslip.net_before_tax_cents <= 53450  # "a net of about 534 €"


def test_a_budget_reached_exactly_has_nothing_unspent_and_otherwise_the_next_cent_costs_too_much() -> None:
    for budget in range(90000, 90010):
        solution = gross_for_budget(FIVE_DAY_CDDU, budget)
        above = compute_payslip(replace(FIVE_DAY_CDDU, gross_pay_cents=solution.gross_pay_cents + 1))

        assert solution.payslip.employer_cost_cents + solution.unspent_cents == budget
        assert solution.unspent_cents >= 0
        assert above.employer_cost_cents > budget


def test_an_incomplete_month_has_a_pro_rated_ceiling_and_other_contracts_share_the_pmss() -> None:
    five_days = compute_payslip(replace(FIVE_DAY_CDDU, gross_pay_cents=61441))
    sharing = compute_payslip(
        replace(FULL_MONTH, gross_pay_cents=300000, ceiling_used_elsewhere_cents=300000)
    )

    assert five_days.ceiling_cents == 66750  # 4,005 x 5 / 30
    assert sharing.ceiling_cents == 100500  # what the other contracts left of the PMSS
    tranche_2 = next(line for line in sharing.lines if line.code == "agirc_arrco_t2")
    assert tranche_2.base_cents == 300000 - 100500


def test_part_time_scales_the_ceiling_by_the_working_time_ratio() -> None:
    payslip = compute_payslip(replace(FULL_MONTH, gross_pay_cents=250000, working_time_ratio=Decimal("0.5")))

    assert payslip.ceiling_cents == 200250
    assert any(line.code == "cet" for line in payslip.lines)  # the gross is above the part-time ceiling


def test_a_cdd_ending_pays_precarite_then_iccp_on_both_and_the_cpf_cdd() -> None:
    payslip = compute_payslip(
        replace(FULL_MONTH, contract_type=ContractType.CDD, gross_pay_cents=100000, ends_in_period=True)
    )

    assert [(earning.code, earning.amount_cents) for earning in payslip.earnings] == [
        ("salaire_base", 100000),
        ("indemnite_precarite", 10000),
        ("iccp", 11000),
    ]
    assert payslip.gross_cents == 121000
    assert next(line for line in payslip.lines if line.code == "cpf_cdd").employer_cents == 1210


def test_a_correction_after_the_end_carries_the_indemnities_on_its_difference_of_pay() -> None:
    # A CDD's earlier month, paid 1,000.00 € when its last payslip paid the indemnities, corrected after it.
    corrected_month = replace(FULL_MONTH, contract_type=ContractType.CDD, indemnified_pay_cents=100000)

    raised = compute_payslip(replace(corrected_month, gross_pay_cents=110000))
    cut = compute_payslip(replace(corrected_month, gross_pay_cents=90000))
    cddu = compute_payslip(replace(corrected_month, contract_type=ContractType.CDDU, gross_pay_cents=110000))
    same_pay = compute_payslip(replace(corrected_month, gross_pay_cents=100000))

    assert [(earning.label, earning.amount_cents) for earning in raised.earnings] == [
        ("Salaire de base", 110000),
        ("Indemnité de fin de contrat (précarité) (régularisation)", 1000),  # 10 % of the 100.00 € raise
        ("Indemnité compensatrice de congés payés (régularisation)", 1100),  # 10 % of 100.00 + 10.00 €
    ]
    assert raised.gross_cents == 112100
    assert [(earning.code, earning.amount_cents) for earning in cut.earnings] == [
        ("salaire_base", 90000),
        ("indemnite_precarite", -1000),  # a cut takes back the indemnities paid on what it removes
        ("iccp", -1100),
    ]
    assert [(earning.code, earning.amount_cents) for earning in cddu.earnings] == [
        ("salaire_base", 110000),
        ("iccp", 1000),
    ]
    assert [earning.code for earning in same_pay.earnings] == ["salaire_base"]  # the hours, say: none due
    with pytest.raises(InvalidPayInput, match="indemnified_pay"):  # the last payslip recomputes them all
        compute_payslip(replace(corrected_month, gross_pay_cents=110000, ends_in_period=True))


def test_a_cadre_has_apec_and_employer_prevoyance_in_the_csg_base_with_the_forfait_social() -> None:
    payslip = compute_payslip(replace(FULL_MONTH, status=Status.CADRE, gross_pay_cents=500000))
    lines = {line.code: line for line in payslip.lines}

    prevoyance = lines["prevoyance_cadres"].employer_cents
    assert prevoyance == 6008  # 1.50 % x 4,005.00, rounded half-even
    assert lines["forfait_social_prevoyance"].employer_cents == 481  # 8 % x 60.08
    assert lines["csg_deductible"].base_cents == round(Decimal("0.9825") * 500000) + prevoyance
    assert lines["apec"].employee_cents == 120


def test_lines_follow_the_headcount_band() -> None:
    small = compute_payslip(replace(FULL_MONTH, gross_pay_cents=200000, headcount=HeadcountBand.UNDER_11))
    codes = {line.code: line for line in small.lines}

    assert codes["fnal"].employer_rate == Decimal("0.001")
    assert codes["formation_apprentissage"].employer_rate == Decimal("0.0123")
    assert "peec" not in codes


def test_withholding_at_the_given_rate_or_the_neutral_grid() -> None:
    given = compute_payslip(replace(FULL_MONTH, gross_pay_cents=200000, withholding_rate=Decimal("0.05")))
    neutral = compute_payslip(replace(FULL_MONTH, gross_pay_cents=200000))
    smic = compute_payslip(replace(FULL_MONTH, gross_pay_cents=182303))

    assert given.withholding_cents == 8201  # 5 % x 1,640.18
    assert neutral.withholding_rate == Decimal("0.005")  # 1,640.18 is in the 1,620-1,683 bracket
    assert neutral.withholding_cents == 820
    assert neutral.net_paid_cents == neutral.net_before_tax_cents - 820
    assert smic.withholding_rate == 0  # 1,495.04 is below 1,620


def test_an_artist_intermittent_pays_social_security_at_70_percent_and_congés_spectacles_replaces_iccp() -> (
    None
):
    artist = replace(
        FIVE_DAY_CDDU,
        gross_pay_cents=100000,
        intermittent=Intermittent.ANNEX_10,
        employer_is_association=True,
    )
    payslip = compute_payslip(artist)
    lines = {line.code: line for line in payslip.lines}

    assert [earning.code for earning in payslip.earnings] == ["salaire_base"]
    assert lines["maladie"].employer_rate == Decimal("0.13") * Decimal("0.70")
    assert lines["conges_spectacles"].employer_cents == 15500
    assert lines["chomage_intermittents"].employee_cents == 2400
    assert "chomage" not in lines


def test_an_intermittent_needs_an_association_employer() -> None:
    with pytest.raises(InvalidPayInput) as refused:
        compute_payslip(replace(FIVE_DAY_CDDU, gross_pay_cents=100000, intermittent=Intermittent.ANNEX_8))

    assert refused.value.field == "intermittent"


def test_portage_below_the_minimum_pay_is_refused() -> None:
    portage = replace(FULL_MONTH, contract_type=ContractType.PORTAGE, portage_level=PortageLevel.JUNIOR)

    with pytest.raises(InvalidPayInput) as refused:
        compute_payslip(replace(portage, gross_pay_cents=280349))
    assert refused.value.field == "gross"
    assert compute_payslip(replace(portage, gross_pay_cents=280350)).gross_cents == 280350
    assert gross_for_budget(portage, 500000).gross_pay_cents >= 280350


def test_every_line_has_its_source_in_the_tables() -> None:
    parameters = parameters_on(JANUARY)

    assert parameters.pmss_cents == 400500
    assert parameters.pass_cents == 4806000
    assert all(rule.source for rule in parameters.lines)
    assert {rule.code for rule in parameters.lines} >= {
        "maladie", "csa", "vieillesse_plafonnee", "vieillesse_deplafonnee", "allocations_familiales",
        "accident_travail", "fnal", "dialogue_social", "csg_deductible", "csg_crds_non_deductible", "chomage",
        "ags", "agirc_arrco_t1", "agirc_arrco_t2", "ceg_t1", "ceg_t2", "cet", "apec", "prevoyance_cadres",
        "forfait_social_prevoyance", "formation_apprentissage", "peec", "cpf_cdd",
    }  # fmt: skip


def test_a_persons_contracts_of_a_month_share_one_pmss_in_the_order_they_are_paid() -> None:
    first = replace(FIVE_DAY_CDDU, calendar_days=20, gross_pay_cents=300000)  # its own ceiling: 2,670.00
    second = replace(FIVE_DAY_CDDU, calendar_days=15, gross_pay_cents=200000)  # its own: 2,002.50

    shared = share_the_ceiling([first, second])
    payslips = [compute_payslip(contract) for contract in shared]

    assert [contract.ceiling_used_elsewhere_cents for contract in shared] == [0, 267000]
    assert [payslip.ceiling_cents for payslip in payslips] == [267000, 400500 - 267000]
    assert sum(payslip.ceiling_cents for payslip in payslips) == 400500


def test_contracts_of_different_months_do_not_share_a_ceiling() -> None:
    with pytest.raises(InvalidPayInput) as refused:
        share_the_ceiling([FIVE_DAY_CDDU, replace(FIVE_DAY_CDDU, period=date(2026, 2, 1))])

    assert refused.value.field == "period"


def test_the_annual_rgdu_takes_back_in_december_what_a_low_first_half_gave_too_much() -> None:
    parameters = parameters_on(JANUARY)
    months = [182303] * 6 + [350000] * 6  # the SMIC until June, 3,500 EUR from July
    smic = compute_payslip(replace(FULL_MONTH, gross_pay_cents=182303)).smic_cents
    applied, regularisations = 0, []
    for month in range(1, 13):
        this_month = regularised_rgdu(
            parameters, HeadcountBand.FROM_50, sum(months[:month]), smic * month, applied
        )
        applied += this_month.this_month_cents
        regularisations.append(this_month.this_month_cents)

    # Months at the SMIC get the maximum; the first month at 3,500 EUR takes some of it back.
    assert regularisations[0] == round(Decimal("0.4021") * 182303)
    assert regularisations[6] < 0
    # Over the year, the reduction is the annual coefficient on the annual gross, whatever the months did.
    annual = regularised_rgdu(parameters, HeadcountBand.FROM_50, sum(months), smic * 12, 0)
    assert applied == annual.year_to_date_cents
    monthly_sum = sum(compute_payslip(replace(FULL_MONTH, gross_pay_cents=g)).rgdu_cents for g in months)
    assert applied < monthly_sum  # month by month would have given more than the annual rule allows


def test_an_employer_paying_leave_through_congés_spectacles_has_its_rgdu_raised_by_100_90() -> None:
    technician = replace(
        FIVE_DAY_CDDU, gross_pay_cents=60000, intermittent=Intermittent.ANNEX_8, employer_is_association=True
    )
    ordinary = replace(FIVE_DAY_CDDU, gross_pay_cents=60000, ends_in_period=False)

    raised = compute_payslip(technician).rgdu_coefficient
    plain = compute_payslip(ordinary).rgdu_coefficient

    assert plain > 0
    assert abs(raised - plain * 100 / 90) <= Decimal("0.0001")
