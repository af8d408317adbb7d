-- Every draft used to rewrite its establishment's one row (a newer `named_at`): the drafts of one SIRET (all
-- of Coop Portage's hires) queued on that row's lock for as long as their inbox transactions lasted, so
-- payroll's consumer of contracts went one draft at a time, however many lanes or instances it had. Now a draft
-- only inserts: its contract's naming (the SIRET, when, and which registration), and the registration itself
-- once per content. The establishment's fields are those of the latest naming of its SIRET, whatever order the
-- drafts arrive in, as before.
CREATE TABLE establishment_registrations (
    tenant        text NOT NULL,
    siret         text NOT NULL,
    registration  bytea NOT NULL,  -- sha256 of the fields below, joined by U+001F: one row per content
    legal_name    text NOT NULL,
    ape_code      text NOT NULL,
    street        text NOT NULL,
    postal_code   text NOT NULL,
    city          text NOT NULL,
    PRIMARY KEY (tenant, siret, registration)
);

INSERT INTO establishment_registrations
SELECT tenant, siret,
       sha256(convert_to(concat_ws(chr(31), legal_name, ape_code, street, postal_code, city), 'UTF8')),
       legal_name, ape_code, street, postal_code, city
FROM establishments;

ALTER TABLE contract_establishments ADD COLUMN registration bytea, ADD COLUMN named_at timestamptz;
-- Contracts drafted before keep the one registration known of their SIRET, at the time it was named.
UPDATE contract_establishments c
SET registration = sha256(convert_to(concat_ws(chr(31), e.legal_name, e.ape_code, e.street, e.postal_code, e.city),
                                     'UTF8')),
    named_at = e.named_at
FROM establishments e
WHERE e.tenant = c.tenant AND e.siret = c.siret;
ALTER TABLE contract_establishments ALTER COLUMN registration SET NOT NULL, ALTER COLUMN named_at SET NOT NULL;

-- The latest naming of a SIRET: the first entry of this index.
DROP INDEX contract_establishments_siret;
CREATE INDEX contract_establishments_latest ON contract_establishments (tenant, siret, named_at DESC);

DROP TABLE establishments;

ALTER TABLE establishment_registrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE establishment_registrations FORCE ROW LEVEL SECURITY;
CREATE POLICY establishment_registrations_tenant ON establishment_registrations TO backoffice_app
    USING (tenant = current_setting('app.tenant', true));
GRANT SELECT ON establishment_registrations TO backoffice_app;
DO $$ BEGIN
    EXECUTE format('CREATE POLICY establishment_registrations_writers ON establishment_registrations TO %I USING (true)',
                   current_user);
END $$;
