"""Salary payments: when the net salary is due (the 7-day promise)."""

from payroll_svc.domain.payments.promise import is_bank_business_day, salary_due_on

__all__ = ["is_bank_business_day", "salary_due_on"]
