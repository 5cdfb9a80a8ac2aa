SET LOCAL ROLE identity_owner;

-- A person's passkeys (WebAuthn credentials that verify the person themselves). credential
-- holds webauthn-rs's Passkey as JSON: the public key, the signature counter and flags,
-- nothing secret. One authenticator credential belongs to one account in one workspace,
-- so credential_id is unique across every workspace.
CREATE TABLE passkeys (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    user_id       uuid NOT NULL,
    credential_id bytea NOT NULL,
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
    credential    jsonb NOT NULL,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX passkeys_credential_id ON passkeys (credential_id);
CREATE INDEX passkeys_user ON passkeys (tenant_id, user_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON passkeys TO identity_app;
ALTER TABLE passkeys ENABLE ROW LEVEL SECURITY;
ALTER TABLE passkeys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON passkeys
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- WebAuthn ceremonies in progress. A passwordless sign-in does not know its workspace
-- until the authenticator names its credential, so this table has no tenant: it holds
-- the challenge state only, keyed by SHA-256 of a browser cookie, with bound_to naming
-- (as a hash) the session or pending sign-in it belongs to. Used once; lives 5 minutes.
CREATE TABLE passkey_challenges (
    token_hash text PRIMARY KEY,
    purpose    text NOT NULL CHECK (purpose IN ('register', 'sign_in', 'second_factor')),
    bound_to   text NOT NULL,
    state      jsonb NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX passkey_challenges_expiry ON passkey_challenges (expires_at);
GRANT SELECT, INSERT, DELETE ON passkey_challenges TO identity_app;

RESET ROLE;

-- Which workspace holds a credential: the one question a passwordless sign-in must ask
-- across workspaces. The reviewed bypassing role reads two columns; the function answers
-- a tenant id for an exact credential id (a random value only its authenticator holds).
GRANT SELECT (tenant_id, credential_id) ON passkeys TO identity_due_work;
CREATE FUNCTION identity_tenant_of_passkey(p_credential_id bytea) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT tenant_id FROM passkeys WHERE credential_id = p_credential_id $$;
ALTER FUNCTION identity_tenant_of_passkey(bytea) OWNER TO identity_due_work;
REVOKE ALL ON FUNCTION identity_tenant_of_passkey(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION identity_tenant_of_passkey(bytea) TO identity_app;
