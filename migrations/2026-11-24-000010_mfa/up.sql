SET LOCAL ROLE identity_owner;

-- A person's authenticator app (TOTP, RFC 6238). The seed is envelope-encrypted (row key:
-- user_id). last_step is the last accepted time step: each step is accepted once.
CREATE TABLE mfa_totp (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    user_id      uuid NOT NULL,
    secret_enc   text NOT NULL,
    confirmed_at timestamptz,
    last_step    bigint,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
GRANT SELECT, INSERT, UPDATE, DELETE ON mfa_totp TO identity_app;
ALTER TABLE mfa_totp ENABLE ROW LEVEL SECURITY;
ALTER TABLE mfa_totp FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mfa_totp
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- One-time recovery codes: only SHA-256 of each code is stored.
CREATE TABLE mfa_recovery_codes (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    user_id    uuid NOT NULL,
    code_hash  text NOT NULL,
    created_at timestamptz NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (tenant_id, user_id, code_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
GRANT SELECT, INSERT, UPDATE, DELETE ON mfa_recovery_codes TO identity_app;
ALTER TABLE mfa_recovery_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE mfa_recovery_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mfa_recovery_codes
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- The workspace's MFA rule. Users without MFA get grace_period_days from enforced_since
-- to enrol; after that they get no token before enrolling.
CREATE TABLE mfa_policies (
    tenant_id         uuid PRIMARY KEY REFERENCES tenants (id),
    required          boolean NOT NULL DEFAULT false,
    grace_period_days integer NOT NULL DEFAULT 0 CHECK (grace_period_days BETWEEN 0 AND 365),
    enforced_since    timestamptz,
    updated_at        timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE, DELETE ON mfa_policies TO identity_app;
ALTER TABLE mfa_policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE mfa_policies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mfa_policies
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- Break-glass accounts the workspace exempts from its MFA rule.
ALTER TABLE users ADD COLUMN mfa_exempt boolean NOT NULL DEFAULT false;

-- A sign-in between the password and the second factor (or enrolment). Bound to the
-- browser by a cookie of which only SHA-256 is stored; lives 5 minutes; used once.
CREATE TABLE mfa_pending (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    token_hash       text NOT NULL,
    user_id          uuid NOT NULL,
    purpose          text NOT NULL CHECK (purpose IN ('verify', 'enrol')),
    request          jsonb NOT NULL,
    replaces_session uuid,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    used_at          timestamptz,
    PRIMARY KEY (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
GRANT SELECT, INSERT, UPDATE, DELETE ON mfa_pending TO identity_app;
ALTER TABLE mfa_pending ENABLE ROW LEVEL SECURITY;
ALTER TABLE mfa_pending FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mfa_pending
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

RESET ROLE;
