-- IdP metadata fetched from a URL is fetched again on a schedule: when each connection's
-- next fetch is due (NULL: its metadata was pasted, nothing to fetch).
SET LOCAL ROLE identity_owner;
ALTER TABLE sso_connections ADD COLUMN metadata_refresh_at timestamptz;
CREATE INDEX sso_connections_metadata_refresh_at ON sso_connections (metadata_refresh_at)
  WHERE metadata_refresh_at IS NOT NULL;
RESET ROLE;

-- Which workspaces have a refresh due, without reading any connection's settings (see
-- identity_tenants_with_due_mail in the change-feed migration for the pattern).
GRANT SELECT (tenant_id, metadata_refresh_at) ON sso_connections TO identity_due_work;
CREATE FUNCTION identity_tenants_with_due_metadata(p_now timestamptz) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$ SELECT DISTINCT tenant_id FROM sso_connections WHERE metadata_refresh_at <= p_now $$;
ALTER FUNCTION identity_tenants_with_due_metadata(timestamptz) OWNER TO identity_due_work;
REVOKE ALL ON FUNCTION identity_tenants_with_due_metadata(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION identity_tenants_with_due_metadata(timestamptz) TO identity_app;
