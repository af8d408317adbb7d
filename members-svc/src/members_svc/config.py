"""members-svc's settings (env prefix MEMBERS_); built in entrypoints, never at import."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MEMBERS_", extra="ignore")

    service_name: str = "members"
    db_schema: str = "members"
    http_port: int = 8001
    # tenant -> nominal of one share in cents, beside the table of domain/shares/rules.py
    share_nominals: dict[str, int] = Field(default_factory=dict)
