//! Credentials die with their maker, on every instance: a key made by a key stops working
//! when its maker is revoked or expires, on a second instance whose memory already holds
//! it (introspection, the raw key at the admin API and the JWT it was exchanged for). Before
//! the fix, only the maker's own entry was forgotten and an expiry was never announced.

use crate::authority::rig;
use crate::change_feed::time_until;
use crate::harness::{envelope, TestApp};
use crate::support::*;
use identity::apikeys::service;
use identity::jwt::Alg;
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

/// A key of role `admin` made by `maker`, expiring at `expires`.
async fn key(
    r: &crate::authority::Rig,
    maker: &str,
    expires: Option<chrono::DateTime<chrono::Utc>>,
) -> (uuid::Uuid, String) {
    let mut tx = r.pool.tenant(r.t.tenant_id).await.unwrap();
    let key_ring = envelope(&[1]);
    let ctx = identity::audit::Context::without_request(&key_ring, maker, chrono::Utc::now());
    let (view, key) = service::create(&mut tx, &ctx, "chain", "admin", expires)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (view.id, key)
}

/// The key exchanged for an admin-audience JWT (RFC 8693).
async fn exchanged(app: &TestApp, key: &str) -> String {
    let res = app
        .http
        .post(app.url("/oauth2/token"))
        .form(&[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("subject_token", key),
            (
                "subject_token_type",
                "urn:identity:params:oauth:token-type:api-key",
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn users_status(app: &TestApp, bearer: &str) -> u16 {
    app.call(bearer, Method::GET, "/admin/v1/users", None)
        .await
        .0
}

#[tokio::test]
async fn a_key_made_by_a_revoked_key_dies_on_a_warm_instance() {
    let r = rig().await;
    let b = TestApp::spawn(r.db.settings()).await;
    let crm_api = platform_client(&r.pool, Alg::EdDSA, &[], Some(API)).await;
    let admin_api = platform_client(&r.pool, Alg::EdDSA, &[], Some(ADMIN)).await;
    let (maker_id, _maker) = key(&r, "cli", None).await;
    let (child_id, child) = key(&r, &format!("api_key:{maker_id}"), None).await;
    b.feed_trusted().await;
    let jwt = exchanged(&b, &child).await;
    assert_eq!(introspect(&b, &crm_api, &child).await["active"], true);
    assert_eq!(introspect(&b, &admin_api, &jwt).await["active"], true);
    assert_eq!(users_status(&b, &child).await, 200);
    assert_eq!(users_status(&b, &jwt).await, 200);

    let path = format!("/admin/v1/api-keys/{maker_id}");
    let (s, _) = r.app.call(&r.admin_key, Method::DELETE, &path, None).await;
    assert!(s == 204 || s == 200, "revoking the maker answered {s}");
    time_until("the child key, introspected", || async {
        introspect(&b, &crm_api, &child).await["active"] == false
    })
    .await;
    time_until("its exchanged JWT, introspected", || async {
        introspect(&b, &admin_api, &jwt).await["active"] == false
    })
    .await;
    assert_eq!(users_status(&b, &child).await, 401);
    assert_eq!(users_status(&b, &jwt).await, 401);
    // It is revoked itself, not only unusable: the list shows it, and it stays dead.
    let (s, all) = r
        .app
        .call(&r.admin_key, Method::GET, "/admin/v1/api-keys", None)
        .await;
    assert_eq!(s, 200);
    let listed = all["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == child_id.to_string())
        .cloned()
        .unwrap_or_else(|| panic!("{all}"));
    assert!(listed["revoked_at"].is_string(), "{listed}");
    b.stop().await;
}

#[tokio::test]
async fn a_key_made_by_a_key_expires_with_its_maker_on_a_warm_instance() {
    let r = rig().await;
    let b = TestApp::spawn(r.db.settings()).await;
    let crm_api = platform_client(&r.pool, Alg::EdDSA, &[], Some(API)).await;
    let ends = chrono::Utc::now() + chrono::Duration::seconds(3);
    let (maker_id, _) = key(&r, "cli", Some(ends)).await;
    let (_, child) = key(&r, &format!("api_key:{maker_id}"), None).await;
    b.feed_trusted().await;
    let first = introspect(&b, &crm_api, &child).await;
    assert_eq!(first["active"], true);
    assert_eq!(first["exp"], ends.timestamp(), "it ends with its maker");
    let jwt = exchanged(&b, &child).await;
    assert!(peek(&jwt).1["exp"].as_i64().unwrap() <= ends.timestamp() + 1);

    // Nothing is announced when a key expires: the remembered entry carries the end.
    let wait = (ends - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(100)).await;
    assert_eq!(introspect(&b, &crm_api, &child).await["active"], false);
    assert_eq!(users_status(&b, &child).await, 401);
    b.stop().await;
}
