-- General assemblies and their votes as the API reads them; rebuilt from the events by the
-- `assembly_results` projection. Row-level security as in 002 (the API reads as backoffice_app).
CREATE TABLE assemblies (
    tenant            text NOT NULL,
    assembly_id       uuid NOT NULL,
    title             text NOT NULL,
    kind              text NOT NULL,
    held_on           date NOT NULL,
    members_convened  integer NOT NULL,
    resolutions       jsonb NOT NULL,
    colleges          jsonb NOT NULL,
    rules             jsonb NOT NULL,
    convened_at       timestamptz NOT NULL,
    version           integer NOT NULL,
    PRIMARY KEY (tenant, assembly_id)
);

CREATE TABLE assembly_votes (
    tenant       text NOT NULL,
    assembly_id  uuid NOT NULL,
    member_id    uuid NOT NULL,
    resolution   integer NOT NULL,
    category     integer NOT NULL,
    college      text NOT NULL,
    choice       text NOT NULL,
    cast_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant, assembly_id, resolution, member_id)
);

ALTER TABLE assemblies ENABLE ROW LEVEL SECURITY;
ALTER TABLE assemblies FORCE ROW LEVEL SECURITY;
CREATE POLICY assemblies_tenant ON assemblies TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON assemblies TO backoffice_app;

ALTER TABLE assembly_votes ENABLE ROW LEVEL SECURITY;
ALTER TABLE assembly_votes FORCE ROW LEVEL SECURITY;
CREATE POLICY assembly_votes_tenant ON assembly_votes TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON assembly_votes TO backoffice_app;

DO $$ BEGIN
    EXECUTE format('CREATE POLICY assemblies_writers ON assemblies TO %I USING (true)', current_user);
    EXECUTE format('CREATE POLICY assembly_votes_writers ON assembly_votes TO %I USING (true)', current_user);
END $$;
