SET LOCAL ROLE identity_owner;
ALTER TABLE passkeys DROP COLUMN sign_count;
DROP TABLE consents;
ALTER TABLE oauth_clients DROP COLUMN trusted;
DROP TABLE resource_servers;
RESET ROLE;
