-- Person erasure (GDPR article 17): the person's identifiers in the audit chain are replaced
-- by a pseudonym whose mapping is never stored, and the chain is re-linked from the first
-- changed entry with the tenant's chain key (which only the service holds, so a rewrite by
-- anyone else still breaks `verify`). The runtime role cannot update audit_log; this is its
-- one narrow way: only actor, target, details and the two hashes change, only in the
-- transaction's tenant, and a changed actor or target must carry the `erased:` pseudonym.
SET LOCAL ROLE identity_owner;

CREATE FUNCTION audit_chain_rewrite(p_tenant uuid, p_rows jsonb)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    IF p_tenant IS DISTINCT FROM NULLIF(current_setting('app.tenant_id', true), '')::uuid THEN
        RAISE EXCEPTION 'audit_chain_rewrite: not the transaction''s tenant';
    END IF;
    IF EXISTS (
        SELECT 1 FROM jsonb_to_recordset(p_rows) AS r(seq bigint, actor text, target text)
        JOIN audit_log a ON a.tenant_id = p_tenant AND a.seq = r.seq
        WHERE (r.actor <> a.actor AND r.actor NOT LIKE '%erased:%')
           OR (r.target <> a.target AND r.target NOT LIKE '%erased:%')
    ) THEN
        RAISE EXCEPTION 'audit_chain_rewrite: an actor or target may only become a pseudonym';
    END IF;
    UPDATE audit_log a
    SET actor = r.actor, target = r.target, details = r.details,
        prev_hash = r.prev_hash, hash = r.hash
    FROM jsonb_to_recordset(p_rows) AS r(seq bigint, actor text, target text, details jsonb,
                                         prev_hash text, hash text)
    WHERE a.tenant_id = p_tenant AND a.seq = r.seq;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> jsonb_array_length(p_rows) THEN
        RAISE EXCEPTION 'audit_chain_rewrite: % rows for % entries', jsonb_array_length(p_rows), n;
    END IF;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION audit_chain_rewrite(uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_chain_rewrite(uuid, jsonb) TO identity_app;

RESET ROLE;
