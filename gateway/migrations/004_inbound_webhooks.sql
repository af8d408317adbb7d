-- Inbound webhooks: who may push (a source per association, bound to one API client), its signing secrets,
-- the received bodies and the first answer to each (source, webhook-id). The message itself is an event in
-- the gateway's event store (stream `inbound-<source>-<webhook-id>`), written with the rows below.

CREATE TABLE inbound_sources (
    source_id   text PRIMARY KEY CHECK (source_id ~ '^[a-z0-9][a-z0-9_]{2,62}$'),
    tenant      text NOT NULL,
    client_id   text NOT NULL UNIQUE REFERENCES api_clients (client_id),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- `whsec_` secrets, Fernet-encrypted (HMAC verification needs the secret itself, so no hash).
-- A secret with no expiry is current; a rotation gives the previous one 24 hours.
CREATE TABLE inbound_secrets (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id   text NOT NULL REFERENCES inbound_sources (source_id),
    sealed      bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz
);
CREATE INDEX inbound_secrets_of_source ON inbound_secrets (source_id);

-- The raw body as received (Fernet-encrypted: it may hold personal data). Not an event: a row can be
-- deleted when a person is erased or the retention ends; the events keep only its digest.
CREATE TABLE inbound_payloads (
    message_id   uuid PRIMARY KEY,
    tenant       text NOT NULL,
    source_id    text NOT NULL,
    kind         text NOT NULL,
    sealed_body  bytea NOT NULL,
    received_at  timestamptz NOT NULL
);

-- The first answer to a (source, webhook-id), replayed to a redelivery. Kept at least until expires_at
-- (7 days); the event stream's expected version 0 keeps refusing duplicates after a purge.
CREATE TABLE inbound_answers (
    source_id    text NOT NULL,
    webhook_id   text NOT NULL,
    message_id   uuid NOT NULL,
    body_sha256  bytea NOT NULL,
    status       integer NOT NULL,
    answer       jsonb NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (source_id, webhook_id)
);
CREATE INDEX inbound_answers_expiry ON inbound_answers (expires_at);
