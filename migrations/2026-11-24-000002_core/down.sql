SET LOCAL ROLE identity_owner;
DROP TABLE audit_log;
DROP TABLE user_roles;
DROP TABLE roles;
DROP TABLE users;
DROP TABLE tenant_secrets;
DROP TABLE tenants;
RESET ROLE;
