-- The change feed (invariant 8): every change that an instance may hold in memory is
-- announced on the channel `identity_changes`, by a trigger, so no writer can forget it and
-- changes made by another process (the CLI, another instance) arrive too. Payload:
-- `<kind>:<tenant uuid>[:<key>]`; PostgreSQL folds identical payloads of one transaction into
-- one and delivers them at commit, in commit order. Nothing personal is ever in a payload:
-- kinds and opaque ids only.
SET LOCAL ROLE identity_owner;

CREATE FUNCTION identity_announce() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    k text;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    -- One branch per table: PL/pgSQL resolves a record's fields only in the branch it runs.
    IF TG_TABLE_NAME IN ('oauth_clients', 'client_secrets') THEN
        k := 'client:' || r.tenant_id || ':' || r.client_id;
    ELSIF TG_TABLE_NAME = 'revoked_tokens' THEN
        k := 'revoked:' || r.tenant_id || ':' || r.jti;
    ELSIF TG_TABLE_NAME = 'sessions' THEN
        k := 'session:' || r.tenant_id || ':' || r.id;
    ELSIF TG_TABLE_NAME = 'api_keys' THEN
        k := 'apikey:' || r.tenant_id || ':' || r.id;
    ELSIF TG_TABLE_NAME = 'api_key_secrets' THEN
        k := 'apikey:' || r.tenant_id || ':' || r.key_id;
    ELSIF TG_TABLE_NAME IN ('roles', 'user_roles', 'users', 'role_mappings', 'scim_groups',
                            'sso_identities', 'sso_connections') THEN
        -- What a person may do, and so what the API keys they made may do.
        k := 'authority:' || r.tenant_id;
    ELSIF TG_TABLE_NAME = 'signing_keys' THEN
        k := 'keys:00000000-0000-0000-0000-000000000000';
    ELSIF TG_TABLE_NAME = 'tenants' THEN
        k := 'tenant:' || r.id;
    ELSIF TG_TABLE_NAME = 'mail_outbox' THEN
        k := 'mail:' || r.tenant_id;
    ELSIF TG_TABLE_NAME = 'audit_pending' THEN
        k := 'audit:' || r.tenant_id;
    END IF;
    PERFORM pg_notify('identity_changes', k);
    RETURN NULL;
END
$$;

CREATE TRIGGER announce AFTER INSERT OR UPDATE OR DELETE ON oauth_clients
    FOR EACH ROW EXECUTE FUNCTION identity_announce();
CREATE TRIGGER announce AFTER INSERT OR UPDATE OR DELETE ON client_secrets
    FOR EACH ROW EXECUTE FUNCTION identity_announce();
CREATE TRIGGER announce AFTER INSERT ON revoked_tokens
    FOR EACH ROW EXECUTE FUNCTION identity_announce();
-- Sign-in touches a session at most once a minute; that re-reads it once, which is cheap.
CREATE TRIGGER announce AFTER UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION identity_announce();
-- Not `last_used_at`: a key in use would otherwise announce itself once a minute.
CREATE TRIGGER announce AFTER UPDATE ON api_keys
    FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
                       OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
                       OR OLD.role_id IS DISTINCT FROM NEW.role_id
                       OR OLD.created_by IS DISTINCT FROM NEW.created_by)
    EXECUTE FUNCTION identity_announce();
CREATE TRIGGER announce_delete AFTER DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION identity_announce();
CREATE TRIGGER announce AFTER INSERT OR UPDATE OR DELETE ON api_key_secrets
    FOR EACH ROW EXECUTE FUNCTION identity_announce();
CREATE TRIGGER announce AFTER INSERT OR UPDATE OR DELETE ON roles
    FOR EACH ROW EXECUTE FUNCTION identity_announce();
CREATE TRIGGER announce AFTER INSERT OR UPDATE OR DELETE ON user_roles
    FOR EACH ROW EXECUTE FUNCTION identity_announce();
-- Not for sign-ins and profile edits: only what changes a person's reach.
CREATE TRIGGER announce AFTER UPDATE ON users
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION identity_announce();
CREATE TRIGGER announce_delete AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION identity_announce();
CREATE TRIGGER announce AFTER INSERT OR UPDATE OR DELETE ON role_mappings
    FOR EACH ROW EXECUTE FUNCTION identity_announce();
CREATE TRIGGER announce AFTER INSERT OR UPDATE OR DELETE ON scim_groups
    FOR EACH ROW EXECUTE FUNCTION identity_announce();
CREATE TRIGGER announce AFTER INSERT OR UPDATE OR DELETE ON sso_identities
    FOR EACH ROW EXECUTE FUNCTION identity_announce();
CREATE TRIGGER announce AFTER INSERT OR UPDATE OR DELETE ON sso_connections
    FOR EACH ROW EXECUTE FUNCTION identity_announce();
CREATE TRIGGER announce AFTER INSERT OR UPDATE OR DELETE ON signing_keys
    FOR EACH ROW EXECUTE FUNCTION identity_announce();
CREATE TRIGGER announce AFTER UPDATE OR DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION identity_announce();
-- Wake-ups for background work: new mail and new audit entries.
CREATE TRIGGER announce AFTER INSERT ON mail_outbox
    FOR EACH ROW EXECUTE FUNCTION identity_announce();
CREATE TRIGGER announce AFTER INSERT ON audit_pending
    FOR EACH ROW EXECUTE FUNCTION identity_announce();

CREATE INDEX mail_outbox_due_any ON mail_outbox (next_attempt_at) WHERE status = 'pending';
RESET ROLE;

-- Which workspaces have background work due, in one narrow query whatever their number.
-- Row-level security is forced on these tables (their owner is bound by it too), so the two
-- functions run as a role of their own that bypasses it: NOLOGIN, nothing but SELECT on the
-- columns below, owning nothing else. They take no text and return tenant ids only, so
-- calling them tells the runtime role that a workspace has work waiting, never what it is.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'identity_due_work') THEN
    CREATE ROLE identity_due_work NOLOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO identity_due_work;
GRANT SELECT (tenant_id, status, next_attempt_at) ON mail_outbox TO identity_due_work;
GRANT SELECT (tenant_id) ON audit_pending TO identity_due_work;

CREATE FUNCTION identity_tenants_with_due_mail(p_now timestamptz) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT DISTINCT tenant_id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= p_now $$;
CREATE FUNCTION identity_tenants_with_pending_audit() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT DISTINCT tenant_id FROM audit_pending $$;
ALTER FUNCTION identity_tenants_with_due_mail(timestamptz) OWNER TO identity_due_work;
ALTER FUNCTION identity_tenants_with_pending_audit() OWNER TO identity_due_work;
REVOKE ALL ON FUNCTION identity_tenants_with_due_mail(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION identity_tenants_with_pending_audit() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION identity_tenants_with_due_mail(timestamptz) TO identity_app;
GRANT EXECUTE ON FUNCTION identity_tenants_with_pending_audit() TO identity_app;
