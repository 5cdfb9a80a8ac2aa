//! Signing key rotation with two instances running: the next key is published before it
//! signs, tokens of the old key keep validating, and nobody restarts.

use crate::harness::{envelope, TestApp, TestDb};
use crate::support::*;
use identity::jwt::{rotation, Alg};
use serde_json::Value;
use std::time::{Duration, Instant};

async fn jwks_kids(app: &TestApp) -> Vec<String> {
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn rotation_reaches_both_instances_without_restart_and_old_tokens_stay_valid() {
    let db = TestDb::new().await;
    let a = TestApp::spawn(db.settings()).await;
    let b = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let caller = platform_client(&pool, Alg::EdDSA, &[API], None).await;
    let api = platform_client(&pool, Alg::EdDSA, &[], Some(API)).await;
    let before = client_token(&a, &caller, API).await;
    let old_kid = peek(&before).0["kid"].as_str().unwrap().to_string();

    let ahead = chrono::Duration::seconds(4);
    let next = rotation::rotate(
        &pool,
        &envelope(&[1]),
        Alg::EdDSA,
        ahead,
        "test",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let activation = Instant::now() + Duration::from_secs(4);

    // Published on both instances well before it signs.
    for app in [&a, &b] {
        let deadline = Instant::now() + Duration::from_secs(3);
        while !jwks_kids(app).await.contains(&next.kid) {
            assert!(Instant::now() < deadline, "next key not published in time");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert!(Instant::now() < activation, "published too late to test");
    let still_old = client_token(&b, &caller, API).await;
    assert_eq!(
        peek(&still_old).0["kid"],
        old_kid.as_str(),
        "the next key signed before its time"
    );

    tokio::time::sleep(
        activation.saturating_duration_since(Instant::now()) + Duration::from_millis(300),
    )
    .await;
    for app in [&a, &b] {
        let fresh = client_token(app, &caller, API).await;
        assert_eq!(
            peek(&fresh).0["kid"],
            next.kid.as_str(),
            "instance did not switch to the new key"
        );
        // Tokens signed before the rotation keep validating, on both instances.
        assert_eq!(introspect(app, &api, &before).await["active"], true);
        assert!(
            jwks_kids(app).await.contains(&old_kid),
            "retired key left the JWKS too early"
        );
    }
    let (ok, out) = pyjwt(
        &b.url("/.well-known/jwks.json"),
        &before,
        ISSUER,
        API,
        "EdDSA",
    );
    assert!(ok, "an old token no longer verifies offline: {out}");
    a.stop().await;
    b.stop().await;
}
