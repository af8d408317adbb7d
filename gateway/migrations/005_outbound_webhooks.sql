-- Outbound webhooks: the tenants' endpoints, the thin messages made from public events, one delivery per
-- (message, endpoint) and every attempt. Times come from the worker's clock, never from now(), so tests can
-- move it.

CREATE TABLE webhook_endpoints (
    id                text PRIMARY KEY,
    seq               bigint GENERATED ALWAYS AS IDENTITY UNIQUE,  -- the order pagination follows
    tenant            text NOT NULL,
    url               text NOT NULL,
    description       text,
    event_types       text[] NOT NULL,
    secret_encrypted  bytea NOT NULL,  -- Fernet, key derived from the gateway's secrets_encryption_key
    enabled           boolean NOT NULL DEFAULT true,
    disabled_reason   text,
    failing_since     timestamptz,  -- the first failure since the last success
    paused_until      timestamptz,  -- 429/502/503/504 or Retry-After: no attempt to it before this
    version           integer NOT NULL DEFAULT 1,  -- the ETag
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_of_tenant ON webhook_endpoints (tenant, seq);

-- One per public event of the catalogue: what every endpoint gets (ids only, no personal data).
CREATE TABLE webhook_messages (
    id               text PRIMARY KEY,  -- msg_<source event id>: the webhook-id header, stable across retries
    tenant           text NOT NULL,
    event_type       text NOT NULL,
    payload          jsonb NOT NULL,
    source_event_id  uuid NOT NULL UNIQUE,
    created_at       timestamptz NOT NULL
);
CREATE INDEX webhook_messages_of_tenant ON webhook_messages (tenant, created_at);

CREATE TABLE webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id      text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id       text NOT NULL REFERENCES webhook_messages (id),
    tenant           text NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,  -- also the lease of a claimed delivery
    created_at       timestamptz NOT NULL,
    finished_at      timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_of_endpoint ON webhook_deliveries (endpoint_id) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id     bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    endpoint_id     text NOT NULL,
    message_id      text NOT NULL,
    attempted_at    timestamptz NOT NULL,
    succeeded       boolean NOT NULL,
    status_code     integer,  -- NULL when no answer came (timeout, refused connection)
    duration_ms     integer NOT NULL,
    response_body   text,  -- the first KiB
    error           text
);
CREATE INDEX webhook_attempts_of_endpoint ON webhook_attempts (endpoint_id, id);
