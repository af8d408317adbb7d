-- The members contracts-svc may employ, as members-svc's public events told it (never read from its database).
CREATE TABLE known_members (
    tenant       text NOT NULL,
    member_id    uuid NOT NULL,
    person_kind  text NOT NULL,
    applied_at   timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, member_id)
);
