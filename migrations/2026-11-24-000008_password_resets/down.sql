SET LOCAL ROLE identity_owner;
DROP TABLE password_resets;
RESET ROLE;
