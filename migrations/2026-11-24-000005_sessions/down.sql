SET LOCAL ROLE identity_owner;
DROP TABLE sessions;
RESET ROLE;
