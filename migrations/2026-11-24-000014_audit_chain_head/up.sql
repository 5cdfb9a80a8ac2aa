SET LOCAL ROLE identity_owner;

-- Takes the tenant's chain lock and then reads the chain's head, in one round trip. The
-- function is VOLATILE, so its SELECT takes a fresh snapshot after the lock is granted and
-- sees the entry the previous holder committed (a single plain statement would read with
-- a snapshot from before it waited). SECURITY INVOKER: row-level security still applies.
CREATE FUNCTION audit_chain_head(p_tenant uuid, p_lock_key text)
RETURNS TABLE (seq bigint, hash text)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_lock_key, 0));
    RETURN QUERY
        SELECT a.seq, a.hash FROM audit_log a
        WHERE a.tenant_id = p_tenant
        ORDER BY a.seq DESC
        LIMIT 1;
END
$$;
REVOKE ALL ON FUNCTION audit_chain_head(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_chain_head(uuid, text) TO identity_app;

RESET ROLE;
