SET LOCAL ROLE identity_owner;

-- Server-side sign-in sessions. The cookie carries the tenant and a 256-bit secret; only
-- SHA-256 of the cookie is stored. A session ends at its idle or absolute expiry, or when
-- ended (sign-out, admin, password reset, deprovisioning).
CREATE TABLE sessions (
    id                  uuid PRIMARY KEY,
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    user_id             uuid NOT NULL,
    secret_hash         text NOT NULL UNIQUE,
    amr                 text[] NOT NULL DEFAULT '{}',
    auth_time           timestamptz NOT NULL,
    created_at          timestamptz NOT NULL,
    last_seen_at        timestamptz NOT NULL,
    idle_expires_at     timestamptz NOT NULL,
    absolute_expires_at timestamptz NOT NULL,
    ended_at            timestamptz,
    end_reason          text,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_user_active ON sessions (tenant_id, user_id) WHERE ended_at IS NULL;
GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO identity_app;

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sessions
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

RESET ROLE;
