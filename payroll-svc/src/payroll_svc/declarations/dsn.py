"""The monthly DSN (déclaration sociale nominative) of one establishment, norm P26V01, flat format.

One line per rubric, `S21.G00.30.001,'value'`, blocks in the norm's order: S10 (sender), S20 (declaration),
S21.G00.06/.11 (company, establishment), .20/.22/.23 (the URSSAF payment, its slip and the aggregated
contributions by CTP code), then per person .30 (individual), per contract .40 (and .62 when it ended), per
payment .50 with .51 (pay), .78 (bases) and .81 (individual contributions), and S90 (totals).

*Unverified*: the cahier technique could not be read here (no network). Every code below that is not a plain
identity field is marked UNVERIFIED: the rubric numbers for PAS and end of contract, the nature codes, the
CTP codes and qualifiers, the base codes (.78.001) and the individual contribution codes (.81.001). The
structure (block order, mandatory rubrics, S90 counts) is what `check_dsn` verifies.
"""

from __future__ import annotations

from calendar import monthrange
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from payroll_svc.domain.payroll import ContractType, Payslip, Status

NORM = "P26V01"
URSSAF = "78861779300013"  # the URSSAF's SIRET to which the contributions are declared (UNVERIFIED)

# Line code -> (CTP code, qualifier 920 = capped base / 921 = uncapped), URSSAF lines only. UNVERIFIED.
CTP: dict[str, tuple[str, str]] = {
    "maladie": ("100", "921"),
    "vieillesse_deplafonnee": ("100", "921"),
    "allocations_familiales": ("100", "921"),
    "accident_travail": ("100", "921"),
    "csa": ("100", "921"),
    "vieillesse_plafonnee": ("100", "920"),
    "fnal": ("236", "921"),
    "dialogue_social": ("027", "921"),
    "csg_deductible": ("260", "921"),
    "csg_crds_non_deductible": ("260", "921"),
    "chomage": ("772", "921"),
    "ags": ("937", "921"),
    "rgdu": ("671", "921"),
}
# Line code -> individual contribution code (.81.001). UNVERIFIED.
CONTRIBUTION_CODES: dict[str, str] = {
    "agirc_arrco_t1": "063",
    "agirc_arrco_t2": "064",
    "ceg_t1": "106",
    "ceg_t2": "107",
    "cet": "108",
    "chomage": "040",
    "ags": "048",
    "csg_deductible": "072",
    "csg_crds_non_deductible": "073",
    "rgdu": "018",
}
NATURE = {ContractType.CDI: "01", ContractType.CDD: "02", ContractType.CDDU: "02", ContractType.PORTAGE: "01"}
STATUS = {Status.CADRE: "01", Status.NON_CADRE: "04"}  # .40.003, retirement category (UNVERIFIED)

# Mandatory rubrics of each block, as `check_dsn` verifies them.
MANDATORY: dict[str, tuple[str, ...]] = {
    "S10.G00.00": ("001", "002", "003", "005", "006", "008"),
    "S10.G00.01": ("001", "002", "003", "004", "005", "006"),
    "S10.G00.02": ("002", "004"),
    "S20.G00.05": ("001", "002", "003", "004", "005", "007", "008", "010"),
    "S21.G00.06": ("001", "002", "003", "004", "005", "006"),
    "S21.G00.11": ("001", "002", "003", "004", "005", "008"),
    "S21.G00.20": ("001", "005", "006", "007", "010"),
    "S21.G00.22": ("001", "003", "004", "005"),
    "S21.G00.23": ("001", "002", "004", "005"),
    "S21.G00.30": ("001", "002", "004", "005", "006", "007"),
    "S21.G00.40": ("001", "003", "006", "007", "009", "011", "013"),
    "S21.G00.62": ("001", "002"),
    "S21.G00.50": ("001", "002", "004"),
    "S21.G00.51": ("001", "002", "010", "011", "013"),
    "S21.G00.78": ("001", "002", "003", "004"),
    "S21.G00.81": ("001", "004"),
    "S90.G00.90": ("001", "002"),
}
# Which block may follow which (the norm's hierarchy flattened).
FOLLOWS: dict[str, set[str]] = {
    "S10.G00.00": {"S10.G00.01"},
    "S10.G00.01": {"S10.G00.02"},
    "S10.G00.02": {"S20.G00.05"},
    "S20.G00.05": {"S21.G00.06"},
    "S21.G00.06": {"S21.G00.11"},
    "S21.G00.11": {"S21.G00.20", "S21.G00.30", "S90.G00.90"},
    "S21.G00.20": {"S21.G00.22"},
    "S21.G00.22": {"S21.G00.23"},
    "S21.G00.23": {"S21.G00.23", "S21.G00.30", "S90.G00.90"},
    "S21.G00.30": {"S21.G00.40"},
    "S21.G00.40": {"S21.G00.40", "S21.G00.62", "S21.G00.50"},
    "S21.G00.62": {"S21.G00.40", "S21.G00.50"},
    "S21.G00.50": {"S21.G00.51"},
    "S21.G00.51": {"S21.G00.51", "S21.G00.78"},
    "S21.G00.78": {"S21.G00.78", "S21.G00.81", "S21.G00.50", "S21.G00.30", "S90.G00.90"},
    "S21.G00.81": {"S21.G00.81", "S21.G00.78", "S21.G00.50", "S21.G00.30", "S90.G00.90"},
}


@dataclass(frozen=True, slots=True)
class Company:
    siren: str
    head_office_nic: str
    ape: str
    street: str
    postal_code: str
    city: str


@dataclass(frozen=True, slots=True)
class Establishment:
    nic: str
    ape: str
    street: str
    postal_code: str
    city: str
    headcount: int


@dataclass(frozen=True, slots=True)
class Sender:
    software: str
    publisher: str
    version: str
    contact_name: str
    contact_email: str


@dataclass(frozen=True, slots=True)
class Person:
    nir: str
    family_name: str
    first_names: str
    sex: str  # 01 male, 02 female
    birth_date: date
    birth_place: str


@dataclass(frozen=True, slots=True)
class ContractMonth:
    """One contract's month: its terms and its payslip."""

    person: Person
    contract_number: str
    contract_type: ContractType
    status: Status
    job_title: str
    starts_on: date
    ends_on: date | None
    ended_in_month: bool
    hours: Decimal
    paid_on: date
    payslip: Payslip
    # A correction is declared by its difference to the payslip it corrects, as a regularisation of that
    # payslip's period (UNVERIFIED: the cahier technique's rules for earlier periods' pay were not checked).
    regularised: tuple[date, date] | None = None
    capped_base_cents: int | None = None  # the difference of the capped bases, when this is one

    def period(self, first: date, last: date) -> tuple[date, date]:
        """The dates the pay relates to: the month's share of the contract, or the period regularised."""
        if self.regularised is not None:
            return self.regularised
        return max(first, self.starts_on), min(last, self.ends_on or last)

    def capped_base(self) -> int:
        if self.capped_base_cents is not None:
            return self.capped_base_cents
        return min(self.payslip.gross_cents, self.payslip.ceiling_cents)


def _amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _day(day: date) -> str:
    return day.strftime("%d%m%Y")


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def block(self, block: str, *rubrics: tuple[str, object]) -> None:
        for number, value in rubrics:
            if value is None or value == "":
                continue
            text = str(value).replace("'", " ")
            self.lines.append(f"{block}.{number},'{text}'")


def monthly_dsn(
    month: date,
    sender: Sender,
    company: Company,
    establishment: Establishment,
    contracts: Sequence[ContractMonth],
    made_on: date,
    order_number: int = 1,
) -> str:
    """The DSN text of one establishment and month."""
    first = month.replace(day=1)
    last = first.replace(day=monthrange(first.year, first.month)[1])
    # Pay is declared in the DSN of the month it is paid in (rattachement au mois de versement).
    outside = [c.contract_number for c in contracts if not first <= c.paid_on <= last]
    if outside:
        raise ValueError(f"contracts paid outside {first:%Y-%m}: {', '.join(outside[:5])}")
    out = _Writer()
    out.block(
        "S10.G00.00",
        ("001", sender.software),
        ("002", sender.publisher),
        ("003", sender.version),
        ("005", "02"),  # real (01 test) UNVERIFIED
        ("006", NORM),
        ("008", "01"),
    )
    out.block(
        "S10.G00.01",
        ("001", company.siren),
        ("002", company.head_office_nic),
        ("003", sender.publisher),
        ("004", company.street),
        ("005", company.postal_code),
        ("006", company.city),
    )
    out.block("S10.G00.02", ("002", sender.contact_name), ("004", sender.contact_email))
    out.block(
        "S20.G00.05",
        ("001", "01"),  # monthly DSN
        ("002", "01"),  # normal
        ("003", "11"),
        ("004", order_number),
        ("005", f"01{first:%m%Y}"),
        ("007", _day(made_on)),
        ("008", "01"),
        ("010", "01"),  # euro
    )
    out.block(
        "S21.G00.06",
        ("001", company.siren),
        ("002", company.head_office_nic),
        ("003", company.ape),
        ("004", company.street),
        ("005", company.postal_code),
        ("006", company.city),
    )
    out.block(
        "S21.G00.11",
        ("001", establishment.nic),
        ("002", establishment.ape),
        ("003", establishment.street),
        ("004", establishment.postal_code),
        ("005", establishment.city),
        ("008", establishment.headcount),
    )
    aggregated: dict[tuple[str, str, Decimal], list[int]] = defaultdict(lambda: [0, 0])
    for contract in contracts:
        for line in contract.payslip.lines:
            if line.code in CTP:
                code, qualifier = CTP[line.code]
                rate = line.employee_rate + line.employer_rate
                totals = aggregated[(code, qualifier, rate)]
                totals[0] += line.base_cents
                totals[1] += line.employee_cents + line.employer_cents
    if aggregated:
        due = sum(amount for _, amount in aggregated.values())
        out.block(
            "S21.G00.20",
            ("001", URSSAF),
            ("005", _amount(due)),
            ("006", _day(first)),
            ("007", _day(last)),
            ("010", "05"),  # SEPA direct debit UNVERIFIED
        )
        out.block(
            "S21.G00.22", ("001", URSSAF), ("003", _day(first)), ("004", _day(last)), ("005", _amount(due))
        )
        for (code, qualifier, rate), (base, amount) in sorted(aggregated.items()):
            out.block(
                "S21.G00.23",
                ("001", code),
                ("002", qualifier),
                ("003", f"{(rate * 100).normalize():f}"),
                ("004", _amount(base)),
                ("005", _amount(amount)),
            )
    by_person: dict[str, list[ContractMonth]] = defaultdict(list)
    for contract in contracts:
        by_person[contract.person.nir].append(contract)
    for nir, theirs in by_person.items():
        _person(out, first, last, nir, theirs)
    total = len(out.lines) + 2  # S90's own two rubrics count
    out.block("S90.G00.90", ("001", total), ("002", 1))
    return "\n".join(out.lines) + "\n"


def _person(out: _Writer, first: date, last: date, nir: str, contracts: list[ContractMonth]) -> None:
    person = contracts[0].person
    out.block(
        "S21.G00.30",
        ("001", nir),
        ("002", person.family_name),
        ("004", person.first_names),
        ("005", person.sex),
        ("006", _day(person.birth_date)),
        ("007", person.birth_place),
    )
    declared: set[str] = set()
    for contract in contracts:
        if contract.contract_number in declared:  # its month's payslip and a correction, say
            continue
        declared.add(contract.contract_number)
        out.block(
            "S21.G00.40",
            ("001", _day(contract.starts_on)),
            ("003", STATUS[contract.status]),
            ("006", contract.job_title),
            ("007", NATURE[contract.contract_type]),
            ("009", contract.contract_number),
            ("010", _day(contract.ends_on) if contract.ends_on else None),
            ("011", "10"),  # hours
            ("013", f"{contract.hours:.2f}"),
        )
        if contract.ended_in_month and contract.ends_on is not None:
            out.block("S21.G00.62", ("001", _day(contract.ends_on)), ("002", "031"))  # end of CDD UNVERIFIED
    by_payment: dict[date, list[ContractMonth]] = defaultdict(list)
    for contract in contracts:
        by_payment[contract.paid_on].append(contract)
    for paid_on, paid in sorted(by_payment.items()):
        out.block(
            "S21.G00.50",
            ("001", _day(paid_on)),
            ("002", _amount(sum(c.payslip.net_taxable_cents for c in paid))),
            ("004", _amount(sum(c.payslip.net_paid_cents for c in paid))),
            ("006", f"{paid[0].payslip.withholding_rate * 100:.2f}"),  # PAS rate UNVERIFIED rubric
            ("009", _amount(sum(c.payslip.withholding_cents for c in paid))),  # PAS amount UNVERIFIED rubric
        )
        for contract in paid:
            starts_on, ends_on = contract.period(first, last)
            for kind, cents in (("001", contract.payslip.gross_cents), ("002", contract.payslip.gross_cents)):
                out.block(
                    "S21.G00.51",
                    ("001", _day(starts_on)),
                    ("002", _day(ends_on)),
                    ("010", contract.contract_number),
                    ("011", kind),  # 001 gross, 002 unemployment-insurance gross UNVERIFIED
                    ("012", f"{contract.hours:.2f}"),
                    ("013", _amount(cents)),
                )
        for contract in paid:
            _bases(out, first, last, contract)


def _bases(out: _Writer, first: date, last: date, contract: ContractMonth) -> None:
    lines = {line.code: line for line in contract.payslip.lines}
    starts_on, ends_on = contract.period(first, last)
    bases: Iterable[tuple[str, int, tuple[str, ...]]] = (
        ("02", contract.capped_base(), ("agirc_arrco_t1", "ceg_t1")),
        ("03", contract.payslip.gross_cents, ("rgdu", "cet")),
        ("04", lines["csg_deductible"].base_cents if "csg_deductible" in lines else 0, ("csg_deductible",)),
        ("07", lines["chomage"].base_cents if "chomage" in lines else 0, ("chomage", "ags")),
    )  # 02 capped, 03 uncapped, 04 CSG, 07 unemployment insurance: UNVERIFIED
    for code, base, contributions in bases:
        if base == 0:
            continue
        out.block(
            "S21.G00.78",
            ("001", code),
            ("002", _day(starts_on)),
            ("003", _day(ends_on)),
            ("004", _amount(base)),
            ("005", contract.contract_number),
        )
        for name in contributions:
            if name not in lines:
                continue
            line = lines[name]
            out.block(
                "S21.G00.81",
                ("001", CONTRIBUTION_CODES[name]),
                ("002", URSSAF),
                ("003", _amount(line.base_cents)),
                ("004", _amount(line.employee_cents + line.employer_cents)),
            )


def check_dsn(text: str) -> list[str]:
    """The structural faults of a DSN: line syntax, block order, mandatory rubrics, the S90 counts."""
    faults: list[str] = []
    blocks: list[tuple[str, set[str]]] = []
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        rubric, separator, value = line.partition(",")
        parts = rubric.split(".")
        if (
            not separator
            or len(parts) != 4
            or not (value.startswith("'") and value.endswith("'") and len(value) > 2)
        ):
            faults.append(f"line {number}: not a rubric line: {line!r}")
            continue
        block, field = ".".join(parts[:3]), parts[3]
        if blocks and blocks[-1][0] == block and field not in blocks[-1][1]:
            blocks[-1][1].add(field)
        else:
            blocks.append((block, {field}))
    for index, (block, fields) in enumerate(blocks):
        if block not in MANDATORY:
            faults.append(f"unknown block {block}")
            continue
        missing = [field for field in MANDATORY[block] if field not in fields]
        if missing:
            faults.append(f"{block} (block {index + 1}) misses {', '.join(missing)}")
        if index + 1 < len(blocks):
            following = blocks[index + 1][0]
            if following not in FOLLOWS.get(block, set()):
                faults.append(f"{following} may not follow {block} (block {index + 2})")
    if not blocks or blocks[0][0] != "S10.G00.00":
        faults.append("a DSN starts with S10.G00.00")
    if not blocks or blocks[-1][0] != "S90.G00.90":
        faults.append("a DSN ends with S90.G00.90")
    else:
        values = {line.partition(",")[0]: line.partition(",")[2].strip("'") for line in lines[-2:]}
        if values.get("S90.G00.90.001") != str(len(lines)):
            faults.append(
                f"S90.G00.90.001 says {values.get('S90.G00.90.001')} rubrics, the file has {len(lines)}"
            )
        if values.get("S90.G00.90.002") != "1":
            faults.append("S90.G00.90.002 must count 1 DSN")
    return faults
