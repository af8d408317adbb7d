-- Payslip corrections: a correction that lowers the net salary leaves an overpayment to recover from the
-- person (a raise is a salary payment of the difference, in salary_payments). Written with its event.
CREATE TABLE overpayments (
    tenant               text NOT NULL,
    payslip_id           uuid NOT NULL,  -- the correction
    corrects_payslip_id  uuid NOT NULL,
    member_id            uuid NOT NULL,
    amount_cents         bigint NOT NULL CHECK (amount_cents > 0),
    status               text NOT NULL CHECK (status IN ('to_recover')),
    recorded_at          timestamptz NOT NULL,
    PRIMARY KEY (tenant, payslip_id)
);

ALTER TABLE overpayments ENABLE ROW LEVEL SECURITY;
ALTER TABLE overpayments FORCE ROW LEVEL SECURITY;
CREATE POLICY overpayments_tenant ON overpayments TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON overpayments TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY overpayments_writers ON overpayments TO %I USING (true)', current_user);
END $$;
