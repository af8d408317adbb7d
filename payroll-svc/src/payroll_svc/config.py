"""payroll-svc's settings (env prefix PAYROLL_); built in entrypoints, never at import."""

from pydantic_settings import SettingsConfigDict

from services.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PAYROLL_", extra="ignore")

    service_name: str = "payroll"
    db_schema: str = "payroll"
    http_port: int = 8004
