SET LOCAL ROLE identity_owner;
DROP TABLE api_key_secrets;
DROP TABLE api_keys;
DROP TABLE revoked_tokens;
DROP TABLE client_secrets;
DROP TABLE oauth_clients;
DROP TABLE signing_keys;
RESET ROLE;
