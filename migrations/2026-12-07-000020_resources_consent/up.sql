SET LOCAL ROLE identity_owner;

-- The platform's resource servers (CRM APIs): the only audiences a workspace's application
-- may hold. Managed by the operator (`identity resources add|list|remove`); never the admin
-- API's audience, the issuer or the userinfo audience. Platform data: no tenant_id.
CREATE TABLE resource_servers (
    audience   text PRIMARY KEY CHECK (length(audience) BETWEEN 1 AND 500),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, DELETE ON resource_servers TO identity_app;

-- A workspace application the workspace vouches for: no consent screen. Set only by
-- someone holding every permission (a token of the app carries the person's roles).
ALTER TABLE oauth_clients ADD COLUMN trusted boolean NOT NULL DEFAULT false;

-- A person's consent to a workspace application: remembered per person and app, with the
-- scopes granted; revoking it ends the app's refresh tokens of that person.
CREATE TABLE consents (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    user_id    uuid NOT NULL,
    client_id  text NOT NULL,
    scopes     text[] NOT NULL,
    granted_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, user_id, client_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, client_id) REFERENCES oauth_clients (tenant_id, client_id) ON DELETE CASCADE
);
GRANT SELECT, INSERT, UPDATE, DELETE ON consents TO identity_app;
ALTER TABLE consents ENABLE ROW LEVEL SECURITY;
ALTER TABLE consents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON consents
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- The authenticator's signature counter, apart from the serialised credential, so a use
-- is recorded only if its counter is above the stored one in one conditional UPDATE (a
-- clone racing the real device loses and is reported).
ALTER TABLE passkeys ADD COLUMN sign_count bigint NOT NULL DEFAULT 0;

RESET ROLE;
