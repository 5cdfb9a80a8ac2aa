SET LOCAL ROLE identity_owner;
CREATE UNIQUE INDEX users_tenant_email_key ON users (tenant_id, lower(email));
CREATE UNIQUE INDEX users_tenant_user_name ON users (tenant_id, lower(coalesce(user_name, email)));
DROP INDEX users_tenant_user_name_lookup;
DROP INDEX users_tenant_email_lookup;
ALTER TABLE users DROP COLUMN user_name_key, DROP COLUMN email_key;
RESET ROLE;
