//! Envelope encryption against the database: ciphertexts bound to their place, and key
//! rotation that loses nothing when the old key is removed.

use crate::harness::{envelope, settle_audit, tenant, TestDb};
use identity::admin::platform_key_rotation as rotation;
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
    assert_eq!(
        env.open(&ctx(a.tenant_id, SALT), &a_salt).unwrap().len(),
        32
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
        env.open(&ctx(b.tenant_id, SALT), &copied).unwrap_err(),
        EnvelopeError::Rejected
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
        env.open(&ctx(a.tenant_id, "other_secret"), &a_salt)
            .unwrap_err(),
        EnvelopeError::Rejected
    );
}

#[tokio::test]
async fn rotation_rewraps_everything_resumably_and_the_old_key_can_go() {
    let db = TestDb::new().await;
    let pool = db.db();
    let v1 = envelope(&[1]);
    let mut tenants = Vec::new();
    for slug in ["alpha", "bravo", "charlie", "delta"] {
        tenants.push(tenant(&pool, &v1, slug).await);
    }
    // Each tenant holds two secrets: the audit IP salt and the audit chain key.
    let before = rotation::status(&pool).await.unwrap();
    assert_eq!(before.get("1"), Some(&8), "{before:?}");

    let both = envelope(&[1, 2]);
    // A previous run that stopped after one row: rotation resumes with the rest.
    let first = tenants[0].tenant_id;
    let old = stored(&pool, first, SALT).await;
    let moved = both.rewrap(&ctx(first, SALT), &old).unwrap().unwrap();
    db.owner()
        .await
        .execute(
            "UPDATE tenant_secrets SET value_enc = $1 WHERE tenant_id = $2::text::uuid AND name = $3",
            &[&moved, &first.to_string(), &SALT],
        )
        .await
        .unwrap();

    let mut progress = Vec::new();
    let done = rotation::rotate(&pool, &both, 1, |d, t| progress.push((d, t)))
        .await
        .unwrap();
    assert_eq!(done, 7);
    assert_eq!(progress.last(), Some(&(7, 7)), "{progress:?}");
    // The service's chainer (holding both keys) chains the rotation's entries.
    audit::chainer::settle_all(&pool, &both).await.unwrap();
    let after = rotation::status(&pool).await.unwrap();
    // ...plus the platform chain's key, made (under version 2) when its first entry was chained.
    assert_eq!(after.get("2"), Some(&9), "{after:?}");
    assert_eq!(after.get("1"), None, "{after:?}");

    // Only the new key left: every secret still opens and every tenant can still audit.
    let v2_only = envelope(&[2]);
    for t in &tenants {
        let value = stored(&pool, t.tenant_id, SALT).await;
        assert_eq!(Envelope::version_of(&value), Some(2));
        assert_eq!(
            v2_only.open(&ctx(t.tenant_id, SALT), &value).unwrap().len(),
            32
        );
    }

    // Each step is on the platform chain, and that chain verifies.
    let mut tx = pool.tenant(TenantId::PLATFORM).await.unwrap();
    let rows = identity::db::models::audit::page(&mut tx, 0, None, 100)
        .await
        .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions.first(), Some(&"encryption.rotation_started"));
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "encryption.rotation_batch")
            .count(),
        7,
        "one batch of one per re-wrapped secret (batch size 1)"
    );
    assert_eq!(actions.last(), Some(&"encryption.rotation_completed"));
    drop(tx);
    let reports = audit::verify::verify(&pool, &v2_only, Some("_platform"))
        .await
        .unwrap();
    assert!(reports[0].first_break.is_none());
}

#[tokio::test]
async fn rotation_stops_clearly_when_a_key_version_is_missing() {
    let db = TestDb::new().await;
    let pool = db.db();
    tenant(&pool, &envelope(&[1]), "alpha").await;
    // Version 1 removed before rotating: nothing is replaced, the error says what to do.
    let err = rotation::rotate(&pool, &envelope(&[2]), 10, |_, _| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("do not open"), "{err}");
    assert_eq!(rotation::status(&pool).await.unwrap().get("1"), Some(&2));
}
