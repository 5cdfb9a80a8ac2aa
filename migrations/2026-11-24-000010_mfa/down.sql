SET LOCAL ROLE identity_owner;
DROP TABLE mfa_pending;
ALTER TABLE users DROP COLUMN mfa_exempt;
DROP TABLE mfa_policies;
DROP TABLE mfa_recovery_codes;
DROP TABLE mfa_totp;
RESET ROLE;
