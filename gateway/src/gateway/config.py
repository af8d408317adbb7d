"""The gateway's settings (env prefix GATEWAY_); built in entrypoints, never at import."""

from pydantic_settings import SettingsConfigDict

from services.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    db_schema: str = "gateway"
    http_port: int = 8000
    # Where each service's internal API answers in the distributed mode.
    members_url: str = "http://127.0.0.1:8001"
    contracts_url: str = "http://127.0.0.1:8002"
    billing_url: str = "http://127.0.0.1:8003"
    payroll_url: str = "http://127.0.0.1:8004"
