//! A cloned passkey racing the real device: two uses with the same signature counter, each
//! checked against the stored counter before either was recorded. The check and the update
//! are one conditional statement, so exactly one use is recorded and the other is told it
//! lost (and is then refused as a suspected clone). Before, both updates went through.

use crate::harness::{envelope, tenant, TestDb};
use identity::db::models::passkeys;
use serde_json::json;

#[tokio::test]
async fn of_two_uses_with_the_same_counter_only_one_is_recorded() {
    let db = TestDb::new().await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    let id = uuid::Uuid::new_v4();
    db.owner()
        .await
        .execute(
            "INSERT INTO passkeys (tenant_id, id, user_id, credential_id, name, credential, created_at, sign_count)
             VALUES ($1::text::uuid, $2::text::uuid, $3::text::uuid, '\\x01', 'key', '{}', now(), 4)",
            &[
                &t.tenant_id.0.to_string(),
                &id.to_string(),
                &t.admin_user_id.0.to_string(),
            ],
        )
        .await
        .unwrap();
    let credential = json!({"counter": 5});
    let now = chrono::Utc::now();
    // The device's use, not committed yet.
    let mut device = pool.tenant(t.tenant_id).await.unwrap();
    assert!(passkeys::used(&mut device, id, (Some(&credential), 5), now)
        .await
        .unwrap());
    // The clone's use with the same counter waits for the device's row, then finds it moved.
    let racing = {
        let pool = pool.clone();
        let (tenant, credential) = (t.tenant_id, credential.clone());
        tokio::spawn(async move {
            let mut clone = pool.tenant(tenant).await.unwrap();
            let won = passkeys::used(&mut clone, id, (Some(&credential), 5), now)
                .await
                .unwrap();
            clone.commit().await.unwrap();
            won
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    device.commit().await.unwrap();
    assert!(!racing.await.unwrap(), "the clone's use was recorded too");
    // A later use with a higher counter is recorded.
    let mut next = pool.tenant(t.tenant_id).await.unwrap();
    assert!(passkeys::used(&mut next, id, (Some(&credential), 6), now)
        .await
        .unwrap());
    next.commit().await.unwrap();
}
