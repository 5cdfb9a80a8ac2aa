SET LOCAL ROLE identity_owner;
ALTER TABLE oauth_clients DROP COLUMN post_logout_redirect_uris;
RESET ROLE;
