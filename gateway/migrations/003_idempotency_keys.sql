-- Idempotency keys: one row per (API client, key), claimed before the handler runs, completed with the answer.
-- A row whose status is NULL is in flight; `locked_until` lets a retry take over a claim whose process died.
CREATE TABLE idempotency_keys (
    client_id     text NOT NULL,
    key           text NOT NULL,
    -- SHA-256 of method, path and body: the same key with another request is refused.
    fingerprint   bytea NOT NULL,
    -- A random token per claim: only its holder completes or releases it.
    claim         uuid NOT NULL,
    claimed_at    timestamptz NOT NULL,
    locked_until  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    status        smallint,
    headers       jsonb,
    body          bytea,
    PRIMARY KEY (client_id, key)
);

CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

-- Housekeeping: drop what expired before `at` (an expired row is already treated as absent by the claim).
CREATE FUNCTION purge_idempotency_keys(at timestamptz) RETURNS bigint
LANGUAGE sql SET search_path FROM CURRENT AS $$
    WITH gone AS (DELETE FROM idempotency_keys WHERE expires_at <= at RETURNING 1)
    SELECT count(*) FROM gone
$$;
