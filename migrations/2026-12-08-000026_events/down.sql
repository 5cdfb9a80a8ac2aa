SET LOCAL ROLE identity_owner;
DROP TABLE events;
RESET ROLE;
