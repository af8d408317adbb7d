-- The role the API reads as (services.tenancy, ADR 004), once per cluster, and its access to this schema.
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'backoffice_app') THEN
        CREATE ROLE backoffice_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$ BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO backoffice_app', current_schema());
END $$;

-- Gapless numbering: one counter row per (tenant, series), locked FOR UPDATE by the finalisation that takes
-- the next number, in the same transaction as the finalisation's events and its issued document (ADR 011):
-- a crash before commit rolls back the number, the events and the document together.
CREATE TABLE invoice_counters (
    tenant         text NOT NULL,
    series         text NOT NULL,
    last_sequence  bigint NOT NULL DEFAULT 0 CHECK (last_sequence >= 0),
    PRIMARY KEY (tenant, series)
);

-- Every issued invoice and credit note with its Factur-X CII XML as issued (never updated); the unique
-- (tenant, series, sequence) is the database's own guard against a duplicate number.
CREATE TABLE issued_invoices (
    tenant             text NOT NULL,
    invoice_id         uuid NOT NULL,
    type_code          text NOT NULL,
    series             text NOT NULL,
    sequence           bigint NOT NULL,
    number             text NOT NULL,
    issue_date         date NOT NULL,
    total_cents        bigint NOT NULL,
    corrects           uuid,
    cii_xml            text NOT NULL,
    issued_at          timestamptz NOT NULL,
    PRIMARY KEY (tenant, invoice_id),
    UNIQUE (tenant, series, sequence),
    UNIQUE (tenant, number)
);
CREATE INDEX issued_invoices_corrects ON issued_invoices (tenant, corrects) WHERE corrects IS NOT NULL;

ALTER TABLE invoice_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE invoice_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY invoice_counters_tenant ON invoice_counters TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON invoice_counters TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY invoice_counters_writers ON invoice_counters TO %I USING (true)', current_user);
END $$;

ALTER TABLE issued_invoices ENABLE ROW LEVEL SECURITY;
ALTER TABLE issued_invoices FORCE ROW LEVEL SECURITY;
CREATE POLICY issued_invoices_tenant ON issued_invoices TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON issued_invoices TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY issued_invoices_writers ON issued_invoices TO %I USING (true)', current_user);
END $$;
