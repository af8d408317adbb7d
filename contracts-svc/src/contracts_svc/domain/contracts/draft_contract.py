"""Draft a contract: every rule of its type is checked here, before anything is declared or signed."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from stdnum.exceptions import ValidationError
from stdnum.fr import siret as stdnum_siret

from contracts_svc.domain.contracts.budget import BudgetAnswer, planned_employer_cost_cents, reservation_of
from contracts_svc.domain.contracts.calendar import add_months, paris_day
from contracts_svc.domain.contracts.events import (
    ContractDrafted,
    Employer,
    Pay,
    PortageLevel,
    Status,
    WorkingTime,
)
from contracts_svc.domain.contracts.rules import (
    ContractAlreadyExists,
    ContractRuleBroken,
    InvalidContractField,
    check_text,
)
from contracts_svc.domain.contracts.state import ContractState, NoContract
from contracts_svc.domain.contracts.tables import (
    CDD_REASONS,
    CDDU_SECTORS,
    RULES,
    TENANT_FORMS,
    ContractRules,
    ContractType,
    portage_minimum,
)

FULL_TIME_WEEKLY_HOURS = Decimal(35)  # L3121-27: the legal working week
APE = re.compile(r"^[0-9]{2}\.?[0-9]{2}[A-Z]$")  # NAF rev. 2 code, e.g. 90.01Z
# Waiting period (L1244-3): a third of the previous contract's duration, half when it lasted under 14 days.
SHORT_CONTRACT_DAYS = 14
# Counted here in calendar days; the law counts the establishment's opening days (*check*, conservative
# for an establishment open every day, lenient otherwise).
WAITING_EXEMPT_REASONS = frozenset({"replacement", "seasonal"})  # L1244-4-1 1° and 3°


@dataclass(frozen=True)
class PreviousContract:
    """The last fixed-term contract on the same post at the same employer (the handler finds it)."""

    contract_id: UUID
    contract_type: ContractType
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class DraftContract:
    contract_id: UUID
    tenant: str
    member_id: UUID
    employer: Employer
    contract_type: ContractType
    job_title: str
    starts_at: datetime
    ends_on: date | None
    working_time: WorkingTime
    weekly_hours: Decimal
    pay: Pay
    status: Status
    now: datetime
    sector: str | None = None
    reason: str | None = None
    portage_level: PortageLevel | None = None
    trial_period_days: int = 0
    previous_on_post: PreviousContract | None = None
    activity_id: UUID | None = None  # a contract of a member's activity: its employer cost is reserved
    budget: BudgetAnswer | None = None  # the activity account's answer, asked by the handler


def decide_draft(command: DraftContract, state: ContractState) -> list[ContractDrafted]:
    if not isinstance(state, NoContract):
        raise ContractAlreadyExists(f"contract {command.contract_id} is already drafted")
    rules = RULES[command.contract_type]
    _check_tenant(command, rules)
    employer = _check_employer(command.employer)
    if command.starts_at.tzinfo is None:
        raise InvalidContractField("starts_at", "give the time zone (UTC offset)")
    starts_on = paris_day(command.starts_at)
    _check_dates(rules, starts_on, command.ends_on)
    sector = _check_sector(command, rules)
    reason = _check_reason(command, rules)
    _check_working_time(command)
    _check_pay(command, rules, starts_on)
    if command.trial_period_days < 0:
        raise InvalidContractField("trial_period_days", "must not be negative")
    _check_waiting_period(command, rules, starts_on)
    reservation = reservation_of(
        command.activity_id,
        planned_employer_cost_cents(command.pay, command.weekly_hours, starts_on, command.ends_on),
        command.budget,
    )
    associate_by = (
        add_months(starts_on, 12 * rules.associate_within_years) if rules.associate_within_years else None
    )
    return [
        ContractDrafted(
            contract_id=command.contract_id,
            member_id=command.member_id,
            employer=employer,
            contract_type=command.contract_type,
            job_title=check_text("job_title", command.job_title),
            sector=sector,
            reason=reason,
            starts_at=command.starts_at,
            ends_on=command.ends_on,
            working_time=command.working_time,
            weekly_hours=command.weekly_hours,
            pay=command.pay,
            status=command.status,
            portage_level=command.portage_level if command.contract_type == "portage" else None,
            trial_period_days=command.trial_period_days,
            associate_by=associate_by,
            drafted_at=command.now,
            budget_reservation=reservation,
        )
    ]


def _check_tenant(command: DraftContract, rules: ContractRules) -> None:
    form = TENANT_FORMS.get(command.tenant)
    if rules.tenant_forms and form not in rules.tenant_forms:
        raise ContractRuleBroken(
            "contract_type_not_offered",
            f"a {rules.label} is offered by a {' or '.join(rules.tenant_forms)} cooperative only "
            f"({rules.basis}); tenant {command.tenant!r} is not one",
            field="contract_type",
        )


def _check_employer(employer: Employer) -> Employer:
    try:
        siret = str(stdnum_siret.validate(employer.siret))
    except ValidationError as invalid:
        raise InvalidContractField("employer.siret", f"is not a valid SIRET ({invalid})") from None
    ape = employer.ape_code.strip().upper()
    if not APE.match(ape):
        raise InvalidContractField("employer.ape_code", "is not an APE (NAF) code such as 90.01Z")
    return employer.model_copy(
        update={
            "siret": siret,
            "ape_code": ape,
            "legal_name": check_text("employer.legal_name", employer.legal_name),
            "street": check_text("employer.street", employer.street),
            "postal_code": check_text("employer.postal_code", employer.postal_code, max_length=16),
            "city": check_text("employer.city", employer.city, max_length=100),
            "occupational_health_service": check_text(
                "employer.occupational_health_service", employer.occupational_health_service
            ),
        }
    )


def _check_dates(rules: ContractRules, starts_on: date, ends_on: date | None) -> None:
    if not rules.needs_end_date:
        if ends_on is not None:
            raise InvalidContractField("ends_on", f"a {rules.label} has no end date")
        return
    if ends_on is None:
        raise InvalidContractField("ends_on", f"a {rules.label} needs its end date")
    if ends_on < starts_on:
        raise InvalidContractField("ends_on", "is before the start")
    check_max_duration(rules, starts_on, ends_on)


def check_max_duration(rules: ContractRules, starts_on: date, ends_on: date) -> None:
    """At most `max_months` from the start, renewals included (the day before the same day n months on)."""
    if rules.max_months and ends_on >= add_months(starts_on, rules.max_months):
        raise ContractRuleBroken(
            "max_duration",
            f"a {rules.label} lasts at most {rules.max_months} months, renewals included ({rules.basis})",
            field="ends_on",
        )


def _check_sector(command: DraftContract, rules: ContractRules) -> str | None:
    sector = command.sector.strip() if command.sector else None
    if command.contract_type == "cddu" and sector not in CDDU_SECTORS:
        raise ContractRuleBroken(
            "cddu_sector",
            f"a CDD d'usage is allowed only in the sectors of D1242-1; {sector!r} is not one of "
            f"{', '.join(sorted(CDDU_SECTORS))}",
            field="sector",
        )
    if sector is not None and sector in rules.forbidden_sectors:
        raise ContractRuleBroken(
            "sector_forbidden", f"no {rules.label} in the sector {sector!r} ({rules.basis})", field="sector"
        )
    return sector


def _check_reason(command: DraftContract, rules: ContractRules) -> str | None:
    if not rules.reason_required:
        return command.reason.strip() if command.reason else None
    if command.reason not in CDD_REASONS:
        raise ContractRuleBroken(
            "cdd_reason",
            f"a CDD needs one of the reasons of L1242-2: {', '.join(sorted(CDD_REASONS))}",
            field="reason",
        )
    return command.reason


def _check_working_time(command: DraftContract) -> None:
    hours = command.weekly_hours
    if command.working_time == "full_time" and hours != FULL_TIME_WEEKLY_HOURS:
        raise InvalidContractField("weekly_hours", f"full time is {FULL_TIME_WEEKLY_HOURS} hours a week")
    if command.working_time == "part_time" and not Decimal(0) < hours < FULL_TIME_WEEKLY_HOURS:
        raise InvalidContractField(
            "weekly_hours", f"part time is under {FULL_TIME_WEEKLY_HOURS} hours a week"
        )


def _check_pay(command: DraftContract, rules: ContractRules, starts_on: date) -> None:
    check_pay(
        command.contract_type, rules, command.pay, command.weekly_hours, command.portage_level, starts_on
    )


def check_pay(
    contract_type: ContractType,
    rules: ContractRules,
    pay: Pay,
    weekly_hours: Decimal,
    portage_level: PortageLevel | None,
    on: date,
) -> None:
    if not rules.employment:
        if pay.basis != "none" or pay.amount_cents != 0:
            raise ContractRuleBroken("no_salary", f"a {rules.label} pays no salary ({rules.basis})", "pay")
        return
    if pay.basis == "none" or pay.amount_cents <= 0:
        raise InvalidContractField("pay", "an employment contract pays a positive gross, hourly or monthly")
    if contract_type != "portage":
        return
    if portage_level is None:
        raise InvalidContractField("portage_level", "a ported employee is junior, senior or forfait_jours")
    if pay.basis != "monthly":
        raise InvalidContractField("pay.basis", "a ported employee's pay is monthly")
    minimum = portage_minimum(on)
    full_time = {"junior": minimum.junior, "senior": minimum.senior, "forfait_jours": minimum.forfait_jours}
    floor = full_time[portage_level]
    if portage_level != "forfait_jours":  # pro rata of the working time for hourly-counted employees
        floor = math.ceil(floor * weekly_hours / FULL_TIME_WEEKLY_HOURS)
    if pay.amount_cents < floor:
        raise ContractRuleBroken(
            "portage_minimum_pay",
            f"a {portage_level} ported employee is paid at least {floor} cents a month for "
            f"{weekly_hours} h a week (CCN du portage salarial, art. 21.1)",
            field="pay.amount_cents",
        )


def _check_waiting_period(command: DraftContract, rules: ContractRules, starts_on: date) -> None:
    previous = command.previous_on_post
    if not rules.waiting_period or previous is None or previous.contract_type != "cdd":
        return
    if command.reason in WAITING_EXEMPT_REASONS:
        return
    duration = (previous.ends_on - previous.starts_on).days + 1
    divisor = 2 if duration < SHORT_CONTRACT_DAYS else 3
    waiting = math.ceil(duration / divisor)
    earliest = previous.ends_on + timedelta(days=waiting + 1)
    if starts_on < earliest:
        raise ContractRuleBroken(
            "waiting_period",
            f"a new CDD on the post of contract {previous.contract_id} may start on {earliest.isoformat()} "
            f"at the earliest: the waiting period is {waiting} days (1/{divisor} of {duration}, L1244-3)",
            field="starts_at",
        )
