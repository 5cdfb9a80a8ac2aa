//! The database catalog itself: forced row-level security everywhere, a runtime role that
//! cannot bypass it, and an append-only audit table.

use crate::harness::TestDb;

/// Every table in `public` with a `tenant_id` column.
pub const TENANT_TABLES_SQL: &str = "SELECT c.relname::text FROM pg_class c \
    JOIN pg_namespace n ON n.oid = c.relnamespace \
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND EXISTS ( \
      SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped) \
    ORDER BY 1";

#[tokio::test]
async fn every_tenant_table_has_forced_rls_and_a_tenant_policy() {
    let db = TestDb::new().await;
    let owner = db.owner().await;
    let tables: Vec<String> = owner
        .query(TENANT_TABLES_SQL, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        tables.len() >= 5,
        "expected the tenant tables, found {tables:?}"
    );
    for table in &tables {
        let row = owner
            .query_one(
                "SELECT c.relrowsecurity, c.relforcerowsecurity, \
                   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid \
                      AND pg_get_expr(p.polqual, p.polrelid) LIKE '%current_setting(''app.tenant_id''%' \
                      AND pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%current_setting(''app.tenant_id''%') \
                 FROM pg_class c WHERE c.relname = $1 AND c.relnamespace = 'public'::regnamespace",
                &[table],
            )
            .await
            .unwrap();
        let (enabled, forced, policies): (bool, bool, i64) = (row.get(0), row.get(1), row.get(2));
        assert!(enabled, "{table}: row level security not enabled");
        assert!(forced, "{table}: row level security not forced");
        assert!(
            policies >= 1,
            "{table}: no policy on app.tenant_id for USING and WITH CHECK"
        );
    }
}

#[tokio::test]
async fn runtime_role_is_unprivileged_and_owns_nothing() {
    let db = TestDb::new().await;
    let owner = db.owner().await;
    let row = owner
        .query_one(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = 'identity_app'",
            &[],
        )
        .await
        .unwrap();
    for i in 0..4 {
        assert!(!row.get::<_, bool>(i), "identity_app has attribute #{i}");
    }
    let owned: i64 = owner
        .query_one(
            "SELECT count(*) FROM pg_class WHERE relowner = 'identity_app'::regrole",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(owned, 0, "the runtime role must own no relation");
    let foreign: Vec<String> = owner
        .query(
            "SELECT relname::text FROM pg_class WHERE relnamespace = 'public'::regnamespace \
             AND relkind = 'r' AND relname <> '__diesel_schema_migrations' \
             AND relowner <> 'identity_owner'::regrole",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        foreign.is_empty(),
        "tables not owned by identity_owner: {foreign:?}"
    );
}

/// The chain (`audit_log`) and the entries waiting for it (`audit_pending`): the runtime
/// role writes and reads them, and can change or remove nothing, not even one column.
#[tokio::test]
async fn audit_tables_are_insert_and_select_only_for_the_runtime_role() {
    let db = TestDb::new().await;
    let owner = db.owner().await;
    let app = db.app().await;
    for table in ["audit_log", "audit_pending"] {
        for (privilege, expected) in [
            ("SELECT", true),
            ("INSERT", true),
            ("UPDATE", false),
            ("DELETE", false),
            ("TRUNCATE", false),
        ] {
            let has: bool = owner
                .query_one(
                    "SELECT has_table_privilege('identity_app', $1, $2)",
                    &[&table, &privilege],
                )
                .await
                .unwrap()
                .get(0);
            assert_eq!(has, expected, "identity_app {privilege} on {table}");
        }
        let any_column_update: bool = owner
            .query_one(
                "SELECT has_any_column_privilege('identity_app', $1, 'UPDATE')",
                &[&table],
            )
            .await
            .unwrap()
            .get(0);
        assert!(
            !any_column_update,
            "identity_app may update a column of {table}"
        );
        let err = app
            .batch_execute(&format!("DELETE FROM {table}"))
            .await
            .unwrap_err();
        assert!(
            format!("{err:?}").contains("permission denied"),
            "{table}: {err:?}"
        );
    }
}

/// The two functions that list workspaces with background work bypass row-level security
/// (as a role of their own) and must tell the runtime role nothing but tenant ids.
#[tokio::test]
async fn the_due_work_functions_answer_tenant_ids_only_and_are_the_only_bypass() {
    let db = TestDb::new().await;
    let owner = db.owner().await;
    let row = owner
        .query_one(
            "SELECT rolcanlogin, rolbypassrls, rolsuper, pg_has_role('identity_app', oid, 'MEMBER') \
             FROM pg_roles WHERE rolname = 'identity_due_work'",
            &[],
        )
        .await
        .unwrap();
    let (login, bypass, superuser, app_member): (bool, bool, bool, bool) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    assert!(!login && bypass && !superuser && !app_member);
    // Every SECURITY DEFINER function is one that was reviewed.
    let definers: Vec<String> = owner
        .query(
            "SELECT p.proname::text FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace \
             AND p.prosecdef ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        definers,
        [
            "audit_chain_append",
            "audit_chain_rewrite",
            "audit_retention_cut",
            "identity_purge_tenant",
            "identity_tenant_of_passkey",
            "identity_tenants_with_due_mail",
            "identity_tenants_with_due_metadata",
            "identity_tenants_with_pending_audit"
        ]
    );
    // What the bypassing role may read: three columns of the outbox, one of audit_pending,
    // a passkey's credential id with its tenant, and when a connection's metadata is due.
    let readable: Vec<String> = owner
        .query(
            "SELECT table_name || '.' || column_name FROM information_schema.column_privileges \
             WHERE grantee = 'identity_due_work' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        readable,
        [
            "audit_pending.tenant_id",
            "mail_outbox.next_attempt_at",
            "mail_outbox.status",
            "mail_outbox.tenant_id",
            "passkeys.credential_id",
            "passkeys.tenant_id",
            "sso_connections.metadata_refresh_at",
            "sso_connections.tenant_id"
        ]
    );

    // Two workspaces' mail: one due, one sent. The runtime role sees no rows without a
    // tenant, and the function names the workspace with due mail only.
    let (due, sent) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    for (id, status) in [(due, "pending"), (sent, "sent")] {
        owner
            .execute(
                "INSERT INTO tenants (id, slug, display_name, status, created_at) \
                 VALUES ($1, $2, 'x', 'active', now())",
                &[&id, &format!("t-{}", &id.simple().to_string()[..8])],
            )
            .await
            .unwrap();
        owner
            .execute(
                "INSERT INTO mail_outbox (id, tenant_id, recipient_enc, subject, body_enc, status, \
                 attempts, next_attempt_at, created_at) \
                 VALUES (gen_random_uuid(), $1, 'secret-recipient', 'subject', 'secret-body', $2, 0, \
                 now() - interval '1 second', now())",
                &[&id, &status],
            )
            .await
            .unwrap();
    }
    let app = db.app().await;
    let visible: i64 = app
        .query_one("SELECT count(*) FROM mail_outbox", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(visible, 0, "the runtime role read mail without a tenant");
    let named: Vec<uuid::Uuid> = app
        .query("SELECT * FROM identity_tenants_with_due_mail(now())", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(named, [due]);
    // It cannot become the bypassing role.
    let err = app.batch_execute("SET ROLE identity_due_work").await;
    assert!(err.is_err(), "the runtime role took the bypassing role");
}
