-- The payment run journal: a run is written here (with its PaymentRunStarted event) before its file goes to
-- the bank, and marked recorded or abandoned with the bank's answer. A run still 'sending' was interrupted:
-- the next run asks the bank what became of it instead of sending its salaries again.
CREATE TABLE payment_runs (
    tenant      text NOT NULL,
    run_id      text NOT NULL,  -- the payment file's message id
    run_on      date NOT NULL,
    status      text NOT NULL CHECK (status IN ('sending', 'recorded', 'abandoned')),
    salaries    integer NOT NULL,
    started_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant, run_id)
);
CREATE INDEX payment_runs_sending ON payment_runs (tenant) WHERE status = 'sending';

ALTER TABLE payment_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY payment_runs_tenant ON payment_runs TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON payment_runs TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY payment_runs_writers ON payment_runs TO %I USING (true)', current_user);
END $$;
