SET LOCAL ROLE identity_owner;
DROP TABLE refresh_tokens;
DROP TABLE authorization_codes;
RESET ROLE;
