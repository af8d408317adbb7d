-- The GDC monthly runs billing's worker started by itself (ADR 017 amendment), recorded once completed: a
-- later tick, or a worker started later in the month, leaves a run done; a missing one is caught up.
CREATE TABLE gdc_scheduled_runs (
    tenant        text NOT NULL,
    run_on        date NOT NULL,
    month         text NOT NULL,
    invoices      integer NOT NULL,
    held          integer NOT NULL,
    completed_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant, run_on)
);

ALTER TABLE gdc_scheduled_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE gdc_scheduled_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY gdc_scheduled_runs_tenant ON gdc_scheduled_runs TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON gdc_scheduled_runs TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY gdc_scheduled_runs_writers ON gdc_scheduled_runs TO %I USING (true)', current_user);
END $$;
