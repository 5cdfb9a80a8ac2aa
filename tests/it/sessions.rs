//! Server-side sessions: timeouts, ending them (admin API, user disabled) and the effect on
//! tokens that carry the session's id.

use crate::api_keys::admin_key;
use crate::harness::{envelope, settle_audit, tenant, TestApp, TestDb};
use crate::support::*;
use identity::auth::sessions;
use identity::config::SessionSettings;
use identity::jwt::claims::{AccessClaims, ACCESS_TOKEN_TYP};
use identity::jwt::Alg;
use serde_json::Value;

const SETTINGS: SessionSettings = SessionSettings {
    idle_timeout_secs: 600,
    absolute_timeout_secs: 3600,
};

#[tokio::test]
async fn sessions_end_at_their_idle_and_absolute_timeouts() {
    let db = TestDb::new().await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    let now = chrono::Utc::now();
    let mut tx = pool.tenant(t.tenant_id).await.unwrap();
    let (view, cookie) = sessions::start(
        &mut tx,
        &SETTINGS,
        t.admin_user_id,
        &["pwd".to_string()],
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(cookie.starts_with("ids_"));
    let stored: i64 = db
        .owner()
        .await
        .query_one(
            "SELECT count(*) FROM sessions WHERE secret_hash = $1",
            &[&cookie],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 0, "the cookie itself is never stored");

    let at = |secs: i64| now + chrono::Duration::seconds(secs);
    let active = sessions::resolve(&pool, &SETTINGS, &cookie, at(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(active.id, view.id);
    assert_eq!(active.user, t.admin_user_id);
    // Idle: unused for longer than the idle timeout.
    assert!(sessions::resolve(&pool, &SETTINGS, &cookie, at(601))
        .await
        .unwrap()
        .is_none());
    // Used regularly, it lives until the absolute timeout and not a second longer.
    for minute in (5..60).step_by(5) {
        assert!(
            sessions::resolve(&pool, &SETTINGS, &cookie, at(minute * 60))
                .await
                .unwrap()
                .is_some(),
            "minute {minute}"
        );
    }
    assert!(sessions::resolve(&pool, &SETTINGS, &cookie, at(3600))
        .await
        .unwrap()
        .is_none());
    // Garbage and look-alikes resolve to nothing.
    assert!(sessions::resolve(&pool, &SETTINGS, "ids_garbage", now)
        .await
        .unwrap()
        .is_none());
    let forged = format!("{}{}", &cookie[..26], "A".repeat(43));
    assert!(sessions::resolve(&pool, &SETTINGS, &forged, at(1))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn ending_a_session_ends_its_tokens_at_once_and_other_tenants_cannot() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let env = envelope(&[1]);
    let a = tenant(&pool, &env, "alpha").await;
    let b = tenant(&pool, &env, "bravo").await;
    let a_root = admin_key(&pool, a.tenant_id, "admin").await;
    let b_root = admin_key(&pool, b.tenant_id, "admin").await;
    let member = {
        let res = app
            .http
            .post(app.url("/admin/v1/users"))
            .bearer_auth(&a_root)
            .json(&serde_json::json!({"email": "kim@alpha.example", "roles": ["member"]}))
            .send()
            .await
            .unwrap();
        res.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let member_id = identity::ids::UserId(uuid::Uuid::parse_str(&member).unwrap());
    let now = chrono::Utc::now();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut tx = pool.tenant(a.tenant_id).await.unwrap();
        let (view, _) = sessions::start(&mut tx, &SETTINGS, member_id, &["pwd".to_string()], now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        ids.push(view.id);
    }

    // A token bound to the first session, as the sign-in flow will issue them.
    let rs = tenant_client(&pool, a.tenant_id, &[API], Some(API)).await;
    let keys = keystore(&pool, &env).await;
    let signer = keys
        .current()
        .signer(Alg::EdDSA, chrono::Utc::now())
        .unwrap();
    let t0 = chrono::Utc::now().timestamp();
    let claims = AccessClaims {
        iss: ISSUER.into(),
        sub: format!("user:{member}"),
        aud: API.into(),
        exp: t0 + 300,
        iat: t0,
        nbf: t0,
        jti: identity::crypto::random::token::<12>(),
        client_id: rs.id.clone(),
        scope: "openid".into(),
        tid: Some(a.tenant_id.to_string()),
        roles: None,
        sid: Some(ids[0].to_string()),
        amr: None,
        acr: None,
    };
    let token = identity::jwt::sign::sign(&signer, ACCESS_TOKEN_TYP, &claims).unwrap();
    assert_eq!(introspect(&app, &rs, &token).await["active"], true);

    let list_path = format!("/admin/v1/users/{member}/sessions");
    let listed: Value = app
        .http
        .get(app.url(&list_path))
        .bearer_auth(&a_root)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 2);
    assert!(
        !listed.to_string().contains("ids_"),
        "no cookie value in the list"
    );

    // Tenant B's admin: not found, nothing ended.
    assert_eq!(
        app.http
            .get(app.url(&list_path))
            .bearer_auth(&b_root)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let end_path = format!("{list_path}/{}", ids[0]);
    assert_eq!(
        app.http
            .delete(app.url(&end_path))
            .bearer_auth(&b_root)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(introspect(&app, &rs, &token).await["active"], true);

    assert_eq!(
        app.http
            .delete(app.url(&end_path))
            .bearer_auth(&a_root)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        introspect(&app, &rs, &token).await["active"],
        false,
        "token of an ended session still active"
    );
    assert_eq!(
        app.http
            .delete(app.url(&end_path))
            .bearer_auth(&a_root)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // Disabling the user ends the rest.
    let res = app
        .http
        .post(app.url(&format!("/admin/v1/users/{member}/disable")))
        .bearer_auth(&a_root)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let listed: Value = app
        .http
        .get(app.url(&list_path))
        .bearer_auth(&a_root)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed["sessions"].as_array().unwrap().is_empty());
    settle_audit(&pool).await;
    let mut tx = pool.tenant(a.tenant_id).await.unwrap();
    let rows = identity::db::models::audit::page(&mut tx, 0, None, 1000)
        .await
        .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert!(
        actions.contains(&"session.ended") && actions.contains(&"session.ended_all"),
        "{actions:?}"
    );
    app.stop().await;
}
