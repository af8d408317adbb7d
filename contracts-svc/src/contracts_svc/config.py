"""contracts-svc's settings (env prefix CONTRACTS_); built in entrypoints, never at import."""

from typing import Literal

from pydantic_settings import SettingsConfigDict

from services.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONTRACTS_", extra="ignore")

    service_name: str = "contracts"
    db_schema: str = "contracts"
    http_port: int = 8002
    # The fake URSSAF at the DPAE port (real transmission cannot run here): how it answers.
    urssaf_mode: Literal["acknowledge", "refuse"] = "acknowledge"
    urssaf_transient_failures: int = 0
    urssaf_attempts: int = 3
    # The budget check of production de projets (integration/budget.py): billing-svc answers the reservation
    # by event (ADR 016); always_accept and refuse_above_cents serve a contracts-svc run without billing.
    budget_policy: Literal["always_accept", "refuse_above_cents", "events"] = "events"
    budget_refuse_above_cents: int = 0
