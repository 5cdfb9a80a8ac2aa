SET LOCAL ROLE identity_owner;
DROP TABLE sso_tests;
RESET ROLE;
