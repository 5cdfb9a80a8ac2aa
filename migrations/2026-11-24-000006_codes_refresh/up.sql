SET LOCAL ROLE identity_owner;

-- Authorization codes: single use, short-lived, bound to client, redirect URI and PKCE
-- challenge. What the first use issued is recorded so that a second use can revoke it.
CREATE TABLE authorization_codes (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    code_hash      text NOT NULL,
    client_id      text NOT NULL,
    redirect_uri   text NOT NULL,
    user_id        uuid NOT NULL,
    session_id     uuid NOT NULL,
    code_challenge text NOT NULL,
    scope          text NOT NULL,
    nonce          text,
    auth_time      timestamptz NOT NULL,
    amr            text[] NOT NULL DEFAULT '{}',
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz,
    issued_family  uuid,
    issued_jti     text,
    issued_exp     timestamptz,
    PRIMARY KEY (tenant_id, code_hash),
    FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE
);
GRANT SELECT, INSERT, UPDATE, DELETE ON authorization_codes TO identity_app;

-- Refresh tokens: opaque, stored hashed, rotated on every use. Tokens of one sign-in share
-- a family with an absolute expiry; reusing a rotated token revokes the whole family.
CREATE TABLE refresh_tokens (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    token_hash        text NOT NULL,
    family_id         uuid NOT NULL,
    client_id         text NOT NULL,
    user_id           uuid NOT NULL,
    session_id        uuid NOT NULL,
    scope             text NOT NULL,
    created_at        timestamptz NOT NULL,
    family_expires_at timestamptz NOT NULL,
    rotated_at        timestamptz,
    revoked_at        timestamptz,
    PRIMARY KEY (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON refresh_tokens TO identity_app;

ALTER TABLE authorization_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE authorization_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON authorization_codes
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON refresh_tokens
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

RESET ROLE;
