SET LOCAL ROLE identity_owner;
DROP TABLE role_mappings;
DROP TABLE scim_tokens;
DROP TABLE scim_groups;
DROP INDEX users_tenant_external_id;
DROP INDEX users_tenant_user_name;
ALTER TABLE users DROP COLUMN scim, DROP COLUMN external_id, DROP COLUMN user_name;
RESET ROLE;
