-- The register as the API reads it; rebuilt from the events by the `member_register` projection.
CREATE TABLE member_register (
    tenant        text NOT NULL,
    member_id     uuid NOT NULL,
    person_kind   text NOT NULL,
    display_name  text NOT NULL,
    category      integer,
    status        text NOT NULL,
    applied_at    timestamptz NOT NULL,
    version       integer NOT NULL,
    PRIMARY KEY (tenant, member_id)
);
