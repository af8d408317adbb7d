-- The chassis's tables, created in every service's schema (search_path is set to it).

-- Private events: append-only, never UPDATE or DELETE.
CREATE TABLE events (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx_id           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    stream_id       text NOT NULL,
    stream_version  integer NOT NULL CHECK (stream_version > 0),
    event_id        uuid NOT NULL UNIQUE,
    event_type      text NOT NULL,
    schema_version  integer NOT NULL DEFAULT 1,
    data            jsonb NOT NULL,
    metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
    tenant          text NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (stream_id, stream_version)
);
-- Reading all in commit order walks this index.
CREATE INDEX events_commit_order ON events (tx_id, global_position);

-- Public events waiting for (or, on the PostgreSQL transport, serving as) the bus.
CREATE TABLE outbox (
    position     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx_id        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    topic        text NOT NULL,
    message_key  text NOT NULL,
    event_id     uuid NOT NULL UNIQUE,
    envelope     jsonb NOT NULL,
    traceparent  text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_commit_order ON outbox (tx_id, position);

-- Where each reader of a commit-ordered log (relay, subscriber, projection) has got to.
CREATE TABLE checkpoints (
    name        text PRIMARY KEY,
    tx_id       xid8 NOT NULL,
    position    bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Messages whose effects are done: recorded in the same transaction as the effects.
CREATE TABLE inbox (
    consumer      text NOT NULL,
    event_id      uuid NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Messages that kept failing: shown on the ops page, replayable.
CREATE TABLE dead_letters (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer     text NOT NULL,
    topic        text NOT NULL,
    event_id     uuid NOT NULL,
    envelope     jsonb NOT NULL,
    error        text NOT NULL,
    attempts     integer NOT NULL,
    failed_at    timestamptz NOT NULL DEFAULT now(),
    replayed_at  timestamptz
);
CREATE INDEX dead_letters_pending ON dead_letters (consumer) WHERE replayed_at IS NULL;
