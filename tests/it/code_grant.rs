//! The token endpoint's person grants over HTTP: a code (as the sign-in flow hands it out)
//! becomes access, ID and refresh tokens; userinfo answers for them; reuse of a code or of
//! a rotated refresh token revokes what was issued.

use crate::harness::{envelope, tenant, TestApp, TestDb};
use crate::support::*;
use identity::auth::sessions;
use identity::config::SessionSettings;
use identity::oidc::clients::{self, ClientSpec};
use identity::oidc::codes::{self, CodeGrant};
use serde_json::Value;

use crate::browser::CHALLENGE;
pub use crate::browser::{REDIRECT, VERIFIER};

/// A signed-in person (a fresh session) and the code the authorization endpoint hands out.
pub async fn signed_in_code(
    pool: &identity::db::Db,
    t: &identity::admin::bootstrap::Bootstrapped,
    client_id: &str,
    scope: &str,
    nonce: Option<&str>,
) -> (uuid::Uuid, String) {
    code_for(pool, t.tenant_id, t.admin_user_id, client_id, scope, nonce).await
}

/// [`signed_in_code`] for any person of the workspace.
pub async fn code_for(
    pool: &identity::db::Db,
    tenant: identity::ids::TenantId,
    user: identity::ids::UserId,
    client_id: &str,
    scope: &str,
    nonce: Option<&str>,
) -> (uuid::Uuid, String) {
    let mut tx = pool.tenant(tenant).await.unwrap();
    let settings = SessionSettings {
        idle_timeout_secs: 3600,
        absolute_timeout_secs: 36_000,
    };
    let now = chrono::Utc::now();
    let (session, _) = sessions::start(&mut tx, &settings, user, &["pwd".into()], now)
        .await
        .unwrap();
    let grant = CodeGrant {
        client_id,
        redirect_uri: REDIRECT,
        user,
        session: session.id,
        code_challenge: CHALLENGE,
        scope,
        nonce,
        auth_time: now,
        amr: &["pwd".to_string()],
    };
    let code = codes::issue(&mut tx, &grant, now).await.unwrap();
    tx.commit().await.unwrap();
    (session.id, code)
}

#[tokio::test]
async fn a_code_becomes_tokens_that_userinfo_and_pyjwt_accept_and_reuse_is_punished() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let env = envelope(&[1]);
    let t = tenant(&pool, &env, "alpha").await;
    let spec = ClientSpec {
        name: "CRM web".into(),
        client_id: Some("crm-web".into()),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        redirect_uris: vec![REDIRECT.into()],
        audiences: vec![API.into()],
        ..Default::default()
    };
    let (_, secret) = clients::create(&pool, &env, spec, 3600, "test", chrono::Utc::now())
        .await
        .unwrap();
    let web = TestClient {
        id: "crm-web".into(),
        secret,
    };

    let (session, code) =
        signed_in_code(&pool, &t, "crm-web", "openid email", Some("nonce-42")).await;

    let exchange = |code: String, verifier: &'static str| {
        let app = &app;
        let web = &web;
        async move {
            token_response(
                app,
                web,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", verifier),
                ],
            )
            .await
        }
    };
    let res = exchange(code.clone(), VERIFIER).await;
    assert_eq!(res.status(), 200);
    let tokens: Value = res.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let id_token = tokens["id_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    assert!(refresh.starts_with("idr_"));

    let (header, id) = peek(&id_token);
    assert_eq!(header["typ"], "JWT");
    assert_eq!(id["aud"], "crm-web");
    assert_eq!(id["nonce"], "nonce-42");
    assert_eq!(id["sid"], session.to_string());
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    assert!(id["auth_time"].is_i64());
    let (ok, out) = pyjwt(
        &app.url("/.well-known/jwks.json"),
        &id_token,
        ISSUER,
        "crm-web",
        "EdDSA",
    );
    assert!(ok, "PyJWT refused the ID token: {out}");
    // An ID token is never accepted as an access token, even at userinfo.
    let res = app
        .http
        .get(app.url("/oauth2/userinfo"))
        .bearer_auth(&id_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let info: Value = app
        .http
        .get(app.url("/oauth2/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], format!("user:{}", t.admin_user_id));
    assert_eq!(info["email"], "admin@alpha.example");

    // Refresh rotates; the old refresh token used again revokes the sign-in.
    let res = token_response(
        &app,
        &web,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(res.status(), 200);
    let rotated: Value = res.json().await.unwrap();
    let refresh2 = rotated["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(refresh2, refresh);
    assert_eq!(
        peek(rotated["id_token"].as_str().unwrap()).1["amr"],
        serde_json::json!(["pwd"])
    );
    let res = token_response(
        &app,
        &web,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let res = token_response(
        &app,
        &web,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh2),
        ],
    )
    .await;
    assert_eq!(res.status(), 400, "the rest of the family must be revoked");
    let res = app
        .http
        .get(app.url("/oauth2/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        401,
        "access token of an ended session still accepted"
    );

    // The code a second time: refused.
    let res = exchange(code, VERIFIER).await;
    assert_eq!(res.status(), 400);
    app.stop().await;
}

#[tokio::test]
async fn code_exchange_refuses_a_wrong_verifier_or_redirect() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let env = envelope(&[1]);
    let t = tenant(&pool, &env, "alpha").await;
    let spec = ClientSpec {
        name: "CRM web".into(),
        client_id: Some("crm-web".into()),
        grant_types: vec!["authorization_code".into()],
        redirect_uris: vec![REDIRECT.into()],
        ..Default::default()
    };
    let (_, secret) = clients::create(&pool, &env, spec, 3600, "test", chrono::Utc::now())
        .await
        .unwrap();
    let web = TestClient {
        id: "crm-web".into(),
        secret,
    };
    for (redirect, verifier) in [
        ("https://crm.example/callback-evil", VERIFIER),
        (REDIRECT, "a-different-verifier-a-different-verifier-xyz"),
    ] {
        let (_, code) = signed_in_code(&pool, &t, "crm-web", "openid", None).await;
        let res = token_response(
            &app,
            &web,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
                ("code_verifier", verifier),
            ],
        )
        .await;
        assert_eq!(res.status(), 400);
        assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_persons_admin_token_works_until_the_session_ends() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let env = envelope(&[1]);
    let t = tenant(&pool, &env, "alpha").await;
    let spec = ClientSpec {
        name: "Admin console".into(),
        client_id: Some(identity::oidc::console_client::CONSOLE_CLIENT_ID.into()),
        grant_types: vec!["authorization_code".into()],
        redirect_uris: vec![REDIRECT.into()],
        audiences: vec![ADMIN.into()],
        ..Default::default()
    };
    let (_, secret) = clients::create(&pool, &env, spec, 3600, "test", chrono::Utc::now())
        .await
        .unwrap();
    let console = TestClient {
        id: identity::oidc::console_client::CONSOLE_CLIENT_ID.into(),
        secret,
    };
    let (session, code) = signed_in_code(
        &pool,
        &t,
        identity::oidc::console_client::CONSOLE_CLIENT_ID,
        "openid",
        None,
    )
    .await;
    let res = token_response(
        &app,
        &console,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("resource", ADMIN),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let access = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(peek(&access).1["aud"], ADMIN);
    let users = app
        .http
        .get(app.url("/admin/v1/users"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(users.status(), 200);

    let mut tx = pool.tenant(t.tenant_id).await.unwrap();
    sessions::end(
        &mut tx,
        &identity::audit::Context {
            envelope: &env,
            actor: "test",
            origin: &identity::audit::Origin::default(),
            now: chrono::Utc::now(),
        },
        t.admin_user_id,
        session,
        "signed_out",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let users = app
        .http
        .get(app.url("/admin/v1/users"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(users.status(), 401, "admin token outlived its session");
    app.stop().await;
}
