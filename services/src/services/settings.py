"""Settings every service shares; each service subclasses them with its own env prefix.

Built in entrypoints only (never at import), so tests and the embedded mode can build several side by side.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# Good enough for a laptop, refused nowhere: production must set <PREFIX>INTERNAL_TOKEN_SECRET.
DEV_INTERNAL_TOKEN_SECRET = "dev-only-internal-token-secret-not-for-production"


class ServiceSettings(BaseSettings):
    """Subclass with `model_config = SettingsConfigDict(env_prefix="MEMBERS_")`."""

    model_config = SettingsConfigDict(extra="ignore", validate_default=True)

    service_name: str = "service"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    db_schema: str = "public"
    db_pool_min: int = Field(default=1, ge=0)
    db_pool_max: int = Field(default=10, ge=1)
    bus: Literal["postgres", "kafka"] = "postgres"
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_partitions: int = Field(default=4, ge=1)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=0, le=65535)
    # Key of the short-lived signed token the gateway sends to services.
    internal_token_secret: SecretStr = SecretStr(DEV_INTERNAL_TOKEN_SECRET)
    # A message whose handler keeps failing is retried this many times in all, then dead-lettered.
    consumer_max_attempts: int = Field(default=5, ge=1)
    consumer_retry_base_delay: float = Field(default=0.5, gt=0)
    otel_enabled: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    @field_validator("db_schema")
    @classmethod
    def _schema_is_a_plain_identifier(cls, value: str) -> str:
        # It goes into search_path and into DDL: allow nothing that would need quoting.
        if not _IDENTIFIER.match(value):
            raise ValueError("must be a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level_upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _pool_bounds(self) -> ServiceSettings:
        if self.db_pool_min > self.db_pool_max:
            raise ValueError("db_pool_min must not exceed db_pool_max")
        return self

    @property
    def uses_dev_secret(self) -> bool:
        """True while the internal token key is the public development default."""
        return self.internal_token_secret.get_secret_value() == DEV_INTERNAL_TOKEN_SECRET
