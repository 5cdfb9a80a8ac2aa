SET LOCAL ROLE identity_owner;

-- Email domains a workspace claims: sign-in finds the workspace from the email's domain.
-- A domain belongs to at most one workspace. Claims are made by the platform operator
-- after checking ownership (`identity domains claim`).
CREATE TABLE tenant_domains (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    domain     text NOT NULL CHECK (domain = lower(domain) AND domain <> ''),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, domain)
);
CREATE UNIQUE INDEX tenant_domains_domain ON tenant_domains (domain);
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_domains TO identity_app;

ALTER TABLE tenant_domains ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_domains FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_domains
    USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
-- Discovery before any tenant is known: a transaction that names one domain in
-- app.domain_lookup sees that domain's claim row and nothing else (read only).
CREATE POLICY domain_discovery ON tenant_domains FOR SELECT
    USING (domain = NULLIF(current_setting('app.domain_lookup', true), ''));

RESET ROLE;
