SET LOCAL ROLE identity_owner;
DROP FUNCTION audit_chain_head(uuid, text);
RESET ROLE;
