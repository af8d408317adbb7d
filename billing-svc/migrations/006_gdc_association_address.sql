-- The association's registered address (members.EmployerStructureRegistered, ADR 024): the GDC invoice
-- names its buyer with it. NULL for the structures registered before the event carried it.
ALTER TABLE gdc_associations ADD COLUMN address jsonb;
