SET LOCAL ROLE identity_owner;

-- SCIM view of a person: userName (unique per workspace, case-insensitive, and never equal
-- to another person's sign-in email), externalId, and the other SCIM attributes as a document.
ALTER TABLE users
    ADD COLUMN user_name   text,
    ADD COLUMN external_id text,
    ADD COLUMN scim        jsonb NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX users_tenant_user_name ON users (tenant_id, lower(coalesce(user_name, email)));
CREATE INDEX users_tenant_external_id ON users (tenant_id, external_id);

-- Groups pushed by an identity provider. members is a JSON array of {"value": user id}.
CREATE TABLE scim_groups (
    id           uuid NOT NULL,
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 256),
    external_id  text,
    members      jsonb NOT NULL DEFAULT '[]',
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX scim_groups_name ON scim_groups (tenant_id, lower(display_name));
CREATE INDEX scim_groups_members ON scim_groups USING gin (members jsonb_path_ops);
GRANT SELECT, INSERT, UPDATE, DELETE ON scim_groups TO identity_app;
ALTER TABLE scim_groups ENABLE ROW LEVEL SECURITY;
ALTER TABLE scim_groups FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON scim_groups
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Bearer tokens of the workspace's provisioning clients (Okta, Entra ID): SHA-256 only.
CREATE TABLE scim_tokens (
    id           uuid NOT NULL,
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    token_hash   text NOT NULL UNIQUE,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (tenant_id, id)
);
GRANT SELECT, INSERT, UPDATE ON scim_tokens TO identity_app;
ALTER TABLE scim_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE scim_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON scim_tokens
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Declarative rules: members of the identity-provider group `group_name` get `role_id`.
-- Shared by SCIM groups and enterprise SSO.
CREATE TABLE role_mappings (
    id         uuid NOT NULL,
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    group_name text NOT NULL CHECK (length(group_name) BETWEEN 1 AND 256),
    role_id    uuid NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, group_name, role_id),
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);
GRANT SELECT, INSERT, DELETE ON role_mappings TO identity_app;
ALTER TABLE role_mappings ENABLE ROW LEVEL SECURITY;
ALTER TABLE role_mappings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON role_mappings
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

RESET ROLE;
