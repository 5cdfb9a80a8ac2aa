//! Introspection and revocation: a token is active only for the service it was minted for,
//! and revoking a token or deleting a client shows at once on the instance that did it and
//! within the change feed's bound on every other.

use crate::change_feed::time_until;
use crate::harness::{envelope, tenant, TestApp, TestDb};
use crate::support::*;
use identity::jwt::Alg;
use identity::oidc::clients;

#[tokio::test]
async fn a_token_is_active_only_for_its_own_audience() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let caller = platform_client(&pool, Alg::EdDSA, &[API], None).await;
    let api = platform_client(&pool, Alg::EdDSA, &[], Some(API)).await;
    let billing = platform_client(&pool, Alg::EdDSA, &[], Some(BILLING)).await;
    let token = client_token(&app, &caller, API).await;

    let seen_by_api = introspect(&app, &api, &token).await;
    assert_eq!(seen_by_api["active"], true);
    assert_eq!(seen_by_api["aud"], API);
    assert_eq!(seen_by_api["client_id"], caller.id.as_str());
    assert_eq!(
        introspect(&app, &billing, &token).await["active"],
        false,
        "billing must not accept an API token"
    );
    // A client that is no resource server learns nothing.
    assert_eq!(introspect(&app, &caller, &token).await["active"], false);
    assert_eq!(introspect(&app, &api, "garbage").await["active"], false);

    let anonymous = app
        .http
        .post(app.url("/oauth2/introspect"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn revocation_and_client_deletion_show_on_every_instance() {
    let db = TestDb::new().await;
    let a = TestApp::spawn(db.settings()).await;
    let b = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let caller = platform_client(&pool, Alg::ES256, &[API], None).await;
    let api = platform_client(&pool, Alg::EdDSA, &[], Some(API)).await;
    let t1 = client_token(&a, &caller, API).await;
    let t2 = client_token(&b, &caller, API).await;
    assert_eq!(introspect(&b, &api, &t1).await["active"], true);

    assert_eq!(revoke(&a, &caller, &t1).await, 200);
    // Another instance learns it through the change feed, within the README's bound.
    time_until("revocation", || async {
        introspect(&b, &api, &t1).await["active"] == false
    })
    .await;
    assert_eq!(
        introspect(&a, &api, &t2).await["active"],
        true,
        "revoking one token must not touch others"
    );

    // Another client cannot revoke someone else's token.
    let other = platform_client(&pool, Alg::EdDSA, &[BILLING], None).await;
    assert_eq!(revoke(&a, &other, &t2).await, 200);
    assert_eq!(introspect(&a, &api, &t2).await["active"], true);

    clients::delete(
        &pool,
        &envelope(&[1]),
        &caller.id,
        "test",
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    time_until("client deletion", || async {
        introspect(&b, &api, &t2).await["active"] == false
    })
    .await;
    let res = token_response(
        &a,
        &caller,
        &[("grant_type", "client_credentials"), ("audience", API)],
    )
    .await;
    assert_eq!(res.status(), 401);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn client_secret_rotation_keeps_the_old_secret_only_for_the_overlap() {
    let db = TestDb::new().await;
    let pool = db.db();
    let c = platform_client(&pool, Alg::EdDSA, &[API], None).await;
    let now = chrono::Utc::now();
    let overlap = chrono::Duration::hours(1);
    let new_secret = clients::rotate_secret(&pool, &envelope(&[1]), &c.id, overlap, "test", now)
        .await
        .unwrap();
    assert!(new_secret.starts_with("ics_"));
    let ok = |secret: &str, at| {
        let pool = pool.clone();
        let id = c.id.clone();
        let secret = secret.to_string();
        async move {
            identity::oidc::client_lookup::authenticate(&pool, &id, &secret, at)
                .await
                .unwrap()
                .is_some()
        }
    };
    assert!(ok(&c.secret, now).await, "old secret within the overlap");
    assert!(ok(&new_secret, now).await);
    let later = now + overlap + chrono::Duration::seconds(1);
    assert!(!ok(&c.secret, later).await, "old secret after the overlap");
    assert!(ok(&new_secret, later).await);
}

#[tokio::test]
async fn tenant_clients_get_tenant_scoped_tokens_and_see_only_their_tenant() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let env = envelope(&[1]);
    let a = tenant(&pool, &env, "alpha").await;
    let b = tenant(&pool, &env, "bravo").await;
    let a_client = tenant_client(&pool, a.tenant_id, &[API], Some(API)).await;
    let b_client = tenant_client(&pool, b.tenant_id, &[API], Some(API)).await;
    assert!(a_client.id.starts_with("tc_"));
    let token = client_token(&app, &a_client, API).await;
    let (_, claims) = peek(&token);
    assert_eq!(claims["tid"], a.tenant_id.to_string());
    assert_eq!(introspect(&app, &a_client, &token).await["active"], true);
    assert_eq!(
        introspect(&app, &b_client, &token).await["active"],
        false,
        "tenant B's client introspected A's token"
    );
    // A forged client id naming tenant B with A's secret authenticates nothing.
    let forged = TestClient {
        id: b_client.id.clone(),
        secret: a_client.secret.clone(),
    };
    let res = token_response(
        &app,
        &forged,
        &[("grant_type", "client_credentials"), ("audience", API)],
    )
    .await;
    assert_eq!(res.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn wrong_secrets_do_not_spend_a_clients_token_budget() {
    let db = TestDb::new().await;
    let mut settings = db.settings();
    settings.rate_limits.token_per_client = identity::config::Budget {
        limit: 3,
        window_secs: 60,
    };
    let app = TestApp::spawn(settings).await;
    let c = platform_client(&db.db(), Alg::EdDSA, &[API], None).await;
    let attacker = TestClient {
        id: c.id.clone(),
        secret: "ics_guess".into(),
    };
    for _ in 0..5 {
        let res = token_response(
            &app,
            &attacker,
            &[("grant_type", "client_credentials"), ("audience", API)],
        )
        .await;
        assert_eq!(res.status(), 401);
    }
    for i in 0..3 {
        let res = token_response(
            &app,
            &c,
            &[("grant_type", "client_credentials"), ("audience", API)],
        )
        .await;
        assert_eq!(res.status(), 200, "request {i} of the real client refused");
    }
    // The real client's own budget still applies.
    let res = token_response(
        &app,
        &c,
        &[("grant_type", "client_credentials"), ("audience", API)],
    )
    .await;
    assert_eq!(res.status(), 429);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["error"],
        "slow_down"
    );
    app.stop().await;
}
