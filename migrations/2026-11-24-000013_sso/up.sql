SET LOCAL ROLE identity_owner;

-- A workspace's enterprise identity provider: SAML 2.0 or OpenID Connect. `settings` holds
-- the kind's non-secret configuration (IdP metadata, entity ids, issuer, client id,
-- scopes); secrets live in sso_secrets, envelope-encrypted.
CREATE TABLE sso_connections (
    id                      uuid NOT NULL,
    tenant_id               uuid NOT NULL REFERENCES tenants (id),
    kind                    text NOT NULL CHECK (kind IN ('saml', 'oidc')),
    name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    enabled                 boolean NOT NULL DEFAULT true,
    -- false: people of the connection's domains must sign in through the IdP.
    password_signin_allowed boolean NOT NULL DEFAULT true,
    -- true: an IdP-asserted second factor satisfies the workspace's MFA rule.
    idp_mfa_accepted        boolean NOT NULL DEFAULT false,
    settings                jsonb NOT NULL,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON sso_connections TO identity_app;
ALTER TABLE sso_connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE sso_connections FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sso_connections
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- The email domains a connection serves (home-realm discovery). A domain must be one the
-- workspace has claimed (tenant_domains) and goes to one connection. `verified`: the IdP
-- is trusted to assert these addresses, so a first SSO sign-in may link to an existing
-- account with the same email.
CREATE TABLE sso_connection_domains (
    tenant_id     uuid NOT NULL,
    domain        text NOT NULL,
    connection_id uuid NOT NULL,
    verified      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (tenant_id, domain),
    FOREIGN KEY (tenant_id, connection_id) REFERENCES sso_connections (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, domain) REFERENCES tenant_domains (tenant_id, domain) ON DELETE CASCADE
);
CREATE INDEX sso_connection_domains_connection ON sso_connection_domains (tenant_id, connection_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON sso_connection_domains TO identity_app;
ALTER TABLE sso_connection_domains ENABLE ROW LEVEL SECURITY;
ALTER TABLE sso_connection_domains FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sso_connection_domains
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Connection secrets (OIDC client secret, SAML SP private key), envelope-encrypted with
-- the row's id as associated data.
CREATE TABLE sso_secrets (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    connection_id uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('oidc_client_secret', 'saml_sp_key')),
    value_enc     text NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, connection_id, kind),
    FOREIGN KEY (tenant_id, connection_id) REFERENCES sso_connections (tenant_id, id) ON DELETE CASCADE
);
GRANT SELECT, INSERT, UPDATE, DELETE ON sso_secrets TO identity_app;
ALTER TABLE sso_secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE sso_secrets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sso_secrets
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- A sign-in sent to an IdP and not yet back. `state_hash`: SHA-256 of the state (OIDC) or
-- RelayState (SAML); `browser_hash`: SHA-256 of the cookie binding it to the browser that
-- started it. Lives ten minutes; used once.
CREATE TABLE sso_requests (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    state_hash    text NOT NULL,
    connection_id uuid NOT NULL,
    browser_hash  text NOT NULL,
    saml_request_id text,
    oidc_nonce    text,
    request       jsonb NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    PRIMARY KEY (tenant_id, state_hash),
    FOREIGN KEY (tenant_id, connection_id) REFERENCES sso_connections (tenant_id, id) ON DELETE CASCADE
);
GRANT SELECT, INSERT, UPDATE, DELETE ON sso_requests TO identity_app;
ALTER TABLE sso_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE sso_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sso_requests
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- SAML assertion ids already accepted, kept until the assertion expires: each is
-- accepted once.
CREATE TABLE saml_seen_assertions (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    connection_id uuid NOT NULL,
    assertion_id  text NOT NULL,
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, connection_id, assertion_id),
    FOREIGN KEY (tenant_id, connection_id) REFERENCES sso_connections (tenant_id, id) ON DELETE CASCADE
);
GRANT SELECT, INSERT, DELETE ON saml_seen_assertions TO identity_app;
ALTER TABLE saml_seen_assertions ENABLE ROW LEVEL SECURITY;
ALTER TABLE saml_seen_assertions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON saml_seen_assertions
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- A person's account at a connection's IdP (SAML NameID or OIDC `sub`), with the groups
-- and attributes of their last SSO sign-in, which the role-mapping rules read.
CREATE TABLE sso_identities (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    connection_id  uuid NOT NULL,
    subject        text NOT NULL CHECK (length(subject) BETWEEN 1 AND 512),
    user_id        uuid NOT NULL,
    groups         jsonb NOT NULL DEFAULT '[]'::jsonb,
    attributes     jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz NOT NULL,
    last_signin_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, connection_id, subject),
    FOREIGN KEY (tenant_id, connection_id) REFERENCES sso_connections (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sso_identities_user ON sso_identities (tenant_id, user_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON sso_identities TO identity_app;
ALTER TABLE sso_identities ENABLE ROW LEVEL SECURITY;
ALTER TABLE sso_identities FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sso_identities
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Role-mapping rules may match an IdP attribute (`claim` = its name, `group_name` = the
-- value) as well as a group (`claim` NULL).
ALTER TABLE role_mappings ADD COLUMN claim text CHECK (claim IS NULL OR length(claim) BETWEEN 1 AND 256);
ALTER TABLE role_mappings DROP CONSTRAINT role_mappings_tenant_id_group_name_role_id_key;
ALTER TABLE role_mappings ADD CONSTRAINT role_mappings_rule_unique
    UNIQUE NULLS NOT DISTINCT (tenant_id, claim, group_name, role_id);

-- How the first step of a pending MFA sign-in went (pwd, or fed for SSO).
ALTER TABLE mfa_pending ADD COLUMN primary_amr text[] NOT NULL DEFAULT '{pwd}';

RESET ROLE;
