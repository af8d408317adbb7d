-- GDC monthly invoice and SEPA direct debit (ADR 017).

-- The employer structures whose payroll the back-office runs, learnt from members.EmployerStructureRegistered.
CREATE TABLE gdc_associations (
    tenant         text NOT NULL,
    employer_id    uuid NOT NULL,
    siret          text NOT NULL,
    legal_name     text NOT NULL,
    kind           text,
    registered_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant, employer_id)
);

-- Every payslip learnt from payroll.PayslipIssued, as issued (a correction keeps its own full amounts: the
-- month counts the difference with the payslip it corrects). `closed_month` is the GDC month that took it.
CREATE TABLE gdc_payslips (
    tenant               text NOT NULL,
    payslip_id           uuid NOT NULL,
    employer_id          uuid NOT NULL,
    period               text NOT NULL,
    corrects_payslip_id  uuid,
    gross_cents          bigint NOT NULL,
    employer_cost_cents  bigint NOT NULL,
    issued_at            timestamptz NOT NULL,
    closed_month         text,
    PRIMARY KEY (tenant, payslip_id)
);
CREATE INDEX gdc_payslips_open ON gdc_payslips (tenant, employer_id, period) WHERE closed_month IS NULL;

-- One row per association and month closed, written with the GdcMonthClosed event: the unique key is the
-- database's own guard against a second invoice for the same month.
CREATE TABLE gdc_months (
    tenant        text NOT NULL,
    employer_id   uuid NOT NULL,
    month         text NOT NULL,
    invoice_id    uuid NOT NULL UNIQUE,
    total_cents   bigint NOT NULL,
    closed_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant, employer_id, month)
);

-- SEPA direct debit mandates (their events are the truth; this is what the monthly run looks up).
CREATE TABLE sepa_mandates (
    tenant        text NOT NULL,
    mandate_id    uuid NOT NULL,
    employer_id   uuid NOT NULL,
    reference     text NOT NULL,
    signed_on     date NOT NULL,
    recorded_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant, mandate_id),
    UNIQUE (tenant, reference)
);
CREATE INDEX sepa_mandates_employer ON sepa_mandates (tenant, employer_id, signed_on);

-- One pain.008.001.08 collection file per GDC invoice collected, as built and XSD-checked.
CREATE TABLE direct_debits (
    tenant            text NOT NULL,
    direct_debit_id   uuid NOT NULL,
    invoice_id        uuid NOT NULL,
    mandate_id        uuid NOT NULL,
    sequence_type     text NOT NULL CHECK (sequence_type IN ('FRST', 'RCUR')),
    amount_cents      bigint NOT NULL CHECK (amount_cents > 0),
    collection_date   date NOT NULL,
    pain_xml          text NOT NULL,
    created_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant, direct_debit_id),
    UNIQUE (tenant, invoice_id)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['gdc_associations', 'gdc_payslips', 'gdc_months', 'sepa_mandates', 'direct_debits'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I TO backoffice_app USING (tenant = current_setting(''app.tenant'', true))', t || '_tenant', t);
        EXECUTE format('GRANT SELECT ON %I TO backoffice_app', t);
        EXECUTE format('CREATE POLICY %I ON %I TO %I USING (true)', t || '_writers', t, current_user);
    END LOOP;
END $$;
