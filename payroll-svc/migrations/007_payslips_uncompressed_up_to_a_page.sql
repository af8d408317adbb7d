-- The issued payslip kept with its read-model row, uncompressed up to a page like the events (ADR 027).
ALTER TABLE payslips SET (toast_tuple_target = 8160);
