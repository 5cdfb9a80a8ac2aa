SET LOCAL ROLE identity_owner;

-- Tenant registry (platform scope, no tenant_id column). The nil id is the platform's own
-- pseudo-tenant: its audit chain records platform-wide actions such as key rotation.
CREATE TABLE tenants (
    id           uuid PRIMARY KEY,
    slug         text NOT NULL UNIQUE
                 CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$' OR id = '00000000-0000-0000-0000-000000000000'),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO tenants (id, slug, display_name)
VALUES ('00000000-0000-0000-0000-000000000000', '_platform', 'Platform');
GRANT SELECT, INSERT, UPDATE ON tenants TO identity_app;

-- Per-tenant secrets, envelope-encrypted (e.g. the salt of audit IP hashes).
CREATE TABLE tenant_secrets (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    name       text NOT NULL CHECK (name ~ '^[a-z0-9_.-]{1,64}$'),
    value_enc  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_secrets TO identity_app;

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    display_name  text,
    password_hash text,
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id)
);
-- Email is unique per tenant, case-insensitively.
CREATE UNIQUE INDEX users_tenant_email_key ON users (tenant_id, lower(email));
GRANT SELECT, INSERT, UPDATE, DELETE ON users TO identity_app;

CREATE TABLE roles (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_.-]{0,62}$'),
    description text NOT NULL DEFAULT '',
    permissions text[] NOT NULL DEFAULT '{}',
    builtin     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name),
    UNIQUE (tenant_id, id)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON roles TO identity_app;

-- Composite keys make a cross-tenant link impossible even for buggy code.
CREATE TABLE user_roles (
    tenant_id  uuid NOT NULL,
    user_id    uuid NOT NULL,
    role_id    uuid NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id, role_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
);
GRANT SELECT, INSERT, UPDATE, DELETE ON user_roles TO identity_app;

-- Append-only for the runtime role: INSERT and SELECT only. Each row's hash covers the
-- previous row's hash, so an edit, deletion or reordering by anyone shows in `audit verify`.
CREATE TABLE audit_log (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    seq         bigint NOT NULL CHECK (seq > 0),
    occurred_at timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    trace_id    text NOT NULL DEFAULT '',
    ip_hash     text,
    details     jsonb NOT NULL DEFAULT '{}',
    prev_hash   text NOT NULL,
    hash        text NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_log_tenant_time ON audit_log (tenant_id, occurred_at);
GRANT SELECT, INSERT ON audit_log TO identity_app;

-- Row-level security: forced (applies to the owner too), one policy per table.
-- NULLIF: after a transaction that set app.tenant_id ends, the setting reads as '' on that
-- connection; '' must mean "no tenant" (no rows), not a cast error.
ALTER TABLE tenant_secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_secrets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_secrets
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE roles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON roles
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE user_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_roles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON user_roles
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

RESET ROLE;
