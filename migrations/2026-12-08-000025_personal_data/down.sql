-- Only for a database whose rows are all still clear (nothing sealed yet).
SET LOCAL ROLE identity_owner;
ALTER TABLE sso_tests DROP COLUMN outcome_sealed;
ALTER TABLE sso_identities DROP COLUMN attributes_sealed;
DROP TABLE user_email_indexes;
ALTER TABLE users
    DROP CONSTRAINT users_sealed_rows_hold_no_clear_data,
    DROP CONSTRAINT users_email_in_one_form,
    DROP COLUMN external_id_index,
    DROP COLUMN user_name_index,
    DROP COLUMN email_index,
    DROP COLUMN scim_sealed,
    DROP COLUMN external_id_sealed,
    DROP COLUMN user_name_sealed,
    DROP COLUMN display_name_sealed,
    DROP COLUMN email_sealed,
    ALTER COLUMN email SET NOT NULL;
RESET ROLE;
