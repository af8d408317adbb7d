-- A projection batch takes its projections' locks and then reads their checkpoints: one round trip instead
-- of two per projection (each costs more CPU than the read itself on these machines). VOLATILE PL/pgSQL: the
-- checkpoints are read with a snapshot taken after the locks are granted, so a batch that waited behind a
-- rebuild sees where the rebuild left them. Locks are taken in the order given (callers sort the keys), and a
-- name without a checkpoint comes back with NULLs (the log's start).
CREATE FUNCTION lock_and_load_checkpoints(lock_keys bigint[], checkpoint_names text[])
RETURNS TABLE (name text, tx_id bigint, "position" bigint)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    lock_key bigint;
BEGIN
    FOREACH lock_key IN ARRAY lock_keys LOOP
        PERFORM pg_advisory_xact_lock(lock_key);
    END LOOP;
    RETURN QUERY
        SELECT n.name, c.tx_id::text::bigint, c.position
        FROM unnest(checkpoint_names) AS n (name) LEFT JOIN checkpoints c ON c.name = n.name;
END
$$;
