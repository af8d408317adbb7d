-- One payslip per contract and month (contracts.WorkReported consumed): the payslips' ceiling, so that a
-- person's payslips of one month share one PMSS, and the contracts whose reported work is not paid yet,
-- which a month's close goes through. Both written in the transaction of the events they show.
ALTER TABLE payslips ADD COLUMN ceiling_cents bigint NOT NULL DEFAULT 0;
UPDATE payslips SET ceiling_cents = (issued->>'ceiling_cents')::bigint;
CREATE INDEX payslips_of_a_month ON payslips (tenant, member_id, period);

CREATE TABLE unpaid_work (
    tenant          text NOT NULL,
    contract_id     uuid NOT NULL,
    earliest_month  date NOT NULL,  -- the month of the oldest work not on a payslip yet
    PRIMARY KEY (tenant, contract_id)
);
CREATE INDEX unpaid_work_by_month ON unpaid_work (tenant, earliest_month);

ALTER TABLE unpaid_work ENABLE ROW LEVEL SECURITY;
ALTER TABLE unpaid_work FORCE ROW LEVEL SECURITY;
CREATE POLICY unpaid_work_tenant ON unpaid_work TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON unpaid_work TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY unpaid_work_writers ON unpaid_work TO %I USING (true)', current_user);
END $$;
