-- The key store: each workspace's key-encryption keys (KEKs), in a database of their own so
-- that no backup of the data database holds them. Purging a workspace destroys its keys
-- here first; every ciphertext of it, in the live data and in any earlier backup of it,
-- then stays sealed (crypto-shredding). Backups of this database must be kept no longer
-- than the shortest purge delay (README, "Data lifecycle").
-- Roles are cluster-wide and made by the data database's first migration; they are checked
-- again here because this database may live on another server.
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
SET LOCAL ROLE identity_owner;

-- One row per (workspace, KEK version). `wrapped` is the KEK sealed under a platform key
-- (envelope format ev1, associated data naming the workspace and the version), NULL once
-- destroyed: the row stays as a tombstone so the workspace never gets a key again.
CREATE TABLE tenant_keys (
    tenant_id uuid NOT NULL,
    version integer NOT NULL CHECK (version > 0),
    wrapped text,
    created_at timestamptz NOT NULL DEFAULT now(),
    destroyed_at timestamptz,
    PRIMARY KEY (tenant_id, version),
    CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL))
);

-- The runtime role adds keys, re-wraps them (platform rotation) and destroys them (purge);
-- it never deletes a row, so a destroyed workspace's tombstone stays.
GRANT SELECT, INSERT ON tenant_keys TO identity_app;
GRANT UPDATE (wrapped, destroyed_at) ON tenant_keys TO identity_app;

RESET ROLE;
