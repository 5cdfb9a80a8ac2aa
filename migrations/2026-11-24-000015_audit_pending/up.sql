SET LOCAL ROLE identity_owner;

-- Audit entries written with their action but not yet in the chain. Appending to a tenant's
-- chain needs its chain lock held until COMMIT, so a chain can grow by at most one entry
-- per commit flush; measured here that capped one tenant's audited writes near 800/s.
-- Requests now insert here, in the action's own transaction and without the lock; the
-- chainer (src/audit/chainer.rs) moves entries into audit_log in batches, one lock and one
-- flush per batch.
--
-- n orders entries as they were written; id (made by the service) names the entry for
-- good: it is the row of the seal's associated data and is kept in audit_log.entry_id, so
-- an entry is chained once. seal is an envelope ciphertext (platform key) of the entry's
-- digest and source IP: the chainer refuses an entry whose seal does not open or does not
-- match, so the database alone can neither forge nor edit a waiting entry, and the IP is
-- never stored in clear.
CREATE TABLE audit_pending (
    n           bigint GENERATED ALWAYS AS IDENTITY,
    id          uuid NOT NULL,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    occurred_at timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    trace_id    text NOT NULL DEFAULT '',
    details     jsonb NOT NULL DEFAULT '{}',
    seal        text NOT NULL,
    PRIMARY KEY (tenant_id, n),
    UNIQUE (tenant_id, id)
);
-- Write and read only. Entries leave only through audit_chain_append below, which puts
-- each one into audit_log in the same statement.
GRANT SELECT, INSERT ON audit_pending TO identity_app;
ALTER TABLE audit_pending ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_pending FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_pending
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- The waiting entry each chained entry came from (NULL for entries chained before).
ALTER TABLE audit_log ADD COLUMN entry_id uuid;
CREATE UNIQUE INDEX audit_log_entry ON audit_log (tenant_id, entry_id);

-- Appends chained entries (a JSON array of audit_log rows, each with `taken`: the waiting
-- entry it stands for, and `entry_id`: that entry's id, or null when the chainer refused the
-- entry and chains a record of the refusal instead) and removes the waiting entries they
-- came from, all or nothing: an entry cannot leave audit_pending
-- without a row in the chain, whose hash only the service can compute. SECURITY DEFINER for
-- the DELETE the runtime role lacks; row-level security still applies (forced), and the
-- tenant must be the transaction's.
CREATE FUNCTION audit_chain_append(p_tenant uuid, p_rows jsonb)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    n_taken bigint;
BEGIN
    IF p_tenant IS DISTINCT FROM NULLIF(current_setting('app.tenant_id', true), '')::uuid THEN
        RAISE EXCEPTION 'audit_chain_append: not the transaction''s tenant';
    END IF;
    DELETE FROM audit_pending p
    USING jsonb_to_recordset(p_rows) AS r(taken uuid)
    WHERE p.tenant_id = p_tenant AND p.id = r.taken;
    GET DIAGNOSTICS n_taken = ROW_COUNT;
    IF n_taken <> jsonb_array_length(p_rows) THEN
        RAISE EXCEPTION 'audit_chain_append: % rows for % waiting entries', jsonb_array_length(p_rows), n_taken;
    END IF;
    INSERT INTO audit_log (tenant_id, entry_id, seq, occurred_at, actor, action, target,
                           trace_id, ip_hash, details, prev_hash, hash)
    SELECT p_tenant, r.entry_id, r.seq, r.occurred_at, r.actor, r.action, r.target,
           r.trace_id, r.ip_hash, r.details, r.prev_hash, r.hash
    FROM jsonb_to_recordset(p_rows) AS r(entry_id uuid, seq bigint, occurred_at timestamptz,
        actor text, action text, target text, trace_id text, ip_hash text, details jsonb,
        prev_hash text, hash text);
    RETURN n_taken;
END
$$;
REVOKE ALL ON FUNCTION audit_chain_append(uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_chain_append(uuid, jsonb) TO identity_app;

RESET ROLE;
