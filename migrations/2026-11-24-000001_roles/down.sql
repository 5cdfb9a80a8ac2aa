-- Roles are shared by every database of the cluster: they are left in place.
REVOKE USAGE ON SCHEMA public FROM identity_app;
REVOKE USAGE, CREATE ON SCHEMA public FROM identity_owner;
