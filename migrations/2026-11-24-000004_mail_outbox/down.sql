SET LOCAL ROLE identity_owner;
DROP TABLE mail_outbox;
RESET ROLE;
