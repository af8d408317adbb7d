-- OAuth2 client credentials and API key rotation. Every credential is random and stored as its SHA-256 only.

-- A revoked client is refused whatever credential it shows (its access tokens included, within the cache TTL).
ALTER TABLE api_clients ADD COLUMN revoked_at timestamptz;

-- Client secrets, for POST /v1/oauth/token; like API keys they rotate with an overlap (expires_at on the old).
CREATE TABLE client_secrets (
    secret_hash  bytea PRIMARY KEY,
    client_id    text NOT NULL REFERENCES api_clients (client_id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX client_secrets_by_client ON client_secrets (client_id);

-- key_id names a key in `rotate-key` / `revoke-key` and in listings (the key itself is never stored).
-- expires_at: set on the old key when it is rotated; it keeps working until then.
ALTER TABLE api_keys ADD COLUMN key_id text;
UPDATE api_keys SET key_id = 'key_' || substr(encode(key_hash, 'hex'), 1, 16) WHERE key_id IS NULL;
ALTER TABLE api_keys ALTER COLUMN key_id SET NOT NULL;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_key_id_unique UNIQUE (key_id);
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
CREATE INDEX api_keys_by_client ON api_keys (client_id);
