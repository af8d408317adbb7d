-- The contracts as the API lists them, rebuilt from the events by the `contract_directory` projection; and the
-- work each person reported under every contract (any employer of the tenant), which the working-time limits
-- are checked against. `worked_time` is written in the reporting command's transaction (so the next report
-- sees it at once) and by its projection (so it can be rebuilt), idempotently on its key. RLS as in 002.
CREATE TABLE contract_directory (
    tenant              text NOT NULL,
    contract_id         uuid NOT NULL,
    member_id           uuid NOT NULL,
    employer_id         uuid NOT NULL,
    employer_kind       text NOT NULL,
    employer_name       text NOT NULL,
    contract_type       text NOT NULL,
    job_title           text NOT NULL,
    sector              text,
    starts_at           timestamptz NOT NULL,
    starts_on           date NOT NULL,
    ends_on             date,
    status              text NOT NULL,
    acknowledgement_id  text,
    late_declaration    boolean NOT NULL DEFAULT false,
    minutes_worked      integer NOT NULL DEFAULT 0,
    days_worked         integer NOT NULL DEFAULT 0,
    completed_on        date,
    drafted_at          timestamptz NOT NULL,
    version             integer NOT NULL,
    PRIMARY KEY (tenant, contract_id)
);
CREATE INDEX contract_directory_member ON contract_directory (tenant, member_id, contract_id);
CREATE INDEX contract_directory_employer ON contract_directory (tenant, employer_id, contract_id);

CREATE TABLE worked_time (
    tenant          text NOT NULL,
    member_id       uuid NOT NULL,
    contract_id     uuid NOT NULL,
    employer_id     uuid NOT NULL,
    stream_version  integer NOT NULL,
    period          integer NOT NULL,
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    PRIMARY KEY (tenant, contract_id, stream_version, period)
);
CREATE INDEX worked_time_person ON worked_time (tenant, member_id, starts_at);

ALTER TABLE contract_directory ENABLE ROW LEVEL SECURITY;
ALTER TABLE contract_directory FORCE ROW LEVEL SECURITY;
CREATE POLICY contract_directory_tenant ON contract_directory TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON contract_directory TO backoffice_app;
ALTER TABLE worked_time ENABLE ROW LEVEL SECURITY;
ALTER TABLE worked_time FORCE ROW LEVEL SECURITY;
CREATE POLICY worked_time_tenant ON worked_time TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON worked_time TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY contract_directory_writers ON contract_directory TO %I USING (true)', current_user);
    EXECUTE format('CREATE POLICY worked_time_writers ON worked_time TO %I USING (true)', current_user);
END $$;
