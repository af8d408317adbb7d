"""billing-svc's settings (env prefix BILLING_); built in entrypoints, never at import."""

from pydantic_settings import SettingsConfigDict

from services.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore")

    service_name: str = "billing"
    db_schema: str = "billing"
    http_port: int = 8003
    # Processes running the EN 16931 and French CTC schematrons (Saxon) beside the event loop.
    schematron_workers: int = 2
    # The GDC monthly run of the 1st, started by the worker itself (ADR 017); off, ops call the API instead.
    gdc_monthly_run_enabled: bool = True
