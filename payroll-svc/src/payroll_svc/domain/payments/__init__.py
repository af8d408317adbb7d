"""Salary payments: the 7-day promise, the salary payment aggregate, the daily payment run's pure part."""

from payroll_svc.domain.payments.promise import is_bank_business_day, salary_due_on
from payroll_svc.domain.payments.run import (
    Bank,
    BankReceipt,
    BankUnavailable,
    answers,
    due_for_run,
    end_to_end_id,
)
from payroll_svc.domain.payments.salary_payment import (
    EVENT_TYPES,
    NoSalaryPayment,
    NothingToPay,
    RecordBankAnswer,
    SalaryAlreadyPaid,
    SalaryAlreadyScheduled,
    SalaryPaid,
    SalaryPayment,
    SalaryPaymentEvent,
    SalaryPaymentRejected,
    SalaryScheduled,
    ScheduleSalary,
    UnknownSalaryPayment,
    salary_payment_decider,
)

__all__ = [
    "EVENT_TYPES",
    "Bank",
    "BankReceipt",
    "BankUnavailable",
    "NoSalaryPayment",
    "NothingToPay",
    "RecordBankAnswer",
    "SalaryAlreadyPaid",
    "SalaryAlreadyScheduled",
    "SalaryPaid",
    "SalaryPayment",
    "SalaryPaymentEvent",
    "SalaryPaymentRejected",
    "SalaryScheduled",
    "ScheduleSalary",
    "UnknownSalaryPayment",
    "answers",
    "due_for_run",
    "end_to_end_id",
    "is_bank_business_day",
    "salary_due_on",
    "salary_payment_decider",
]
