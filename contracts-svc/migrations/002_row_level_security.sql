-- Row-level security behind the tenant filter of every read (services.tenancy, ADR 004): the API reads as
-- backoffice_app with app.tenant set; the consumer of members.events writes as the tables' owner (the second
-- policy).
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'backoffice_app') THEN
        CREATE ROLE backoffice_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$ BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO backoffice_app', current_schema());
END $$;

ALTER TABLE known_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE known_members FORCE ROW LEVEL SECURITY;
CREATE POLICY known_members_tenant ON known_members TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON known_members TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY known_members_writers ON known_members TO %I USING (true)', current_user);
END $$;
