SET LOCAL ROLE identity_owner;

-- Who last configured an SSO connection: the assertions of its IdP reach at most as far as
-- that person does now (role mappings only grant within that reach). Existing connections
-- were configured before the rule and keep the reach they had (the operator's).
ALTER TABLE sso_connections ADD COLUMN configured_by text NOT NULL DEFAULT 'cli';
ALTER TABLE sso_connections ALTER COLUMN configured_by DROP DEFAULT;

-- Whose SCIM token last wrote a group: the group's role mappings grant at most what that
-- token's creator holds now. Existing groups keep the reach they had (the operator's).
ALTER TABLE scim_groups ADD COLUMN asserted_by text NOT NULL DEFAULT 'cli';
ALTER TABLE scim_groups ALTER COLUMN asserted_by DROP DEFAULT;

-- A workspace may be cancelled as well as suspended; neither may be entered.
ALTER TABLE tenants DROP CONSTRAINT tenants_status_check;
ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
    CHECK (status IN ('active', 'suspended', 'cancelled'));

-- The one way the service enters a tenant: binds app.tenant_id (for the transaction when
-- `local`, else for the session) and refuses a workspace that is not active, so every path
-- (sign-in, tokens, introspection, admin API, SCIM) is closed by one status change. The
-- check rides on the statement that binds the tenant: no extra round trip.
CREATE FUNCTION identity_enter_tenant(t uuid, local boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM tenants WHERE id = t AND status <> 'active') THEN
        RAISE EXCEPTION 'tenant_not_active' USING ERRCODE = 'P0001';
    END IF;
    PERFORM set_config('app.tenant_id', t::text, local);
END
$$;
GRANT EXECUTE ON FUNCTION identity_enter_tenant(uuid, boolean) TO identity_app;

-- Email addresses compare as NFKC then lower case (look-alikes such as the Kelvin sign fold
-- to the letter they imitate), the same key as `text::email_key` in the service.
DROP INDEX users_tenant_email_lookup;
ALTER TABLE users DROP COLUMN email_key;
ALTER TABLE users ADD COLUMN email_key text
    GENERATED ALWAYS AS (lower(normalize(email, NFKC))) STORED;
CREATE UNIQUE INDEX users_tenant_email_lookup ON users (tenant_id, email_key);
-- Rebuilt after it, so a clash on the email is still reported as one (indexes are checked
-- in creation order).
DROP INDEX users_tenant_user_name_lookup;
CREATE UNIQUE INDEX users_tenant_user_name_lookup ON users (tenant_id, user_name_key);

RESET ROLE;
