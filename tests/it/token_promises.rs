//! Tokens keep their promises: a revoked refresh token (RFC 7009) is dead with its family,
//! person tokens never carry a scope their client was not given, and a suspended workspace
//! is refused on every path until it is resumed.

use crate::api_keys::admin_key;
use crate::code_grant::{signed_in_code, REDIRECT, VERIFIER};
use crate::harness::{envelope, run_cli, tenant, TestApp, TestDb};
use crate::support::*;
use identity::oidc::clients::{self, ClientSpec};
use serde_json::Value;

async fn web_client(pool: &identity::db::Db, scopes: &[&str]) -> TestClient {
    let spec = ClientSpec {
        name: "CRM web".into(),
        client_id: Some("crm-web".into()),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        redirect_uris: vec![REDIRECT.into()],
        audiences: vec![API.into()],
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    let (_, secret) = clients::create(pool, &envelope(&[1]), spec, 3600, "cli", chrono::Utc::now())
        .await
        .unwrap();
    TestClient {
        id: "crm-web".into(),
        secret,
    }
}

async fn code_tokens(app: &TestApp, web: &TestClient, code: &str) -> Value {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let res = token_response(app, web, &form).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn refresh(app: &TestApp, web: &TestClient, token: &str) -> reqwest::Response {
    token_response(
        app,
        web,
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
}

#[tokio::test]
async fn a_revoked_refresh_token_and_its_family_are_dead() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    let web = web_client(&pool, &[]).await;
    let (_, code) = signed_in_code(&pool, &t, "crm-web", "openid", None).await;
    let first = code_tokens(&app, &web, &code).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let res = refresh(&app, &web, &first).await;
    assert_eq!(res.status(), 200);
    let second = res.json::<Value>().await.unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(revoke(&app, &web, &second).await, 200);
    for token in [&second, &first] {
        let res = refresh(&app, &web, token).await;
        assert_eq!(res.status(), 400);
        assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_grant");
    }

    // Revoking an access token also revokes the refresh tokens of its grant.
    let (_, code) = signed_in_code(&pool, &t, "crm-web", "openid", None).await;
    let tokens = code_tokens(&app, &web, &code).await;
    assert_eq!(
        revoke(&app, &web, tokens["access_token"].as_str().unwrap()).await,
        200
    );
    let res = refresh(&app, &web, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(res.status(), 400);
    app.stop().await;
}

#[tokio::test]
async fn person_tokens_carry_only_standard_and_registered_scopes() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    let web = web_client(&pool, &["crm:read"]).await;
    let asked = "openid email crm:read crm:write";
    let (_, code) = signed_in_code(&pool, &t, "crm-web", asked, None).await;
    let tokens = code_tokens(&app, &web, &code).await;
    let (_, claims) = peek(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["scope"], "openid email crm:read");
    let res = refresh(&app, &web, tokens["refresh_token"].as_str().unwrap()).await;
    let again = res.json::<Value>().await.unwrap();
    assert!(!peek(again["access_token"].as_str().unwrap()).1["scope"]
        .as_str()
        .unwrap()
        .contains("crm:write"));
    app.stop().await;
}

#[tokio::test]
async fn a_suspended_workspace_is_refused_everywhere_until_resumed() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    let key = admin_key(&pool, t.tenant_id, "admin").await;
    let api = tenant_client(&pool, t.tenant_id, &[API], None).await;
    // The CRM API as a platform resource server, introspecting the workspace's tokens.
    let resource = platform_client(&pool, identity::jwt::Alg::EdDSA, &[], Some(API)).await;
    let web = web_client(&pool, &[]).await;
    let (_, code) = signed_in_code(&pool, &t, "crm-web", "openid", None).await;
    let person = code_tokens(&app, &web, &code).await;
    let service_token = client_token(&app, &api, API).await;
    let scim = {
        let res = app
            .http
            .post(app.url("/admin/v1/scim-tokens"))
            .bearer_auth(&key)
            .json(&serde_json::json!({"name": "idp"}))
            .send()
            .await
            .unwrap();
        res.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let paths = |expect_open: bool| {
        let (app, key, api, web, scim, person, service_token, resource) = (
            &app,
            &key,
            &api,
            &web,
            &scim,
            &person,
            &service_token,
            &resource,
        );
        async move {
            let admin = app
                .http
                .get(app.url("/admin/v1/users"))
                .bearer_auth(key)
                .send()
                .await
                .unwrap();
            let scim_res = app
                .http
                .get(app.url("/scim/v2/Users"))
                .bearer_auth(scim)
                .send()
                .await
                .unwrap();
            let cc = token_response(
                app,
                api,
                &[("grant_type", "client_credentials"), ("audience", API)],
            )
            .await;
            let rt = refresh(app, web, person["refresh_token"].as_str().unwrap()).await;
            let active = introspect(app, resource, service_token).await["active"] == true;
            let exchange = app
                .http
                .post(app.url("/oauth2/token"))
                .form(&[
                    (
                        "grant_type",
                        "urn:ietf:params:oauth:grant-type:token-exchange",
                    ),
                    ("subject_token", key.as_str()),
                    (
                        "subject_token_type",
                        "urn:identity:params:oauth:token-type:api-key",
                    ),
                ])
                .send()
                .await
                .unwrap()
                .status();
            if expect_open {
                assert_eq!(admin.status(), 200);
                assert_eq!(scim_res.status(), 200);
                assert_eq!(cc.status(), 200);
                assert_eq!(rt.status(), 200);
                assert!(active);
                assert_eq!(exchange, 200);
            } else {
                assert_eq!(admin.status(), 403);
                let problem: Value = admin.json().await.unwrap();
                assert_eq!(problem["code"], "tenant_suspended");
                assert_eq!(scim_res.status(), 403);
                assert_eq!(cc.status(), 400);
                assert_eq!(cc.json::<Value>().await.unwrap()["error"], "invalid_grant");
                assert_eq!(rt.status(), 400);
                assert!(!active, "introspection still says active");
                assert_eq!(
                    exchange, 400,
                    "an API key was exchanged in a suspended workspace"
                );
            }
        }
    };
    let (code, _, err) = run_cli(
        &db.env(),
        &["tenants", "suspend", "--tenant", "alpha"],
        None,
    );
    assert_eq!(code, 0, "{err}");
    paths(false).await;
    let (code, _, err) = run_cli(&db.env(), &["tenants", "resume", "--tenant", "alpha"], None);
    assert_eq!(code, 0, "{err}");
    // The refresh token was refused at the door while suspended, so it is still unspent.
    paths(true).await;
    app.stop().await;
}
