-- Personal data under crypto-shredding (ADR 008). Each natural person's data key, wrapped by the
-- key-encryption key of the settings; erasure deletes the row, and what the events hold can no longer be read.
CREATE TABLE personal_data_keys (
    tenant       text NOT NULL,
    member_id    uuid NOT NULL,
    wrapped_key  bytea NOT NULL,
    kek_id       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant, member_id)
);

ALTER TABLE personal_data_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE personal_data_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY personal_data_keys_tenant ON personal_data_keys TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON personal_data_keys TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY personal_data_keys_writers ON personal_data_keys TO %I USING (true)', current_user);
END $$;

-- Every read of a person's data: who (API client, tenant), when, whose, which fields, under which request.
-- It names fields, never their values.
CREATE TABLE personal_data_reads (
    read_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant       text NOT NULL,
    member_id    uuid NOT NULL,
    client_id    text NOT NULL,
    request_id   text,
    fields       text[] NOT NULL,
    read_at      timestamptz NOT NULL
);
CREATE INDEX personal_data_reads_member ON personal_data_reads (tenant, member_id, read_id);

ALTER TABLE personal_data_reads ENABLE ROW LEVEL SECURITY;
ALTER TABLE personal_data_reads FORCE ROW LEVEL SECURITY;
CREATE POLICY personal_data_reads_tenant ON personal_data_reads TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON personal_data_reads TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY personal_data_reads_writers ON personal_data_reads TO %I USING (true)', current_user);
END $$;
