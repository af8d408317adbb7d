"""The payroll engine alone: payslips computed per second over a generated population of contracts.

    uv run python -m tests.perf payroll     # BENCH_CONTRACTS (default 10,000), BENCH_ROUNDS (default 3)

Pure computation in one process, no I/O: a seeded mix of CDI, CDD, CDDU and portage contracts, full and
incomplete months, part time, cadres and non-cadres, every headcount band, some intermittents. Target: at
least 5,000 payslips/s on this machine. The gross-from-budget solve (a bisection, ~17 payslips each) is
measured too, on a tenth of the population.
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import time
from dataclasses import replace
from datetime import date
from decimal import Decimal

from payroll_svc.domain.payroll import (
    ContractType,
    HeadcountBand,
    Intermittent,
    PayInput,
    PortageLevel,
    Status,
    compute_payslip,
    gross_for_budget,
    parameters_on,
)

CONTRACTS = int(os.environ.get("BENCH_CONTRACTS", "10000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
TARGET = 5000


def population(size: int, seed: int = 20261126) -> list[PayInput]:
    rng = random.Random(seed)
    period = date(2026, rng.choice(range(1, 13)), 1)
    people = []
    for _ in range(size):
        kind = rng.choices(
            [ContractType.CDDU, ContractType.CDD, ContractType.CDI, ContractType.PORTAGE], [60, 15, 20, 5]
        )[0]
        short = kind in (ContractType.CDDU, ContractType.CDD)
        days = rng.randint(1, 20) if short else None
        hours = Decimal(days * 7) if days else Decimal("151.67")
        gross = rng.randint(12_00, 40_00) * int(hours) if short else rng.randint(1_823_03, 9_000_00)
        intermittent = rng.random() < 0.1 and kind is ContractType.CDDU
        people.append(
            PayInput(
                period=period,
                status=rng.choice(list(Status)),
                contract_type=kind,
                headcount=rng.choice(list(HeadcountBand)),
                accident_at_work_rate=Decimal(rng.choice(["0.007", "0.009", "0.0125", "0.021"])),
                hours_paid=hours,
                gross_pay_cents=max(gross, 3_404_25) if kind is ContractType.PORTAGE else gross,
                calendar_days=days,
                working_time_ratio=Decimal(rng.choice(["1", "1", "0.8", "0.5"])) if not short else Decimal(1),
                ends_in_period=short,
                ceiling_used_elsewhere_cents=rng.choice([0, 0, 0, 100_000]),
                intermittent=rng.choice(list(Intermittent)) if intermittent else None,
                employer_is_association=intermittent,
                portage_level=PortageLevel.FORFAIT_JOURS if kind is ContractType.PORTAGE else None,
            )
        )
    return people


def main() -> None:
    people = population(CONTRACTS)
    parameters_on(people[0].period)  # the tables are read once per period, outside the timing
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs")
    print(
        f"load average before: {os.getloadavg()[0]:.2f} (the machine is shared: CPU time is the fair figure)"
    )
    rates, cpu_rates = [], []
    for _ in range(ROUNDS):
        started, cpu_started = time.perf_counter(), time.process_time()
        payslips = [compute_payslip(pay) for pay in people]
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        rates.append(len(payslips) / elapsed)
        cpu_rates.append(len(payslips) / cpu)
    lines = sum(len(payslip.lines) for payslip in payslips) / len(payslips)
    median, cpu_median = statistics.median(rates), statistics.median(cpu_rates)
    print(f"payslips: {CONTRACTS} contracts, {lines:.1f} lines each on average")
    print(f"payslips/s (wall): median {median:,.0f}, best {max(rates):,.0f} over {ROUNDS} rounds")
    print(
        f"payslips per CPU-second: median {cpu_median:,.0f}, best {max(cpu_rates):,.0f} (target {TARGET:,})"
    )

    budgets = [replace(pay, gross_pay_cents=0) for pay in people[: CONTRACTS // 10]]
    started = time.perf_counter()
    for pay, original in zip(budgets, payslips, strict=False):
        gross_for_budget(pay, original.employer_cost_cents)
    elapsed = time.perf_counter() - started
    print(f"budget solves/s: {len(budgets) / elapsed:,.0f} ({len(budgets)} solves)")
    print("target met" if cpu_median >= TARGET else "TARGET NOT MET")


if __name__ == "__main__":
    main()
