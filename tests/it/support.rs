//! OAuth helpers shared by the token, introspection, API key and admin API tests.

use crate::harness::{envelope, TestApp};
use identity::crypto::Envelope;
use identity::db::Db;
use identity::ids::TenantId;
use identity::jwt::{Alg, KeyStore};
use identity::oidc::clients::{self, ClientSpec};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

pub const API: &str = "https://api.crm.example";
pub const BILLING: &str = "https://billing.crm.example";
pub const ADMIN: &str = "http://localhost:8080/admin";
pub const ISSUER: &str = "http://localhost:8080";

pub struct TestClient {
    pub id: String,
    pub secret: String,
}

/// A platform client that may get tokens for `audiences` and, as a resource server, is
/// `resource_audience`.
pub async fn platform_client(
    db: &Db,
    alg: Alg,
    audiences: &[&str],
    resource_audience: Option<&str>,
) -> TestClient {
    let spec = ClientSpec {
        name: "test service".into(),
        grant_types: vec!["client_credentials".into()],
        audiences: audiences.iter().map(|s| s.to_string()).collect(),
        scopes: vec!["crm.read".into(), "crm.write".into()],
        resource_audience: resource_audience.map(str::to_string),
        signing_alg: Some(alg),
        ..Default::default()
    };
    let (client, secret) =
        clients::create(db, &envelope(&[1]), spec, 3600, "test", chrono::Utc::now())
            .await
            .unwrap();
    TestClient {
        id: client.client_id,
        secret,
    }
}

/// The admin console's client (`identity-console`) as the operator would register it,
/// with a secret the test knows and `redirect_uris`: code and refresh grants, the admin
/// audience. Its person tokens are the only ones the admin API accepts.
pub async fn console_client(db: &Db, redirect_uris: &[&str]) -> TestClient {
    let id = identity::oidc::console_client::CONSOLE_CLIENT_ID;
    let spec = ClientSpec {
        client_id: Some(id.into()),
        name: "Admin console".into(),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        redirect_uris: redirect_uris.iter().map(|s| s.to_string()).collect(),
        audiences: vec![ADMIN.into()],
        ..Default::default()
    };
    let (_, secret) = clients::create(db, &envelope(&[1]), spec, 3600, "test", chrono::Utc::now())
        .await
        .unwrap();
    TestClient {
        id: id.into(),
        secret,
    }
}

/// Registers `audience` as a platform resource server (once), as the operator does with
/// `identity resources add`: workspace applications may only hold those.
pub async fn register_resource(db: &Db, audience: &str) {
    let origin = identity::audit::Origin::default();
    let key = envelope(&[1]);
    let ctx = identity::audit::Context {
        envelope: &key,
        actor: "cli",
        origin: &origin,
        now: chrono::Utc::now(),
    };
    let yaml = format!("issuer: http://localhost:8080\nadmin_audience: {ADMIN}");
    let settings: identity::config::TokenSettings = serde_yaml::from_str(&yaml).unwrap();
    let found = identity::oidc::resources::list(db).await.unwrap();
    if !found.iter().any(|r| r.audience == audience) {
        identity::oidc::resources::add(db, &settings, audience, audience, &ctx)
            .await
            .unwrap();
    }
}

pub async fn tenant_client(
    db: &Db,
    tenant: TenantId,
    audiences: &[&str],
    resource_audience: Option<&str>,
) -> TestClient {
    for audience in audiences {
        register_resource(db, audience).await;
    }
    let spec = ClientSpec {
        tenant: Some(tenant),
        name: "tenant integration".into(),
        grant_types: vec!["client_credentials".into()],
        audiences: audiences.iter().map(|s| s.to_string()).collect(),
        resource_audience: resource_audience.map(str::to_string),
        ..Default::default()
    };
    let (client, secret) =
        clients::create(db, &envelope(&[1]), spec, 3600, "test", chrono::Utc::now())
            .await
            .unwrap();
    TestClient {
        id: client.client_id,
        secret,
    }
}

pub async fn token_response(
    app: &TestApp,
    c: &TestClient,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.http
        .post(app.url("/oauth2/token"))
        .basic_auth(&c.id, Some(&c.secret))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// A client_credentials access token for `audience`.
pub async fn client_token(app: &TestApp, c: &TestClient, audience: &str) -> String {
    let res = token_response(
        app,
        c,
        &[("grant_type", "client_credentials"), ("audience", audience)],
    )
    .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

pub async fn introspect(app: &TestApp, c: &TestClient, token: &str) -> Value {
    let res = app
        .http
        .post(app.url("/oauth2/introspect"))
        .basic_auth(&c.id, Some(&c.secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Revokes `token` as client `c` (RFC 7009); the answer's status.
pub async fn revoke(app: &TestApp, c: &TestClient, token: &str) -> u16 {
    app.http
        .post(app.url("/oauth2/revoke"))
        .basic_auth(&c.id, Some(&c.secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The service's keys as loaded from the database, for signing forged tokens.
pub async fn keystore(db: &Db, env: &Envelope) -> KeyStore {
    let keys = KeyStore::new(db.clone(), env.clone(), chrono::Duration::seconds(3630));
    keys.refresh().await.unwrap();
    keys
}

/// Decodes a JWT's header and payload without checking anything.
pub fn peek(token: &str) -> (Value, Value) {
    use base64::Engine;
    let mut parts = token.split('.');
    let mut part = || {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts.next().unwrap())
            .unwrap();
        serde_json::from_slice::<Value>(&raw).unwrap()
    };
    (part(), part())
}

fn external() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/external"))
}

/// Runs a third-party verifier; returns (success, stdout + stderr).
pub fn run_verifier(program: &str, script: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(program)
        .arg(external().join(script))
        .args(args)
        .current_dir(external())
        .output()
        .unwrap_or_else(|e| panic!("{program} must be installed (tests/external/install.sh): {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

pub fn pyjwt(jwks: &str, token: &str, issuer: &str, audience: &str, alg: &str) -> (bool, String) {
    let python = external().join(".venv/bin/python");
    run_verifier(
        python.to_str().unwrap(),
        "verify_pyjwt.py",
        &[jwks, token, issuer, audience, alg],
    )
}

pub fn jose(jwks: &str, token: &str, issuer: &str, audience: &str, alg: &str) -> (bool, String) {
    run_verifier(
        "node",
        "verify_jose.mjs",
        &[jwks, token, issuer, audience, alg],
    )
}

/// Where tests keep what a person would look at afterwards (screenshots).
pub fn artifacts_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
