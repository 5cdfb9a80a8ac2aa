DROP FUNCTION identity_tenant_of_passkey(bytea);
REVOKE ALL ON passkeys FROM identity_due_work;
SET LOCAL ROLE identity_owner;
DROP TABLE passkey_challenges;
DROP TABLE passkeys;
RESET ROLE;
