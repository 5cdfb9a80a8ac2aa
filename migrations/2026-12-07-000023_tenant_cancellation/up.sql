-- Workspace cancellation: a cancelled workspace is refused on every path (as a suspended
-- one), kept for a retention period during which it can be resumed, then purged: every
-- row of it removed. The tenants row stays as a tombstone (status `purged`) so the slug
-- and the purge report remain.
SET LOCAL ROLE identity_owner;
ALTER TABLE tenants ADD COLUMN cancelled_at timestamptz;
-- Days the data is kept after cancellation; NULL: the service's `retention.cancelled_days`.
ALTER TABLE tenants ADD COLUMN cancel_keep_days integer
    CHECK (cancel_keep_days IS NULL OR cancel_keep_days BETWEEN 1 AND 3650);
ALTER TABLE tenants ADD COLUMN purged_at timestamptz;
ALTER TABLE tenants DROP CONSTRAINT tenants_status_check;
ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
    CHECK (status IN ('active', 'suspended', 'cancelled', 'purged'));

-- Removes every row of the transaction's tenant from every table that has a tenant_id,
-- children before parents (a table whose rows are still referenced is retried in the next
-- round), and marks the tenant purged. Only a cancelled tenant; SECURITY DEFINER for the
-- DELETEs the runtime role lacks (audit_log, revoked_tokens...); row-level security still
-- applies (forced), and the tenant must be the transaction's.
CREATE FUNCTION identity_purge_tenant(p_tenant uuid)
RETURNS TABLE (table_name text, removed bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_table text;
    v_n bigint;
    v_left int;
    v_round int := 0;
BEGIN
    IF p_tenant IS DISTINCT FROM NULLIF(current_setting('app.tenant_id', true), '')::uuid THEN
        RAISE EXCEPTION 'identity_purge_tenant: not the transaction''s tenant';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = p_tenant AND t.status = 'cancelled') THEN
        RAISE EXCEPTION 'identity_purge_tenant: only a cancelled workspace is purged';
    END IF;
    CREATE TEMP TABLE IF NOT EXISTS purge_counts (tname text PRIMARY KEY, n bigint)
        ON COMMIT DROP;
    TRUNCATE purge_counts;
    LOOP
        v_round := v_round + 1;
        v_left := 0;
        FOR v_table IN
            SELECT c.table_name FROM information_schema.columns c
            JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id'
              AND t.table_type = 'BASE TABLE' AND c.table_name <> 'tenants'
            ORDER BY c.table_name
        LOOP
            BEGIN
                EXECUTE format('DELETE FROM %I WHERE tenant_id = $1', v_table) USING p_tenant;
                GET DIAGNOSTICS v_n = ROW_COUNT;
                INSERT INTO purge_counts AS pc VALUES (v_table, v_n)
                ON CONFLICT (tname) DO UPDATE SET n = pc.n + excluded.n;
            EXCEPTION WHEN foreign_key_violation THEN
                v_left := v_left + 1;
            END;
        END LOOP;
        EXIT WHEN v_left = 0;
        IF v_round >= 20 THEN
            RAISE EXCEPTION 'identity_purge_tenant: rows still referenced after 20 rounds';
        END IF;
    END LOOP;
    UPDATE tenants SET status = 'purged', purged_at = now() WHERE id = p_tenant;
    RETURN QUERY SELECT pc.tname, pc.n FROM purge_counts pc WHERE pc.n > 0 ORDER BY pc.tname;
END
$$;
REVOKE ALL ON FUNCTION identity_purge_tenant(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION identity_purge_tenant(uuid) TO identity_app;
RESET ROLE;
