-- Personal data sealed at rest. A person's email address, display name, SCIM userName,
-- externalId and SCIM document (name, phone numbers, addresses, ...) are stored as envelope
-- ciphertexts under the workspace's key (`*_sealed`, associated data naming tenant, table,
-- column and row). Equality lookups go through keyed blind indexes: HMAC-SHA-256 under the
-- workspace's index key of the normalised value (`*_index`; `user_email_indexes` holds one
-- per SCIM email, bare and with its type), never the clear value.
--
-- Rows written before this migration keep their clear columns until `identity encryption
-- rotate` seals them (online, in batches, resumable); a sealed row has every clear column
-- NULL (`scim` '{}'), so lookups match a row in exactly one of the two forms.
SET LOCAL ROLE identity_owner;

ALTER TABLE users
    ALTER COLUMN email DROP NOT NULL,
    ADD COLUMN email_sealed text,
    ADD COLUMN display_name_sealed text,
    ADD COLUMN user_name_sealed text,
    ADD COLUMN external_id_sealed text,
    ADD COLUMN scim_sealed text,
    ADD COLUMN email_index text,
    ADD COLUMN user_name_index text,
    ADD COLUMN external_id_index text,
    ADD CONSTRAINT users_email_in_one_form
        CHECK ((email IS NULL) <> (email_sealed IS NULL)),
    ADD CONSTRAINT users_sealed_rows_hold_no_clear_data
        CHECK (email_sealed IS NULL OR (display_name IS NULL AND user_name IS NULL
               AND external_id IS NULL AND scim = '{}'::jsonb));

-- Created in this order so a clash on the email is reported as one (checked in order).
CREATE UNIQUE INDEX users_tenant_email_index ON users (tenant_id, email_index);
CREATE UNIQUE INDEX users_tenant_user_name_index ON users (tenant_id, user_name_index);
CREATE INDEX users_tenant_external_id_index ON users (tenant_id, external_id_index);
-- A person's SCIM email addresses by blind index, one row each (bare and with its type).
-- A table, not an array column: under row-level security only leakproof operators reach an
-- index, and text equality is one while array containment is not.
CREATE TABLE user_email_indexes (
    tenant_id uuid NOT NULL,
    user_id   uuid NOT NULL,
    value     text NOT NULL,
    PRIMARY KEY (tenant_id, value, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_email_indexes_user ON user_email_indexes (tenant_id, user_id);
GRANT SELECT, INSERT, DELETE ON user_email_indexes TO identity_app;
ALTER TABLE user_email_indexes ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_email_indexes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON user_email_indexes
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
-- The rows still in clear: empty once sealed, it keeps the clear-form arm of each lookup
-- (and the sealing's search for work) from scanning the table.
CREATE INDEX users_clear_rows ON users (tenant_id) WHERE email_sealed IS NULL;

-- An IdP account's link: `subject` (the IdP's name for the person, often an email address)
-- becomes its blind index, and the attributes of the last sign-in are sealed. Group names
-- are the workspace's, not the person's, and stay readable for role mapping. A row still
-- in clear has `attributes_sealed` NULL.
ALTER TABLE sso_identities ADD COLUMN attributes_sealed text;
CREATE INDEX sso_identities_clear_rows ON sso_identities (tenant_id)
    WHERE attributes_sealed IS NULL;

-- A connection test's outcome names the person who tried it (claims, email, name): sealed.
ALTER TABLE sso_tests ADD COLUMN outcome_sealed text;

RESET ROLE;
