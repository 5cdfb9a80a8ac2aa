SET LOCAL ROLE identity_owner;
DROP FUNCTION audit_retention_cut(uuid, timestamptz);
RESET ROLE;
