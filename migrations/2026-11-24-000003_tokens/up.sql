SET LOCAL ROLE identity_owner;

-- Token signing keys (platform scope). Lifecycle is derived from times: a key is "next"
-- before activates_at, "active" from then until a newer key of its algorithm activates,
-- then "retired" but still published until every token it signed has expired.
-- revoked_at removes a (compromised) key at once.
CREATE TABLE signing_keys (
    kid          text PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9_-]{8,64}$'),
    alg          text NOT NULL CHECK (alg IN ('EdDSA', 'ES256', 'RS256')),
    public_jwk   jsonb NOT NULL,
    private_enc  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    activates_at timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX signing_keys_alg_activation ON signing_keys (alg, activates_at);
GRANT SELECT, INSERT, UPDATE ON signing_keys TO identity_app;

-- OAuth clients. Platform clients (the CRM services and front ends) belong to the platform
-- pseudo-tenant (nil id); tenant clients to their workspace. Their client_id carries the
-- tenant (`tc_<tenant>_<random>`), so a lookup always knows which tenant to open.
CREATE TABLE oauth_clients (
    tenant_id             uuid NOT NULL REFERENCES tenants (id),
    client_id             text NOT NULL CHECK (client_id ~ '^[A-Za-z0-9_.:-]{3,128}$'),
    name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    grant_types           text[] NOT NULL,
    redirect_uris         text[] NOT NULL DEFAULT '{}',
    audiences             text[] NOT NULL DEFAULT '{}',
    scopes                text[] NOT NULL DEFAULT '{}',
    resource_audience     text,
    signing_alg           text NOT NULL DEFAULT 'EdDSA' CHECK (signing_alg IN ('EdDSA', 'ES256', 'RS256')),
    access_token_ttl_secs integer NOT NULL DEFAULT 900 CHECK (access_token_ttl_secs BETWEEN 30 AND 3600),
    created_at            timestamptz NOT NULL DEFAULT now(),
    disabled_at           timestamptz,
    PRIMARY KEY (tenant_id, client_id)
);
CREATE UNIQUE INDEX oauth_clients_client_id_key ON oauth_clients (client_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON oauth_clients TO identity_app;

-- Client secrets: random 256-bit values, stored as SHA-256. Rotation keeps the previous
-- secret valid until expires_at (the overlap).
CREATE TABLE client_secrets (
    tenant_id   uuid NOT NULL,
    client_id   text NOT NULL,
    secret_hash text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    PRIMARY KEY (tenant_id, secret_hash),
    FOREIGN KEY (tenant_id, client_id) REFERENCES oauth_clients (tenant_id, client_id) ON DELETE CASCADE
);
CREATE INDEX client_secrets_client ON client_secrets (tenant_id, client_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON client_secrets TO identity_app;

-- Revoked JWTs (RFC 7009), kept until the token would have expired anyway.
CREATE TABLE revoked_tokens (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    jti        text NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, jti)
);
GRANT SELECT, INSERT, DELETE ON revoked_tokens TO identity_app;

-- Workspace API keys. The key string carries tenant and key id; each rotation adds a secret
-- and lets the previous one live until its expires_at (the overlap window).
CREATE TABLE api_keys (
    id                    uuid PRIMARY KEY,
    tenant_id             uuid NOT NULL REFERENCES tenants (id),
    name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role_id               uuid NOT NULL,
    created_by            text NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    rotated_at            timestamptz NOT NULL DEFAULT now(),
    rotation_flagged_at   timestamptz,
    last_used_at          timestamptz,
    expires_at            timestamptz,
    revoked_at            timestamptz,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id)
);
GRANT SELECT, INSERT, UPDATE ON api_keys TO identity_app;

CREATE TABLE api_key_secrets (
    tenant_id   uuid NOT NULL,
    key_id      uuid NOT NULL,
    secret_hash text NOT NULL,
    last4       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,
    PRIMARY KEY (tenant_id, secret_hash),
    FOREIGN KEY (tenant_id, key_id) REFERENCES api_keys (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX api_key_secrets_key ON api_key_secrets (tenant_id, key_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON api_key_secrets TO identity_app;

ALTER TABLE oauth_clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_clients FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON oauth_clients
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE client_secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE client_secrets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON client_secrets
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE revoked_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE revoked_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON revoked_tokens
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_keys
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE api_key_secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_key_secrets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_key_secrets
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

RESET ROLE;
