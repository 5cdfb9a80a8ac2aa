//! `/admin/v1/clients`: a workspace administrator registers, reads, rotates and deletes the
//! workspace's own applications; the secret is shown once and works at the token endpoint;
//! another workspace's administrator cannot see or touch them; a viewer cannot manage
//! them; machine grants are refused (an API key is the workspace's machine credential).

use crate::api_keys::admin_key;
use crate::browser::{Reached, Site, REDIRECT};
use crate::harness::{envelope, settle_audit, tenant};
use crate::support::*;
use serde_json::{json, Value};

async fn call(
    r: &Site,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (u16, Value) {
    r.app.call(key, method, path, body).await
}

/// Whether `secret` authenticates `id` at the token endpoint (a bogus code is then an
/// invalid grant, not an invalid client).
async fn authenticates(r: &Site, id: &str, secret: &str) -> bool {
    let client = TestClient {
        id: id.into(),
        secret: secret.into(),
    };
    let verifier = "v".repeat(43);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "idc_not-a-code"),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let res = token_response(&r.app, &client, &form).await;
    let body: Value = res.json().await.unwrap();
    body["error"] != "invalid_client"
}

#[tokio::test]
async fn an_admin_manages_the_workspaces_applications_and_no_one_else_can() {
    let r = Site::start(Reached::ByAddress).await;
    let post = reqwest::Method::POST;
    let app = json!({
        "name": "Sales dashboard",
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": ["https://crm.example/bye"],
    });
    let (status, made) = call(
        &r,
        post.clone(),
        "/admin/v1/clients",
        &r.admin_key,
        Some(app),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let id = made["client"]["client_id"].as_str().unwrap().to_string();
    let secret = made["client_secret"].as_str().unwrap().to_string();
    assert!(id.starts_with("tc_") && secret.starts_with("ics_"));
    assert_eq!(made["client"]["grant_types"], json!(["authorization_code"]));
    assert!(
        authenticates(&r, &id, &secret).await,
        "the shown secret works"
    );

    let (status, list) = call(
        &r,
        reqwest::Method::GET,
        "/admin/v1/clients",
        &r.admin_key,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(list["clients"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["client_id"] == id.as_str()));
    assert!(!list.to_string().contains(&secret), "never listed");

    // Another workspace's administrator: not found, whatever the method.
    let (pool, env) = (r.db.db(), envelope(&[1]));
    let beta = tenant(&pool, &env, "beta").await;
    let other = admin_key(&pool, beta.tenant_id, "admin").await;
    let path = format!("/admin/v1/clients/{id}");
    assert_eq!(
        call(&r, reqwest::Method::GET, &path, &other, None).await.0,
        404
    );
    assert_eq!(
        call(&r, reqwest::Method::DELETE, &path, &other, None)
            .await
            .0,
        404
    );
    let rotate = format!("/admin/v1/clients/{id}/rotate");
    assert_eq!(call(&r, post.clone(), &rotate, &other, None).await.0, 404);
    assert!(
        authenticates(&r, &id, &secret).await,
        "untouched by the other workspace"
    );

    // A viewer may not manage applications.
    let viewer = admin_key(&pool, r.t.tenant_id, "viewer").await;
    assert_eq!(
        call(&r, reqwest::Method::GET, "/admin/v1/clients", &viewer, None)
            .await
            .0,
        403
    );

    // Rotation without overlap: the new secret works, the old one no longer does.
    let (status, rotated) = call(
        &r,
        post.clone(),
        &rotate,
        &r.admin_key,
        Some(json!({"overlap_secs": 0})),
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["client_secret"].as_str().unwrap();
    assert!(authenticates(&r, &id, new_secret).await);
    assert!(
        !authenticates(&r, &id, &secret).await,
        "the old secret stopped"
    );

    assert_eq!(
        call(&r, reqwest::Method::DELETE, &path, &r.admin_key, None)
            .await
            .0,
        204
    );
    assert_eq!(
        call(&r, reqwest::Method::GET, &path, &r.admin_key, None)
            .await
            .0,
        404
    );
    assert!(
        !authenticates(&r, &id, new_secret).await,
        "a deleted client signs nothing"
    );

    settle_audit(&pool).await;
    let rows =
        r.db.owner()
            .await
            .query(
                "SELECT action, actor FROM audit_log WHERE target = $1 ORDER BY seq",
                &[&format!("client:{id}")],
            )
            .await
            .unwrap();
    let actions: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
    assert_eq!(
        actions,
        ["client.created", "client.secret_rotated", "client.deleted"]
    );
    assert!(rows
        .iter()
        .all(|row| row.get::<_, String>(1).starts_with("api_key:")));
    r.app.stop().await;
}

#[tokio::test]
async fn machine_grants_and_bad_uris_are_refused_with_a_clear_error() {
    let r = Site::start(Reached::ByAddress).await;
    for (body, why) in [
        (
            json!({"name": "Robot", "grant_types": ["client_credentials"], "redirect_uris": []}),
            "grant_types",
        ),
        (
            json!({"name": "Leaky", "redirect_uris": ["http://evil.example/cb"]}),
            "redirect URIs",
        ),
        (
            json!({"name": "Typo", "redirect_uris": [REDIRECT], "scopes": ["x"]}),
            "scopes",
        ),
    ] {
        let (status, problem) = call(
            &r,
            reqwest::Method::POST,
            "/admin/v1/clients",
            &r.admin_key,
            Some(body),
        )
        .await;
        assert_eq!(status, 400, "{why}: {problem}");
    }
    let (_, list) = call(
        &r,
        reqwest::Method::GET,
        "/admin/v1/clients",
        &r.admin_key,
        None,
    )
    .await;
    let names: Vec<&str> = list["clients"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(
        !names.iter().any(|n| ["Robot", "Leaky", "Typo"].contains(n)),
        "{names:?}"
    );
    r.app.stop().await;
}

/// A change to the redirect URIs holds on the very next authorization request (the
/// instance's memory of the client is forgotten), and an operator's machine client is
/// beyond a workspace administrator.
#[tokio::test]
async fn changed_uris_hold_at_once_and_machine_clients_stay_the_operators() {
    let r = Site::start(Reached::ByAddress).await;
    let app = json!({"name": "Portal", "redirect_uris": [REDIRECT]});
    let (_, made) = call(
        &r,
        reqwest::Method::POST,
        "/admin/v1/clients",
        &r.admin_key,
        Some(app),
    )
    .await;
    let id = made["client"]["client_id"].as_str().unwrap().to_string();
    let authorize = |redirect: &str| {
        crate::browser::authorize_url(&[
            ("client_id", id.as_str()),
            ("redirect_uri", redirect),
            ("tenant", ""),
        ])
    };
    assert_eq!(
        r.get(&authorize(REDIRECT), None).await.status(),
        200,
        "the sign-in form"
    );

    let moved = "https://portal.example/callback";
    let path = format!("/admin/v1/clients/{id}");
    let change = json!({"redirect_uris": [moved], "name": "Portal v2"});
    let (status, changed) = call(
        &r,
        reqwest::Method::PATCH,
        &path,
        &r.admin_key,
        Some(change),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["name"], "Portal v2");
    assert_eq!(changed["redirect_uris"], json!([moved]));
    let old = r.get(&authorize(REDIRECT), None).await;
    assert_eq!(
        old.status(),
        400,
        "the removed URI is refused at once, with a page"
    );
    assert_eq!(r.get(&authorize(moved), None).await.status(), 200);
    let widen = json!({"grant_types": ["client_credentials"]});
    assert_eq!(
        call(&r, reqwest::Method::PATCH, &path, &r.admin_key, Some(widen))
            .await
            .0,
        400
    );

    // A machine client the operator registered for the workspace.
    let (pool, env) = (r.db.db(), envelope(&[1]));
    let spec = identity::oidc::clients::ClientSpec {
        tenant: Some(r.t.tenant_id),
        name: "Billing sync".into(),
        grant_types: vec!["client_credentials".into()],
        ..Default::default()
    };
    let (machine, _) =
        identity::oidc::clients::create(&pool, &env, spec, 3600, "cli", chrono::Utc::now())
            .await
            .unwrap();
    let machine_path = format!("/admin/v1/clients/{}", machine.client_id);
    let add_audience = json!({"audiences": ["https://api.crm.example"]});
    let (status, _) = call(
        &r,
        reqwest::Method::PATCH,
        &machine_path,
        &r.admin_key,
        Some(add_audience),
    )
    .await;
    assert_eq!(
        status, 403,
        "an administrator cannot widen the operator's machine client"
    );
    let rotate = format!("{machine_path}/rotate");
    assert_eq!(
        call(&r, reqwest::Method::POST, &rotate, &r.admin_key, None)
            .await
            .0,
        403
    );
    r.app.stop().await;
}
