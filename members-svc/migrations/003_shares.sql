-- Shares (parts sociales) as the API reads them; rebuilt from the events by the `capital` projection.
-- Per member: the current holding (subscribed, paid, unpaid = subscribed - paid) and what was repaid.
CREATE TABLE member_shares (
    tenant             text NOT NULL,
    member_id          uuid NOT NULL,
    share_count        integer NOT NULL,
    nominal_cents      bigint NOT NULL,
    subscribed_cents   bigint NOT NULL,
    paid_cents         bigint NOT NULL,
    repaid_cents       bigint NOT NULL DEFAULT 0,
    liability_ends_on  date,
    version            integer NOT NULL,
    PRIMARY KEY (tenant, member_id)
);
-- Per tenant: the capital stream's running totals (capital and its historic maximum, C. com. L231-5).
CREATE TABLE capital_totals (
    tenant              text PRIMARY KEY,
    capital_cents       bigint NOT NULL,
    historic_max_cents  bigint NOT NULL
);

ALTER TABLE member_shares ENABLE ROW LEVEL SECURITY;
ALTER TABLE member_shares FORCE ROW LEVEL SECURITY;
CREATE POLICY member_shares_tenant ON member_shares TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON member_shares TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY member_shares_writers ON member_shares TO %I USING (true)', current_user);
END $$;

ALTER TABLE capital_totals ENABLE ROW LEVEL SECURITY;
ALTER TABLE capital_totals FORCE ROW LEVEL SECURITY;
CREATE POLICY capital_totals_tenant ON capital_totals TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON capital_totals TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY capital_totals_writers ON capital_totals TO %I USING (true)', current_user);
END $$;
