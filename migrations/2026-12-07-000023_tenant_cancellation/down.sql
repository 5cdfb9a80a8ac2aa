SET LOCAL ROLE identity_owner;
DROP FUNCTION identity_purge_tenant(uuid);
ALTER TABLE tenants DROP CONSTRAINT tenants_status_check;
UPDATE tenants SET status = 'cancelled' WHERE status = 'purged';
ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
    CHECK (status IN ('active', 'suspended', 'cancelled'));
ALTER TABLE tenants DROP COLUMN purged_at;
ALTER TABLE tenants DROP COLUMN cancel_keep_days;
ALTER TABLE tenants DROP COLUMN cancelled_at;
RESET ROLE;
