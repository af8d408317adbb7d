-- API clients: each belongs to one tenant and holds scopes. Keys are stored as SHA-256 hashes only.
CREATE TABLE api_clients (
    client_id    text PRIMARY KEY,
    tenant       text NOT NULL,
    name         text NOT NULL,
    scopes       text[] NOT NULL,
    api_version  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    key_hash     bytea PRIMARY KEY,
    client_id    text NOT NULL REFERENCES api_clients (client_id),
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
