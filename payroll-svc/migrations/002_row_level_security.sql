-- Row-level security behind the tenant filter of every read (services.tenancy, ADR 004): the API reads as
-- backoffice_app with app.tenant set; the consumer of contracts.events and the payment run write as the
-- tables' owner (the second policy).
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'backoffice_app') THEN
        CREATE ROLE backoffice_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$ BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO backoffice_app', current_schema());
END $$;

ALTER TABLE payslips ENABLE ROW LEVEL SECURITY;
ALTER TABLE payslips FORCE ROW LEVEL SECURITY;
CREATE POLICY payslips_tenant ON payslips TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON payslips TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY payslips_writers ON payslips TO %I USING (true)', current_user);
END $$;

ALTER TABLE salary_payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE salary_payments FORCE ROW LEVEL SECURITY;
CREATE POLICY salary_payments_tenant ON salary_payments TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON salary_payments TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY salary_payments_writers ON salary_payments TO %I USING (true)', current_user);
END $$;
