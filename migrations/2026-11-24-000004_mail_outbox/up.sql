SET LOCAL ROLE identity_owner;

-- Outgoing mail, written in the same transaction as the action that sends it and delivered
-- by the SMTP sender with retries. Recipient and body are envelope-encrypted: a body may
-- carry a one-time link.
CREATE TABLE mail_outbox (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    recipient_enc   text NOT NULL,
    subject         text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    body_enc        text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX mail_outbox_due ON mail_outbox (tenant_id, next_attempt_at) WHERE status = 'pending';
GRANT SELECT, INSERT, UPDATE, DELETE ON mail_outbox TO identity_app;

ALTER TABLE mail_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE mail_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mail_outbox
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

RESET ROLE;
