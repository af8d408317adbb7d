"""members-svc's settings (env prefix MEMBERS_); built in entrypoints, never at import."""

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from services.settings import ServiceSettings

# Good enough for a laptop and tests, refused in production: MEMBERS_PERSONAL_DATA_KEK must be set there.
DEV_PERSONAL_DATA_KEK = "dev-only-personal-data-kek-not-for-production"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MEMBERS_", extra="ignore")

    service_name: str = "members"
    db_schema: str = "members"
    http_port: int = 8001
    # tenant -> nominal of one share in cents, beside the table of domain/shares/rules.py
    share_nominals: dict[str, int] = Field(default_factory=dict)
    environment: Literal["development", "production"] = "development"
    # Wraps each person's data key (crypto-shredding, ADR 008). A long random secret; changing it makes every
    # wrapped key unreadable, so rotation re-wraps the keys first.
    personal_data_kek: SecretStr = SecretStr(DEV_PERSONAL_DATA_KEK)

    @model_validator(mode="after")
    def _no_dev_kek_in_production(self) -> "Settings":
        if (
            self.environment == "production"
            and self.personal_data_kek.get_secret_value() == DEV_PERSONAL_DATA_KEK
        ):
            raise ValueError("MEMBERS_PERSONAL_DATA_KEK must be set in production (the default is public)")
        return self
