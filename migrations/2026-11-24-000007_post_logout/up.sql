SET LOCAL ROLE identity_owner;
-- Where RP-initiated logout may send the browser afterwards (exact match, like redirect_uris).
ALTER TABLE oauth_clients ADD COLUMN post_logout_redirect_uris text[] NOT NULL DEFAULT '{}';
RESET ROLE;
