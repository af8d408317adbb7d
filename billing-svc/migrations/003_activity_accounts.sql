-- Activity accounts (ADR 016). The events (stream account-<activity_id>) are the truth; these tables are
-- written in the same transaction as each append, and say what the API lists and the statement shows.

-- One row per movement (a payment, a payslip, an expense claim, the guarantee fund): what a statement line
-- says, with the balance after it.
CREATE TABLE account_movements (
    tenant                     text NOT NULL,
    activity_id                uuid NOT NULL,
    stream_version             integer NOT NULL,
    kind                       text NOT NULL,   -- payment, guarantee_fund, fund_recovery, payslip, expense_claim
    on_day                     date NOT NULL,   -- the business day (Europe/Paris)
    reference_id               uuid NOT NULL,   -- the payment, the invoice covered, the payslip, the claim
    invoice_id                 uuid,
    contract_id                uuid,
    description                text NOT NULL,
    gross_cents                bigint NOT NULL, -- before the contribution (payments), or the amount debited
    contribution_rate          numeric,
    contribution_cents         bigint NOT NULL DEFAULT 0,
    activity_cents             bigint NOT NULL, -- the signed effect on the balance
    balance_after_cents        bigint NOT NULL,
    recorded_at                timestamptz NOT NULL,
    PRIMARY KEY (tenant, activity_id, stream_version)
);
CREATE INDEX account_movements_by_day ON account_movements (tenant, activity_id, on_day, stream_version);

-- Every ledger entry, its two legs: the double entry as recorded, listed with cursor pagination.
CREATE TABLE account_entries (
    tenant           text NOT NULL,
    activity_id      uuid NOT NULL,
    stream_version   integer NOT NULL,
    line             smallint NOT NULL,
    label            text NOT NULL,
    debit_account    text NOT NULL,
    credit_account   text NOT NULL,
    amount_cents     bigint NOT NULL CHECK (amount_cents >= 0),
    on_day           date NOT NULL,
    recorded_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant, activity_id, stream_version, line)
);

-- A contract of a member's activity, learnt from contracts.BudgetReservationRequested: payroll's
-- PayslipIssued names the contract only.
CREATE TABLE contract_activities (
    tenant       text NOT NULL,
    contract_id  uuid NOT NULL,
    activity_id  uuid NOT NULL,
    PRIMARY KEY (tenant, contract_id)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['account_movements', 'account_entries', 'contract_activities'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I TO backoffice_app USING (tenant = current_setting(''app.tenant'', true))',
            t || '_tenant', t);
        EXECUTE format('GRANT SELECT ON %I TO backoffice_app', t);
        EXECUTE format('CREATE POLICY %I ON %I TO %I USING (true)', t || '_writers', t, current_user);
    END LOOP;
END $$;
