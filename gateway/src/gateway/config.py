"""The gateway's settings (env prefix GATEWAY_); built in entrypoints, never at import."""

from pydantic import Field, SecretStr
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
    # Encrypts what the gateway must read back (outbound webhook signing secrets); production sets its own.
    secrets_encryption_key: SecretStr = SecretStr("dev-only-secrets-encryption-key-not-for-production")
    # Outbound webhooks: http to a loopback address is accepted only when this is on (tests, a laptop).
    webhooks_allow_loopback: bool = False
    # Multiplies the retry schedule (5 s ... 10 h): tests shrink it rather than wait.
    webhooks_retry_scale: float = Field(default=1.0, gt=0)
    webhooks_poll_interval: float = Field(default=1.0, gt=0)
    webhooks_timeout: float = Field(default=15.0, gt=0)
    # Rate limit per API client (per remote address when anonymous): a burst of `quota` per `window` seconds.
    rate_limit_quota: int = Field(default=100, ge=1)
    rate_limit_window_seconds: float = Field(default=10.0, gt=0)
