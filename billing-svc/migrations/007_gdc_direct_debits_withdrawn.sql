-- A collection withdrawn with its mandate's revocation (DirectDebitWithdrawn, ADR 017): its file is not served
-- any more (410 direct_debit_withdrawn). Written in the revocation's transaction; NULL while it stands.
ALTER TABLE direct_debits
    ADD COLUMN withdrawn_at timestamptz,
    ADD COLUMN withdrawal_reason text CHECK (withdrawal_reason IN ('mandate_revoked')),
    ADD COLUMN mandate_revoked_on date,
    ADD CONSTRAINT direct_debits_withdrawn_with_reason
        CHECK ((withdrawn_at IS NULL) = (withdrawal_reason IS NULL));
