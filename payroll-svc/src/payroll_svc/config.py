"""payroll-svc's settings (env prefix PAYROLL_); built in entrypoints, never at import."""

from decimal import Decimal
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PAYROLL_", extra="ignore")

    service_name: str = "payroll"
    db_schema: str = "payroll"
    http_port: int = 8004
    # The employer's own terms a payslip needs; contracts' events do not carry them. These are the defaults
    # (DOMAIN.md's worked examples' values); `employer_terms_file` (TOML) gives a tenant's or employer's own.
    employer_headcount_band: str = "50_and_over"
    employer_accident_at_work_rate: Decimal = Decimal("0.0070")
    employer_terms_file: Path | None = None
    # members-svc's internal API (the people a DSN names, ADR 019); unset: a fake gives test identities.
    members_url: str | None = None
    # The paying account of the salary files (a test account: the bank is a fake adapter here).
    paying_account_name: str = "SmartFr SCIC"
    paying_account_iban: str = "FR7630004000031234567890143"
    # The fake bank: fail every file, or reject the transfers to these IBANs with the reason given.
    bank_fails: bool = False
    bank_rejects: dict[str, str] = Field(default_factory=dict)
    # The payslips consumer (contracts' completions): contracts handled side by side, and completions
    # committed together (ADR 022; a month's payroll is thousands of short transactions otherwise).
    payslips_concurrency: int = Field(default=6, ge=1, le=8)  # each lane holds one of the pool's 10
    payslips_messages_per_transaction: int = Field(default=20, ge=1)
    # Seconds a short batch waits for more (fuller batches; a payslip is due days later, not in 50 ms).
    payslips_linger: float = Field(default=0.05, ge=0, le=1)
