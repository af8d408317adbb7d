"""members-svc's settings (env prefix MEMBERS_); built in entrypoints, never at import."""

from pydantic_settings import SettingsConfigDict

from services.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MEMBERS_", extra="ignore")

    service_name: str = "members"
    db_schema: str = "members"
    http_port: int = 8001
