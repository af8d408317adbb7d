-- payroll-svc's read models, written in the same transaction as the events they show (the consumer of
-- contracts.events and the payment run): payslips and the salary payments the 7-day promise schedules.
CREATE TABLE payslips (
    tenant               text NOT NULL,
    payslip_id           uuid NOT NULL,
    contract_id          uuid NOT NULL,
    member_id            uuid NOT NULL,
    employer_id          uuid NOT NULL,
    period               date NOT NULL,
    corrects_payslip_id  uuid,
    gross_cents          bigint NOT NULL,
    net_paid_cents       bigint NOT NULL,
    employer_cost_cents  bigint NOT NULL,
    issued_at            timestamptz NOT NULL,
    issued               jsonb NOT NULL,  -- the private PayslipIssued event: lines and totals, for the PDF
    PRIMARY KEY (tenant, payslip_id)
);
CREATE INDEX payslips_listing ON payslips (tenant, issued_at, payslip_id);

CREATE TABLE salary_payments (
    tenant           text NOT NULL,
    payslip_id       uuid NOT NULL,
    member_id        uuid NOT NULL,
    net_cents        bigint NOT NULL,
    last_day_worked  date NOT NULL,
    due_on           date NOT NULL,
    status           text NOT NULL CHECK (status IN ('scheduled', 'paid', 'rejected')),
    paid_on          date,
    on_time          boolean,
    run_id           text,
    rejection        text,
    version          integer NOT NULL,
    scheduled_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant, payslip_id)
);
CREATE INDEX salary_payments_due ON salary_payments (tenant, due_on, payslip_id);
