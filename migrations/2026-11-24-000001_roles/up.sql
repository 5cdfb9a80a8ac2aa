-- Two roles. identity_owner owns every table and runs the DDL of each migration
-- (`SET LOCAL ROLE identity_owner`). identity_app is what the service connects as:
-- no superuser, no BYPASSRLS, owns nothing, gets DML grants table by table.
-- Roles are cluster-wide: when an operator has created them already (production), the
-- blocks below only check that the runtime role has not been widened.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'identity_owner') THEN
    CREATE ROLE identity_owner NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'identity_app') THEN
    CREATE ROLE identity_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'identity_app'
             AND (rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb)) THEN
    RAISE EXCEPTION 'role identity_app must be NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB';
  END IF;
END
$$;

GRANT USAGE, CREATE ON SCHEMA public TO identity_owner;
GRANT USAGE ON SCHEMA public TO identity_app;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
