"""The gateway's settings (env prefix GATEWAY_); built in entrypoints, never at import."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from gateway.auth.dev_keys import DEV_TOKEN_SIGNING_KEY
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
    # OAuth2 access tokens (ES256 JWTs; ADR 004). Production sets its own key (PEM of an EC P-256 private key)
    # and keeps the previous public keys listed while tokens they signed may still be alive.
    token_signing_key: SecretStr = SecretStr(DEV_TOKEN_SIGNING_KEY)
    token_previous_public_keys: tuple[str, ...] = ()
    token_issuer: str = "https://api.smartfr.coop"
    token_audience: str = "https://api.smartfr.coop/v1"
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    # How long a gateway process trusts what it looked up about a credential: the delay of a revocation.
    credential_cache_seconds: float = Field(default=5.0, ge=0)
    # The read cache of single resources (ADR 007): off, its bound, and how long an entry may live at most
    # (the safety net for changes nobody announces on the bus).
    read_cache_enabled: bool = True
    read_cache_max_entries: int = Field(default=10_000, ge=1)
    read_cache_ttl_seconds: float = Field(default=10.0, ge=0, le=300)
    # How long a claimed Idempotency-Key stays with a request that has not answered before a retry of the
    # same request may take it over (its process died): longer than the slowest call to a service.
    idempotency_lease_seconds: float = Field(default=60.0, gt=0)
