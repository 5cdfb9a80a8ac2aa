SET LOCAL ROLE identity_owner;

-- What appending an audit entry needs, in one round trip: takes the tenant's chain lock,
-- then reads the chain's head (NULLs for an empty chain) and the sealed IP salt and chain
-- key (NULL until first made; names as in src/audit/mod.rs). The function is VOLATILE, so
-- its SELECT takes a fresh snapshot after the lock is granted and sees the entry the
-- previous holder committed (a single plain statement would read with a snapshot from
-- before it waited). SECURITY INVOKER: row-level security still applies.
CREATE FUNCTION audit_chain_head(p_tenant uuid, p_lock_key text)
RETURNS TABLE (seq bigint, hash text, ip_salt_enc text, chain_key_enc text)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_lock_key, 0));
    RETURN QUERY
        SELECT h.seq, h.hash,
            (SELECT s.value_enc FROM tenant_secrets s
              WHERE s.tenant_id = p_tenant AND s.name = 'audit_ip_salt'),
            (SELECT s.value_enc FROM tenant_secrets s
              WHERE s.tenant_id = p_tenant AND s.name = 'audit_chain_key')
        FROM (SELECT 1) AS one
        LEFT JOIN LATERAL (
            SELECT a.seq, a.hash FROM audit_log a
            WHERE a.tenant_id = p_tenant
            ORDER BY a.seq DESC
            LIMIT 1
        ) h ON true;
END
$$;
REVOKE ALL ON FUNCTION audit_chain_head(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_chain_head(uuid, text) TO identity_app;

RESET ROLE;
