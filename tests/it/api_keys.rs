//! API keys: create, use, rotate with an overlap, revoke, exchange for a JWT, rotation_due.

use crate::harness::{envelope, run_cli, settle_audit, tenant, TestApp, TestDb};
use crate::support::*;
use identity::apikeys::service;
use identity::db::Db;
use identity::ids::TenantId;
use identity::jwt::Alg;
use serde_json::{json, Value};

/// An admin API key made the way an operator would (the CLI's code path).
pub async fn admin_key(pool: &Db, tenant: TenantId, role: &str) -> String {
    key_made_by(pool, tenant, "cli", role).await
}

/// A key with `role` as if `maker` (an actor string such as `user:<id>`) had made it.
pub async fn key_made_by(pool: &Db, tenant: TenantId, maker: &str, role: &str) -> String {
    let mut tx = pool.tenant(tenant).await.unwrap();
    let key_ring = envelope(&[1]);
    let ctx = identity::audit::Context::without_request(&key_ring, maker, chrono::Utc::now());
    let (_, key) = service::create(&mut tx, &ctx, "seed", role, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    key
}

async fn admin_get(app: &TestApp, bearer: &str, path: &str) -> reqwest::Response {
    app.http
        .get(app.url(path))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
}

async fn exchange(app: &TestApp, key: &str, audience: Option<&str>) -> reqwest::Response {
    let mut form = vec![
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", key),
        (
            "subject_token_type",
            "urn:identity:params:oauth:token-type:api-key",
        ),
    ];
    if let Some(a) = audience {
        form.push(("audience", a));
    }
    app.http
        .post(app.url("/oauth2/token"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn create_use_rotate_and_revoke_through_the_admin_api() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    let root = admin_key(&pool, t.tenant_id, "admin").await;

    let res = app
        .http
        .post(app.url("/admin/v1/api-keys"))
        .bearer_auth(&root)
        .json(&json!({"name": "ci", "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let key = created["key"].as_str().unwrap().to_string();
    let id = created["api_key"]["id"].as_str().unwrap().to_string();
    assert!(key.starts_with("idk_"));
    assert_eq!(created["api_key"]["last4"], &key[key.len() - 4..]);
    assert_eq!(
        admin_get(&app, &key, "/admin/v1/users").await.status(),
        200,
        "a viewer key reads users"
    );

    let listed: Value = admin_get(&app, &root, "/admin/v1/api-keys")
        .await
        .json()
        .await
        .unwrap();
    let listed_text = listed.to_string();
    assert!(
        !listed_text.contains(&key),
        "the key itself must never be listed"
    );
    let entry = listed["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id.as_str())
        .unwrap();
    assert_eq!(entry["role"], "viewer");
    assert!(entry["created_by"]
        .as_str()
        .unwrap()
        .starts_with("api_key:"));
    assert!(entry["last_used_at"].is_string(), "last use is recorded");

    // Rotation with an overlap: both keys work now.
    let res = app
        .http
        .post(app.url(&format!("/admin/v1/api-keys/{id}/rotate")))
        .bearer_auth(&root)
        .json(&json!({"overlap_secs": 3600}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let rotated: Value = res.json().await.unwrap();
    let new_key = rotated["key"].as_str().unwrap().to_string();
    assert_ne!(new_key, key);
    assert_eq!(
        admin_get(&app, &new_key, "/admin/v1/users").await.status(),
        200
    );
    assert_eq!(
        admin_get(&app, &key, "/admin/v1/users").await.status(),
        200,
        "old key within the overlap"
    );
    // ...and after the overlap only the new one (time passed in).
    let later = chrono::Utc::now() + chrono::Duration::seconds(3601);
    assert!(service::authenticate(&pool, &key, later)
        .await
        .unwrap()
        .is_none());
    assert!(service::authenticate(&pool, &new_key, later)
        .await
        .unwrap()
        .is_some());
    // Without overlap the old key dies at once.
    let res = app
        .http
        .post(app.url(&format!("/admin/v1/api-keys/{id}/rotate")))
        .bearer_auth(&root)
        .json(&json!({"overlap_secs": 0}))
        .send()
        .await
        .unwrap();
    let newest = res.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        admin_get(&app, &new_key, "/admin/v1/users").await.status(),
        401
    );

    // Revocation is immediate, for the key and for JWTs it was exchanged for.
    let jwt: Value = exchange(&app, &newest, None).await.json().await.unwrap();
    let jwt = jwt["access_token"].as_str().unwrap().to_string();
    assert_eq!(admin_get(&app, &jwt, "/admin/v1/users").await.status(), 200);
    let res = app
        .http
        .delete(app.url(&format!("/admin/v1/api-keys/{id}")))
        .bearer_auth(&root)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        admin_get(&app, &newest, "/admin/v1/users").await.status(),
        401
    );
    assert_eq!(
        admin_get(&app, &jwt, "/admin/v1/users").await.status(),
        401,
        "JWT of a revoked key still accepted"
    );

    // Every action is in the tenant's audit log.
    settle_audit(&pool).await;
    let mut tx = pool.tenant(t.tenant_id).await.unwrap();
    let rows = identity::db::models::audit::page(&mut tx, 0, None, 1000)
        .await
        .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    for a in ["api_key.created", "api_key.rotated", "api_key.revoked"] {
        assert!(actions.contains(&a), "{a} not audited: {actions:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_api_key_exchanges_for_a_short_jwt_that_resource_servers_introspect() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    let key = admin_key(&pool, t.tenant_id, "member").await;
    let res = exchange(&app, &key, Some(API)).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    assert!(body["expires_in"].as_i64().unwrap() <= 300);
    let jwt = body["access_token"].as_str().unwrap();
    let (_, claims) = peek(jwt);
    assert_eq!(claims["tid"], t.tenant_id.to_string());
    assert_eq!(claims["roles"], json!(["member"]));
    assert_eq!(claims["aud"], API);
    let (ok, out) = pyjwt(
        &app.url("/.well-known/jwks.json"),
        jwt,
        ISSUER,
        API,
        "EdDSA",
    );
    assert!(ok, "{out}");

    let api = platform_client(&pool, Alg::EdDSA, &[], Some(API)).await;
    assert_eq!(introspect(&app, &api, jwt).await["active"], true);
    let key_info = introspect(&app, &api, &key).await;
    assert_eq!(key_info["active"], true);
    assert_eq!(key_info["token_type"], "api_key");
    assert_eq!(key_info["tid"], t.tenant_id.to_string());

    // Refused: an audience outside the allowed list, a wrong subject type, a made-up key.
    assert_eq!(
        exchange(&app, &key, Some("https://evil.example"))
            .await
            .status(),
        400
    );
    let fake = format!("{}x", &key[..key.len() - 1]);
    let res = exchange(&app, &fake, Some(API)).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    app.stop().await;
}

#[tokio::test]
async fn keys_not_rotated_for_90_days_are_flagged_and_audited_once() {
    let db = TestDb::new().await;
    let pool = db.db();
    let env = envelope(&[1]);
    let t = tenant(&pool, &env, "alpha").await;
    admin_key(&pool, t.tenant_id, "viewer").await;
    let list_at = |days: i64| {
        let pool = pool.clone();
        let env = env.clone();
        async move {
            let mut tx = pool.tenant(t.tenant_id).await.unwrap();
            let keys = service::list(
                &mut tx,
                &env,
                chrono::Utc::now() + chrono::Duration::days(days),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            keys[0].rotation_due
        }
    };
    assert!(!list_at(89).await);
    assert!(list_at(91).await);
    assert!(list_at(92).await);
    settle_audit(&pool).await;
    let mut tx = pool.tenant(t.tenant_id).await.unwrap();
    let rows = identity::db::models::audit::page(&mut tx, 0, None, 1000)
        .await
        .unwrap();
    assert_eq!(
        rows.iter()
            .filter(|r| r.action == "api_key.rotation_due")
            .count(),
        1
    );
}

#[tokio::test]
async fn the_cli_creates_keys_for_scripts() {
    let db = TestDb::new().await;
    let env = db.env();
    let (code, _, err) = run_cli(
        &env,
        &[
            "bootstrap",
            "--tenant",
            "acme",
            "--admin-email",
            "ops@acme.example",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run_cli(
        &env,
        &[
            "api-keys", "create", "--tenant", "acme", "--role", "admin", "--json",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    let key = v["key"].as_str().unwrap();
    assert!(key.starts_with("idk_"));
    assert!(service::authenticate(&db.db(), key, chrono::Utc::now())
        .await
        .unwrap()
        .is_some());
    let (code, _, err) = run_cli(
        &env,
        &[
            "api-keys",
            "create",
            "--tenant",
            "acme",
            "--role",
            "nosuchrole",
        ],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("role"), "{err}");
}
