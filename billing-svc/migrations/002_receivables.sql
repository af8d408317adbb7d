-- Receivables (ADR 015): read models written in the transaction that appends their events (receivable-<id>
-- and client-credit-<siren> streams), under the tenant's row-level security like every read model.

-- One row per issued invoice's receivable, as its events left it: what the collection run and the reads start from.
CREATE TABLE receivables (
    tenant             text NOT NULL,
    invoice_id         uuid NOT NULL,
    activity_id        uuid,
    number             text NOT NULL,
    buyer_siren        text,
    issue_date         date NOT NULL,
    due_date           date NOT NULL,
    total_cents        bigint NOT NULL,
    owed_cents         bigint NOT NULL,
    paid_cents         bigint NOT NULL,
    unpaid_cents       bigint NOT NULL,
    last_step          integer NOT NULL DEFAULT 0,
    covered_on         date,
    provisioned_on     date,
    written_off_on     date,
    version            integer NOT NULL,
    PRIMARY KEY (tenant, invoice_id)
);
-- The collection run's candidates: open and unpaid.
CREATE INDEX receivables_to_collect ON receivables (tenant, due_date)
    WHERE unpaid_cents > 0 AND written_off_on IS NULL;

-- What moves the amount unpaid, by date: + the total at issue, - credit notes, payments and the write-off;
-- the ageing on any date sums them.
CREATE TABLE receivable_entries (
    tenant        text NOT NULL,
    invoice_id    uuid NOT NULL,
    entry_id      uuid NOT NULL,
    kind          text NOT NULL,
    entry_date    date NOT NULL,
    amount_cents  bigint NOT NULL,
    PRIMARY KEY (tenant, entry_id)
);
CREATE INDEX receivable_entries_invoice ON receivable_entries (tenant, invoice_id);

CREATE TABLE receivable_payments (
    tenant                          text NOT NULL,
    payment_id                      uuid NOT NULL,
    invoice_id                      uuid NOT NULL,
    source                          text NOT NULL,
    amount_cents                    bigint NOT NULL,
    allocated_cents                 bigint NOT NULL,
    allocated_excluding_vat_cents   bigint NOT NULL,
    excess_cents                    bigint NOT NULL,
    to_fund                         boolean NOT NULL,
    received_on                     date NOT NULL,
    reference                       text,
    recorded_at                     timestamptz NOT NULL,
    PRIMARY KEY (tenant, invoice_id, payment_id)
);

CREATE TABLE dunning_notices (
    tenant                     text NOT NULL,
    invoice_id                 uuid NOT NULL,
    step                       integer NOT NULL,
    sent_on                    date NOT NULL,
    days_late                  integer NOT NULL,
    unpaid_cents               bigint NOT NULL,
    interest_cents             bigint NOT NULL,
    recovery_indemnity_cents   bigint NOT NULL,
    interest_periods           jsonb NOT NULL,
    PRIMARY KEY (tenant, invoice_id, step)
);

-- The guarantee fund's ledger: an advance to the activity when an invoice is covered (negative), the money
-- recovered on it afterwards (positive); amounts excluding VAT, as the activity accounts are kept.
CREATE TABLE guarantee_fund_entries (
    tenant                      text NOT NULL,
    entry_id                    uuid NOT NULL,
    invoice_id                  uuid NOT NULL,
    activity_id                 uuid,
    kind                        text NOT NULL CHECK (kind IN ('covered', 'recovered')),
    entry_date                  date NOT NULL,
    amount_cents                bigint NOT NULL,
    amount_excluding_vat_cents  bigint NOT NULL,
    recorded_at                 timestamptz NOT NULL,
    PRIMARY KEY (tenant, entry_id)
);
CREATE INDEX guarantee_fund_entries_by_date ON guarantee_fund_entries (tenant, entry_date, entry_id);

-- Each client's credit (the excess of its payments), by buyer SIREN.
CREATE TABLE client_credits (
    tenant         text NOT NULL,
    buyer_siren    text NOT NULL,
    balance_cents  bigint NOT NULL,
    PRIMARY KEY (tenant, buyer_siren)
);

ALTER TABLE receivables ENABLE ROW LEVEL SECURITY;
ALTER TABLE receivables FORCE ROW LEVEL SECURITY;
CREATE POLICY receivables_tenant ON receivables TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON receivables TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY receivables_writers ON receivables TO %I USING (true)', current_user);
END $$;

ALTER TABLE receivable_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE receivable_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY receivable_entries_tenant ON receivable_entries TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON receivable_entries TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY receivable_entries_writers ON receivable_entries TO %I USING (true)', current_user);
END $$;

ALTER TABLE receivable_payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE receivable_payments FORCE ROW LEVEL SECURITY;
CREATE POLICY receivable_payments_tenant ON receivable_payments TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON receivable_payments TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY receivable_payments_writers ON receivable_payments TO %I USING (true)', current_user);
END $$;

ALTER TABLE dunning_notices ENABLE ROW LEVEL SECURITY;
ALTER TABLE dunning_notices FORCE ROW LEVEL SECURITY;
CREATE POLICY dunning_notices_tenant ON dunning_notices TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON dunning_notices TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY dunning_notices_writers ON dunning_notices TO %I USING (true)', current_user);
END $$;

ALTER TABLE guarantee_fund_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE guarantee_fund_entries FORCE ROW LEVEL SECURITY;
CREATE POLICY guarantee_fund_entries_tenant ON guarantee_fund_entries TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON guarantee_fund_entries TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY guarantee_fund_entries_writers ON guarantee_fund_entries TO %I USING (true)', current_user);
END $$;

ALTER TABLE client_credits ENABLE ROW LEVEL SECURITY;
ALTER TABLE client_credits FORCE ROW LEVEL SECURITY;
CREATE POLICY client_credits_tenant ON client_credits TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON client_credits TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY client_credits_writers ON client_credits TO %I USING (true)', current_user);
END $$;
