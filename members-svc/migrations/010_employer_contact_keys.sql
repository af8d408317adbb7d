-- Employer structures' contacts are natural persons: each has a data key (ADR 008, addendum), wrapped by the
-- key-encryption key of the settings; erasing the contact deletes the row, and what the events sealed of them
-- can no longer be read.
CREATE TABLE employer_contact_keys (
    tenant                 text NOT NULL,
    employer_structure_id  uuid NOT NULL,
    contact_id             uuid NOT NULL,
    wrapped_key            bytea NOT NULL,
    kek_id                 text NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, contact_id)
);
CREATE INDEX employer_contact_keys_structure ON employer_contact_keys (tenant, employer_structure_id);

ALTER TABLE employer_contact_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE employer_contact_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY employer_contact_keys_tenant ON employer_contact_keys TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON employer_contact_keys TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY employer_contact_keys_writers ON employer_contact_keys TO %I USING (true)', current_user);
END $$;

-- Every read of a structure's contacts: who (API client, tenant), when, which structure and contacts, which
-- fields, under which request. It names fields, never their values.
CREATE TABLE employer_contact_reads (
    read_id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant                 text NOT NULL,
    employer_structure_id  uuid NOT NULL,
    contact_ids            uuid[] NOT NULL,
    client_id              text NOT NULL,
    request_id             text,
    fields                 text[] NOT NULL,
    read_at                timestamptz NOT NULL
);
CREATE INDEX employer_contact_reads_structure ON employer_contact_reads (tenant, employer_structure_id, read_id);

ALTER TABLE employer_contact_reads ENABLE ROW LEVEL SECURITY;
ALTER TABLE employer_contact_reads FORCE ROW LEVEL SECURITY;
CREATE POLICY employer_contact_reads_tenant ON employer_contact_reads TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON employer_contact_reads TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY employer_contact_reads_writers ON employer_contact_reads TO %I USING (true)', current_user);
END $$;

-- The directory held contacts in clear: it now holds them sealed (or, from older events, with an id). Emptied
-- and replayed from the events by its projection (its checkpoint back to the start).
TRUNCATE employer_directory;
DELETE FROM checkpoints WHERE name = 'projection:employer_directory';
