-- Payloads stay as they are up to a page (ADR 027). PostgreSQL compresses a row's values once it passes
-- 2 KB, and the server builds here have only pglz: about 100 µs of the server's CPU to store a 5 KB payslip,
-- more than the rest of its insert, and decompression again on each read. Rows up to 8 KB are now stored
-- uncompressed; larger ones are still compressed. The price is room: a 5 KB payslip takes its size, not 2 KB.
ALTER TABLE events SET (toast_tuple_target = 8160);
ALTER TABLE outbox SET (toast_tuple_target = 8160);
