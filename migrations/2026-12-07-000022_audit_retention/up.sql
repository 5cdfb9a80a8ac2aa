-- Audit retention: the oldest entries of a workspace's chain are removed once they are
-- older than the retention window, always as a prefix of the chain and never the head, so
-- the chain stays one unbroken run from its first kept entry. The service records the cut
-- in the chain itself (an `audit.retention_cut` entry naming the last removed seq and
-- hash), which `identity audit verify` requires before it accepts a chain that does not
-- start at seq 1. SECURITY DEFINER for the DELETE the runtime role lacks; row-level
-- security still applies (forced), and the tenant must be the transaction's.
SET LOCAL ROLE identity_owner;
CREATE FUNCTION audit_retention_cut(p_tenant uuid, p_before timestamptz)
RETURNS TABLE (removed bigint, through_seq bigint, last_hash text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_head bigint;
    v_through bigint;
BEGIN
    IF p_tenant IS DISTINCT FROM NULLIF(current_setting('app.tenant_id', true), '')::uuid THEN
        RAISE EXCEPTION 'audit_retention_cut: not the transaction''s tenant';
    END IF;
    SELECT max(a.seq) INTO v_head FROM audit_log a WHERE a.tenant_id = p_tenant;
    IF v_head IS NULL THEN
        RETURN QUERY SELECT 0::bigint, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    -- The prefix: everything before the first entry still inside the window (entries are
    -- chained in commit order, so a newer one may sit before an older one), and never the
    -- head, which the next entry links to.
    SELECT coalesce(min(a.seq) - 1, v_head) INTO v_through
    FROM audit_log a WHERE a.tenant_id = p_tenant AND a.occurred_at >= p_before;
    v_through := least(v_through, v_head - 1);
    RETURN QUERY
    WITH gone AS (
        DELETE FROM audit_log a
        WHERE a.tenant_id = p_tenant AND a.seq <= v_through
        RETURNING a.seq, a.hash
    )
    SELECT count(*)::bigint, max(g.seq), (SELECT g2.hash FROM gone g2 ORDER BY g2.seq DESC LIMIT 1)
    FROM gone g;
END
$$;
REVOKE ALL ON FUNCTION audit_retention_cut(uuid, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_retention_cut(uuid, timestamptz) TO identity_app;
RESET ROLE;
