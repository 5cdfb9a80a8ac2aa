DROP FUNCTION audit_chain_rewrite(uuid, jsonb);
