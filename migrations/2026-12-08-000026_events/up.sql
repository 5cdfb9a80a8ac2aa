-- Events out (the transactional outbox): each change other CRM services must learn of
-- writes its event in the same transaction as the change (`audit::Context::record`), so no
-- event exists without its change and no change without its event. `id` is the event's
-- stable id (receivers de-duplicate by it), `seq` the order events were written in; `data`
-- holds ids and the minimum the type needs, never personal data.
SET LOCAL ROLE identity_owner;

CREATE TABLE events (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    type        text NOT NULL,
    occurred_at timestamptz NOT NULL,
    data        jsonb NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX events_tenant_seq ON events (tenant_id, seq);
-- The runtime role writes events, reads them and removes them; it never edits one.
GRANT SELECT, INSERT, DELETE ON events TO identity_app;
ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

RESET ROLE;
