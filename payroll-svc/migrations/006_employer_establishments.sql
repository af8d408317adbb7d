-- The employers' establishments, as contracts-svc publishes them with each drafted contract (their SIRENE
-- registration: public, a legal structure's, not a person's). A payslip names its contract's establishment,
-- and the DSN of a SIRET declares the contracts made under it, whoever their employer.
CREATE TABLE establishments (
    tenant       text NOT NULL,
    siret        text NOT NULL,
    legal_name   text NOT NULL,
    ape_code     text NOT NULL,
    street       text NOT NULL,
    postal_code  text NOT NULL,
    city         text NOT NULL,
    named_at     timestamptz NOT NULL,  -- the draft that named it last: a newer registration replaces an older
    PRIMARY KEY (tenant, siret)
);

CREATE TABLE contract_establishments (
    tenant       text NOT NULL,
    contract_id  uuid NOT NULL,
    siret        text NOT NULL,
    PRIMARY KEY (tenant, contract_id)
);
CREATE INDEX contract_establishments_siret ON contract_establishments (tenant, siret);

ALTER TABLE establishments ENABLE ROW LEVEL SECURITY;
ALTER TABLE establishments FORCE ROW LEVEL SECURITY;
CREATE POLICY establishments_tenant ON establishments TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON establishments TO backoffice_app;
ALTER TABLE contract_establishments ENABLE ROW LEVEL SECURITY;
ALTER TABLE contract_establishments FORCE ROW LEVEL SECURITY;
CREATE POLICY contract_establishments_tenant ON contract_establishments TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON contract_establishments TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY establishments_writers ON establishments TO %I USING (true)', current_user);
    EXECUTE format('CREATE POLICY contract_establishments_writers ON contract_establishments TO %I USING (true)',
                   current_user);
END $$;
