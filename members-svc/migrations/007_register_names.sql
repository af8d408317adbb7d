-- The register's clear copy of a member's name becomes erasable: NULL once the person's data is erased, and
-- `name_key` (lower case, without accents) for the search by name, dropped with it.
ALTER TABLE member_register ALTER COLUMN display_name DROP NOT NULL;
ALTER TABLE member_register ADD COLUMN name_key text;
ALTER TABLE member_register ADD COLUMN erased boolean NOT NULL DEFAULT false;
