//! Envelope encryption against the database: ciphertexts bound to their place and to their
//! workspace's own key, and rotation at both levels that loses nothing, even interrupted,
//! when the old platform key is removed.

use crate::harness::{envelope, settle_audit, tenant, TestDb};
use identity::admin::encryption_rotation as rotation;
use identity::audit::{self, Origin};
use identity::crypto::envelope::EnvelopeError;
use identity::crypto::{Envelope, SecretContext};
use identity::db::models::secrets;
use identity::ids::TenantId;
use std::net::IpAddr;

const SALT: &str = "audit_ip_salt";

fn ctx(tenant: TenantId, row: &str) -> SecretContext<'_> {
    SecretContext {
        tenant,
        table: secrets::TABLE,
        column: secrets::COLUMN,
        row,
    }
}

/// Opens `value` as the service would: with `tenant`'s sealer under `env`.
async fn open(
    pool: &identity::db::Db,
    env: &Envelope,
    tenant: TenantId,
    name: &str,
    value: &str,
) -> Result<usize, EnvelopeError> {
    let tx = pool.tenant_any_status(tenant).await.unwrap();
    let sealer = env.for_tenant(&tx).await.unwrap();
    let opened = sealer.open(&ctx(tenant, name), value).map(|v| v.len());
    tx.commit().await.unwrap();
    opened
}

async fn stored(pool: &identity::db::Db, tenant: TenantId, name: &str) -> String {
    let mut tx = pool.tenant(tenant).await.unwrap();
    let v = secrets::get(&mut tx, name).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    v
}

#[tokio::test]
async fn stored_secret_round_trips_and_does_not_open_elsewhere() {
    let db = TestDb::new().await;
    let pool = db.db();
    let env = envelope(&[1]);
    let a = tenant(&pool, &env, "alpha").await;
    let b = tenant(&pool, &env, "bravo").await;

    let a_salt = stored(&pool, a.tenant_id, SALT).await;
    assert!(!a_salt.contains("audit"), "stored value must be ciphertext");
    assert!(
        a_salt.starts_with("ev2.1."),
        "under the workspace's key: {a_salt}"
    );
    assert_eq!(open(&pool, &env, a.tenant_id, SALT, &a_salt).await, Ok(32));
    // The platform key alone does not open a workspace's value.
    assert_eq!(
        env.open(&ctx(a.tenant_id, SALT), &a_salt).unwrap_err(),
        EnvelopeError::Rejected
    );

    // Copied to another tenant's row (as the database owner could): it does not open there.
    settle_audit(&pool).await;
    let owner = db.owner().await;
    owner
        .execute(
            "UPDATE tenant_secrets SET value_enc = $1 WHERE tenant_id = $2::text::uuid AND name = $3",
            &[&a_salt, &b.tenant_id.to_string(), &SALT],
        )
        .await
        .unwrap();
    let copied = stored(&pool, b.tenant_id, SALT).await;
    assert_eq!(copied, a_salt);
    assert_eq!(
        open(&pool, &env, b.tenant_id, SALT, &copied).await,
        Err(EnvelopeError::Rejected)
    );
    // ...and the chainer refuses to use it rather than hashing with a foreign salt: the
    // entry waits, unchained, until an operator repairs the secret.
    let mut tx = pool.tenant(b.tenant_id).await.unwrap();
    let origin = Origin {
        trace_id: "t".into(),
        ip: Some("192.0.2.1".parse::<IpAddr>().unwrap()),
    };
    let audit_ctx = audit::Context {
        envelope: &env,
        actor: "test",
        origin: &origin,
        now: chrono::Utc::now(),
    };
    let details = serde_json::json!({});
    audit_ctx
        .record(&mut tx, identity::audit::Action::UserUpdated, "", details)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(audit::chainer::settle(&pool, &env, b.tenant_id)
        .await
        .is_err());
    let waiting: i64 = owner
        .query_one(
            "SELECT count(*) FROM audit_pending WHERE tenant_id = $1::text::uuid AND action = 'user.updated'",
            &[&b.tenant_id.to_string()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(waiting, 1, "the entry must stay waiting");
    let chained: i64 = owner
        .query_one(
            "SELECT count(*) FROM audit_log WHERE tenant_id = $1::text::uuid AND action = 'user.updated'",
            &[&b.tenant_id.to_string()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(chained, 0, "nothing chained with a foreign salt");

    // Copied to another row of the same tenant: does not open either.
    assert_eq!(
        open(&pool, &env, a.tenant_id, "other_secret", &a_salt).await,
        Err(EnvelopeError::Rejected)
    );
}

/// A value as this service wrote it before workspaces had keys: straight under the platform
/// key (`ev1`), put in place by the database owner.
async fn plant_legacy(db: &TestDb, env: &Envelope, tenant: TenantId, name: &str) {
    let legacy = env.seal(&ctx(tenant, name), &[7u8; 32]);
    assert!(legacy.starts_with("ev1.1."));
    db.owner()
        .await
        .execute(
            "INSERT INTO tenant_secrets (tenant_id, name, value_enc) VALUES ($1::text::uuid, $2, $3)",
            &[&tenant.to_string(), &name, &legacy],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn platform_rotation_moves_everything_even_interrupted_and_the_old_key_can_go() {
    let db = TestDb::new().await;
    let pool = db.db();
    let v1 = envelope(&[1]);
    let mut tenants = Vec::new();
    for slug in ["alpha", "bravo", "charlie", "delta"] {
        tenants.push(tenant(&pool, &v1, slug).await.tenant_id);
    }
    // Each workspace: two secrets and the admin's email under its own key, plus three legacy
    // values to migrate.
    for t in &tenants {
        for name in ["legacy_a", "legacy_b", "legacy_c"] {
            plant_legacy(&db, &v1, *t, name).await;
        }
    }
    settle_audit(&pool).await;
    let before = rotation::status(&pool).await.unwrap();
    assert_eq!(before.values.get("ev2.1"), Some(&12), "{before:?}");
    assert_eq!(before.values.get("ev1.1"), Some(&12), "{before:?}");
    assert_eq!(
        before.workspace_keys.get("platform v1"),
        Some(&4),
        "{before:?}"
    );

    // Interrupted: the first run is stopped (its future dropped, as a killed process) after
    // its third batch; whatever it did not commit is rolled back.
    let both = envelope(&[1, 2]);
    let batches = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = batches.clone();
    let first = {
        let (pool, both) = (pool.clone(), both.clone());
        tokio::spawn(async move {
            rotation::rotate(&pool, &both, 1, move |_, _| {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })
            .await
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while batches.load(std::sync::atomic::Ordering::SeqCst) < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "the rotation never progressed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    first.abort();
    let _ = first.await;
    let halfway = rotation::status(&pool).await.unwrap();
    assert!(halfway.values.contains_key("ev1.1"), "{halfway:?}");

    // The second run finishes the rest.
    let mut progress = Vec::new();
    rotation::rotate(&pool, &both, 1, |d, t| progress.push((d, t)))
        .await
        .unwrap();
    assert!(!progress.is_empty());
    audit::chainer::settle_all(&pool, &both).await.unwrap();
    let after = rotation::status(&pool).await.unwrap();
    assert_eq!(after.values.get("ev1.1"), None, "{after:?}");
    assert_eq!(after.values.get("ev2.1"), Some(&24), "{after:?}");
    assert_eq!(
        after.workspace_keys.get("platform v2"),
        Some(&4),
        "{after:?}"
    );
    assert_eq!(after.workspace_keys.get("platform v1"), None, "{after:?}");

    // Only the new platform key left: every value still opens, with the bytes it had.
    let v2_only = envelope(&[2]);
    for t in &tenants {
        let salt = stored(&pool, *t, SALT).await;
        assert_eq!(open(&pool, &v2_only, *t, SALT, &salt).await, Ok(32));
        for name in ["legacy_a", "legacy_b", "legacy_c"] {
            let value = stored(&pool, *t, name).await;
            assert!(value.starts_with("ev2.1."), "{value}");
            let tx = pool.tenant(*t).await.unwrap();
            let sealer = v2_only.for_tenant(&tx).await.unwrap();
            assert_eq!(&**sealer.open(&ctx(*t, name), &value).unwrap(), &[7u8; 32]);
        }
    }

    // Each step is on the platform chain, and that chain verifies.
    let mut tx = pool.tenant(TenantId::PLATFORM).await.unwrap();
    let rows = identity::db::models::audit::page(&mut tx, 0, None, 500)
        .await
        .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions.first(), Some(&"encryption.rotation_started"));
    assert!(actions.contains(&"encryption.rotation_batch"));
    assert_eq!(actions.last(), Some(&"encryption.rotation_completed"));
    drop(tx);
    let reports = audit::verify::verify(&pool, &v2_only, None).await.unwrap();
    assert!(
        reports.iter().all(|r| r.first_break.is_none()),
        "{reports:?}"
    );
}

#[tokio::test]
async fn a_workspace_rotation_moves_that_workspace_only() {
    let db = TestDb::new().await;
    let pool = db.db();
    let env = envelope(&[1]);
    let a = tenant(&pool, &env, "alpha").await.tenant_id;
    let b = tenant(&pool, &env, "bravo").await.tenant_id;
    settle_audit(&pool).await;
    let old = stored(&pool, a, SALT).await;

    let (version, moved) = rotation::rotate_workspace(&pool, &env, a, 1, |_, _| {})
        .await
        .unwrap();
    assert_eq!(
        (version, moved),
        (2, 3),
        "two secrets and the admin's email address"
    );
    let new = stored(&pool, a, SALT).await;
    assert!(new.starts_with("ev2.2."), "{new}");
    assert_eq!(open(&pool, &env, a, SALT, &new).await, Ok(32));
    assert!(stored(&pool, b, SALT).await.starts_with("ev2.1."));
    // The old version still opens what a backup may hold; new values seal under v2.
    assert_eq!(open(&pool, &env, a, SALT, &old).await, Ok(32));
    let tx = pool.tenant(a).await.unwrap();
    let sealer = env.for_tenant(&tx).await.unwrap();
    assert!(sealer
        .seal(&ctx(a, "x"), b"x")
        .unwrap()
        .starts_with("ev2.2."));
}

#[tokio::test]
async fn rotation_stops_clearly_when_a_key_version_is_missing() {
    let db = TestDb::new().await;
    let pool = db.db();
    tenant(&pool, &envelope(&[1]), "alpha").await;
    settle_audit(&pool).await;
    // Version 1 removed before rotating: nothing is replaced, the error says what to do.
    let err = rotation::rotate(&pool, &envelope(&[2]), 10, |_, _| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("do not open"), "{err}");
    let status = rotation::status(&pool).await.unwrap();
    assert_eq!(
        status.workspace_keys.get("platform v1"),
        Some(&1),
        "{status:?}"
    );
}
