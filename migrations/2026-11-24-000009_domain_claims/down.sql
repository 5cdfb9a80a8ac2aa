SET LOCAL ROLE identity_owner;
DROP TABLE tenant_domains;
RESET ROLE;
