SET LOCAL ROLE identity_owner;

-- Audit entries written with their action but not yet in the chain. Appending to a tenant's
-- chain needs its chain lock held until COMMIT, so a chain can grow by at most one entry
-- per commit flush; measured here that capped one tenant's audited writes near 800/s.
-- Requests now insert here, in the action's own transaction and without the lock; the
-- chainer (src/audit/chainer.rs) moves entries into audit_log in batches, one lock and one
-- flush per batch, and deletes them here in the same transaction.
--
-- n orders entries as they were written; id (made by the service) is the row of the sealed
-- IP's associated data. The IP is sealed, not hashed, because its salted hash needs a tenant
-- secret that only the chainer opens.
CREATE TABLE audit_pending (
    n           bigint GENERATED ALWAYS AS IDENTITY,
    id          uuid NOT NULL,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    occurred_at timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    trace_id    text NOT NULL DEFAULT '',
    ip_enc      text,
    details     jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, n),
    UNIQUE (tenant_id, id)
);
-- Insert, read and take (delete); the only column that may change is the sealed IP, which
-- key rotation re-wraps (its associated data binds it to its row).
GRANT SELECT, INSERT, DELETE ON audit_pending TO identity_app;
GRANT UPDATE (ip_enc) ON audit_pending TO identity_app;
ALTER TABLE audit_pending ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_pending FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_pending
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

RESET ROLE;
