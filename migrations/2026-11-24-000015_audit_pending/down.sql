SET LOCAL ROLE identity_owner;
DROP FUNCTION audit_chain_append(uuid, jsonb);
DROP INDEX audit_log_entry;
ALTER TABLE audit_log DROP COLUMN entry_id;
DROP TABLE audit_pending;
RESET ROLE;
