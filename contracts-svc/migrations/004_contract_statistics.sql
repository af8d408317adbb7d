-- The "Production de projets" statistics (issue 5, item 8), rebuilt from the events by the `contract_statistics`
-- projection: one row per contract with the coarse attributes it is counted by (gender and age band, derived at
-- the DPAE and kept on HireDeclared, ADR 009 addendum; the sector), and the minutes worked per Paris day, keyed
-- by the report's stream version so a replay writes each report once. RLS as in 002.
CREATE TABLE contract_statistics (
    tenant         text NOT NULL,
    contract_id    uuid NOT NULL,
    member_id      uuid NOT NULL,
    contract_type  text NOT NULL,
    sector         text,
    gender         text,
    age_band       text,
    starts_on      date NOT NULL,
    ends_on        date,
    completed_on   date,
    hired          boolean NOT NULL DEFAULT false,
    cancelled      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant, contract_id)
);
CREATE INDEX contract_statistics_period ON contract_statistics (tenant, starts_on);

CREATE TABLE contract_work_days (
    tenant          text NOT NULL,
    contract_id     uuid NOT NULL,
    stream_version  integer NOT NULL,
    day             date NOT NULL,
    minutes         integer NOT NULL,
    PRIMARY KEY (tenant, contract_id, stream_version, day)
);
CREATE INDEX contract_work_days_day ON contract_work_days (tenant, contract_id, day);

ALTER TABLE contract_statistics ENABLE ROW LEVEL SECURITY;
ALTER TABLE contract_statistics FORCE ROW LEVEL SECURITY;
CREATE POLICY contract_statistics_tenant ON contract_statistics TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON contract_statistics TO backoffice_app;
ALTER TABLE contract_work_days ENABLE ROW LEVEL SECURITY;
ALTER TABLE contract_work_days FORCE ROW LEVEL SECURITY;
CREATE POLICY contract_work_days_tenant ON contract_work_days TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON contract_work_days TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY contract_statistics_writers ON contract_statistics TO %I USING (true)',
                   current_user);
    EXECUTE format('CREATE POLICY contract_work_days_writers ON contract_work_days TO %I USING (true)',
                   current_user);
END $$;
