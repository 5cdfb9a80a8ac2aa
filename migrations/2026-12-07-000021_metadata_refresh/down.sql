DROP FUNCTION identity_tenants_with_due_metadata(timestamptz);
REVOKE SELECT (tenant_id, metadata_refresh_at) ON sso_connections FROM identity_due_work;
SET LOCAL ROLE identity_owner;
ALTER TABLE sso_connections DROP COLUMN metadata_refresh_at;
RESET ROLE;
