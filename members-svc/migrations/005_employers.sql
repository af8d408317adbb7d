-- The directory of employer structures as the API lists and reads it; rebuilt from the events by the
-- `employer_directory` projection. Row-level security as in 002 (ADR 004).
CREATE TABLE employer_directory (
    tenant                 text NOT NULL,
    employer_structure_id  uuid NOT NULL,
    siret                  text NOT NULL,
    legal_name             text NOT NULL,
    kind                   text NOT NULL,
    vat_number             text,
    rna                    text,
    address                jsonb NOT NULL,
    contacts               jsonb NOT NULL,
    status                 text NOT NULL,
    status_reason          text,
    status_since           date,
    registered_at          timestamptz NOT NULL,
    version                integer NOT NULL,
    PRIMARY KEY (tenant, employer_structure_id),
    UNIQUE (tenant, siret)
);

ALTER TABLE employer_directory ENABLE ROW LEVEL SECURITY;
ALTER TABLE employer_directory FORCE ROW LEVEL SECURITY;
CREATE POLICY employer_directory_tenant ON employer_directory TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON employer_directory TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY employer_directory_writers ON employer_directory TO %I USING (true)', current_user);
END $$;
