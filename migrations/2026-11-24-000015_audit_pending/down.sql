SET LOCAL ROLE identity_owner;
DROP TABLE audit_pending;
RESET ROLE;
