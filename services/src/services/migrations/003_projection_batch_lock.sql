-- A projection's batch takes its lock and then reads its checkpoint: one round trip instead of two (each
-- costs more CPU than the read itself on these machines). VOLATILE and PL/pgSQL: the checkpoint is read with a
-- snapshot taken after the lock is granted, so a batch that waited behind a rebuild sees where it left it.
CREATE FUNCTION lock_and_load_checkpoint(lock_key bigint, checkpoint_name text)
RETURNS TABLE (tx_id bigint, "position" bigint)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY SELECT c.tx_id::text::bigint, c.position FROM checkpoints c WHERE c.name = checkpoint_name;
END
$$;
