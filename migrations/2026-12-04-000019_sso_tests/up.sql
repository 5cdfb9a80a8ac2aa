SET LOCAL ROLE identity_owner;

-- "Test connection": an admin runs a sign-in through a connection to see what the IdP
-- sends and what sign-in would make of it, without a session. start_hash is SHA-256 of
-- the one-time link that starts it; outcome holds the result (the tester's own attributes
-- as the IdP sent them, roles the rules would give, or why it was refused). Tests live a
-- day and are purged when a new one is created.
CREATE TABLE sso_tests (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    connection_id uuid NOT NULL,
    started_by    text NOT NULL,
    start_hash    text NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    started_at    timestamptz,
    finished_at   timestamptz,
    outcome       jsonb,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, connection_id) REFERENCES sso_connections (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX sso_tests_start ON sso_tests (tenant_id, start_hash);
GRANT SELECT, INSERT, UPDATE, DELETE ON sso_tests TO identity_app;
ALTER TABLE sso_tests ENABLE ROW LEVEL SECURITY;
ALTER TABLE sso_tests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sso_tests
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

RESET ROLE;
