"""contracts-svc's settings (env prefix CONTRACTS_); built in entrypoints, never at import."""

from pydantic_settings import SettingsConfigDict

from services.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONTRACTS_", extra="ignore")

    service_name: str = "contracts"
    db_schema: str = "contracts"
    http_port: int = 8002
