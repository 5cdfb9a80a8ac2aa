//! Applications cannot reach past their makers (second security review, item 1). Tried as
//! an attacker would, over HTTP: a `settings:write` key registers an application for the
//! admin API's audience (refused: only the operator's registered resource servers); a
//! person's admin-audience token from any client but the console (refused by the admin
//! API); a signed-in admin opening a new workspace application's authorization link
//! (asked to consent first, `consent_required` under `prompt=none`). Before the fix the
//! first and last steps went through and the app called `GET /admin/v1/users` with the
//! admin's permissions.

use crate::api_keys::key_made_by;
use crate::browser::{authorize_url, hidden_fields, query_of, Browser, Reached, Site};
use crate::browser::{REDIRECT, VERIFIER};
use crate::harness::run_cli;
use crate::support::*;
use serde_json::{json, Value};

const APP_REDIRECT: &str = "http://127.0.0.1:9/cb";
const ADMIN_EMAIL: &str = "admin@alpha.example";

async fn call(
    r: &Site,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Value,
) -> (u16, Value) {
    r.app.call(key, method, path, Some(body)).await
}

/// A key holding `settings:write` only.
async fn settings_key(r: &Site) -> String {
    let role =
        json!({"name": "app-admin", "description": "apps", "permissions": ["settings:write"]});
    let (s, b) = call(
        r,
        reqwest::Method::POST,
        "/admin/v1/roles",
        &r.admin_key,
        role,
    )
    .await;
    assert_eq!(s, 201, "{b}");
    key_made_by(&r.db.db(), r.t.tenant_id, "cli", "app-admin").await
}

async fn register_resource(r: &Site, audience: &str) {
    crate::support::register_resource(&r.db.db(), audience).await;
}

/// Registers a workspace application; (client id, secret).
async fn app(r: &Site, key: &str, audiences: &[&str], trusted: bool) -> (String, String) {
    let body = json!({
        "name": "Sales dashboard", "redirect_uris": [APP_REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "audiences": audiences, "trusted": trusted,
    });
    let (s, made) = call(r, reqwest::Method::POST, "/admin/v1/clients", key, body).await;
    assert_eq!(s, 201, "{made}");
    let id = made["client"]["client_id"].as_str().unwrap().to_string();
    (id, made["client_secret"].as_str().unwrap().to_string())
}

fn app_authorize(id: &str, extra: &[(&str, &str)]) -> String {
    let mut all = vec![("client_id", id), ("redirect_uri", APP_REDIRECT)];
    all.extend_from_slice(extra);
    authorize_url(&all)
}

/// A browser signed in as the workspace's admin (through the platform's own front end).
async fn signed_in_admin(r: &Site) -> Browser<'_> {
    let mut b = Browser::new(&r.app);
    let (s, html, _) = b.password(ADMIN_EMAIL, &[]).await;
    assert_eq!(s, 303, "{html}");
    b
}

async fn redeem(r: &Site, client: &TestClient, code: &str, resource: Option<&str>) -> Value {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", APP_REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    if let Some(res) = resource {
        form.push(("resource", res));
    }
    token_response(&r.app, client, &form)
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_application_holds_only_registered_resource_servers() {
    let r = Site::start(Reached::ByAddress).await;
    let key = settings_key(&r).await;
    let issuer = r.app.state.settings.tokens.issuer.clone();
    for audience in [ADMIN, issuer.as_str(), API] {
        let body =
            json!({"name": "Evil", "redirect_uris": [APP_REDIRECT], "audiences": [audience]});
        let (s, b) = call(&r, reqwest::Method::POST, "/admin/v1/clients", &key, body).await;
        assert_eq!(s, 400, "{audience} was accepted: {b}");
    }
    // The operator registers the CRM API; the admin audience can never be one.
    register_resource(&r, API).await;
    let (id, _) = app(&r, &key, &[API], false).await;
    let patch = json!({"audiences": [ADMIN]});
    let (s, _) = call(
        &r,
        reqwest::Method::PATCH,
        &format!("/admin/v1/clients/{id}"),
        &key,
        patch,
    )
    .await;
    assert_eq!(s, 400, "widened to the admin audience");
    let (code, _, err) = run_cli(
        &r.db.env(),
        &["resources", "add", "--audience", ADMIN],
        None,
    );
    assert_ne!(code, 0, "the admin audience became a resource server");
    assert!(err.contains("admin audience"), "{err}");

    // A client that holds a refused audience from before (written past the API) is
    // reported to the operator and gets no token at all.
    let owner = r.db.owner().await;
    owner
        .execute(
            "UPDATE oauth_clients SET audiences = ARRAY[$1::text] WHERE client_id = $2",
            &[&ADMIN, &id],
        )
        .await
        .unwrap();
    let (code, out, err) = run_cli(&r.db.env(), &["clients", "list", "--tenant", "alpha"], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.lines()
            .any(|l| l.starts_with(&id) && l.contains("REFUSED")),
        "{out}"
    );
    r.app.stop().await;
}

#[tokio::test]
async fn only_the_consoles_tokens_are_admin_credentials() {
    let r = Site::start(Reached::ByAddress).await;
    let mut b = Browser::new(&r.app);
    let (s, _, location) = b.password(ADMIN_EMAIL, &[]).await;
    assert_eq!(s, 303);
    let code = query_of(&location.unwrap())["code"].clone();
    // crm-web is the platform's own client and may hold the admin audience, yet its token
    // is no admin credential: only the console's are.
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("resource", ADMIN),
    ];
    let body: Value = token_response(&r.app, &r.web, &form)
        .await
        .json()
        .await
        .unwrap();
    let token = body["access_token"]
        .as_str()
        .expect("a token for the admin audience");
    assert_eq!(peek(token).1["aud"], ADMIN);
    let res = r
        .app
        .http
        .get(r.app.url("/admin/v1/users"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        401,
        "another client's token acted as an admin"
    );
    r.app.stop().await;
}

#[tokio::test]
async fn a_new_application_asks_the_person_first_and_consent_can_be_withdrawn() {
    let r = Site::start(Reached::ByAddress).await;
    register_resource(&r, API).await;
    let key = settings_key(&r).await;
    let (id, secret) = app(&r, &key, &[API], false).await;
    let client = TestClient {
        id: id.clone(),
        secret,
    };
    let mut b = signed_in_admin(&r).await;

    // The attack: a signed-in admin's browser sent to the app's link gets no code.
    let (s, _, location) = b.get(&app_authorize(&id, &[("prompt", "none")])).await;
    assert_eq!(s, 303);
    let q = query_of(&location.unwrap());
    assert_eq!(q["error"], "consent_required", "{q:?}");
    assert!(!q.contains_key("code"));

    let (s, html, _) = b.get(&app_authorize(&id, &[])).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("Allow Sales dashboard?"), "{html}");
    assert!(html.contains(API), "the page says which API it may call");
    let fields = hidden_fields(&html);
    let mut form: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut deny = form.clone();
    deny.push(("decision", "deny"));
    let (s, _, location) = b.post("/signin/consent", &deny).await;
    assert_eq!(s, 303);
    assert_eq!(query_of(&location.unwrap())["error"], "access_denied");

    form.push(("decision", "allow"));
    let (s, _, location) = b.post("/signin/consent", &form).await;
    assert_eq!(s, 303);
    let code = query_of(&location.unwrap())["code"].clone();
    let tokens = redeem(&r, &client, &code, Some(API)).await;
    assert_eq!(peek(tokens["access_token"].as_str().unwrap()).1["aud"], API);
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    // Remembered: the next sign-in to it goes straight through.
    let (s, _, location) = b.get(&app_authorize(&id, &[("prompt", "none")])).await;
    assert_eq!(s, 303);
    assert!(query_of(&location.unwrap()).contains_key("code"));

    // Listed on the account page, and withdrawn there: its refresh tokens end.
    let (s, html, _) = b.get("/account/apps").await;
    assert_eq!(s, 200);
    assert!(html.contains("Sales dashboard"), "{html}");
    let (s, html, _) = b.post(&format!("/account/apps/{id}/revoke"), &[]).await;
    assert_eq!(s, 200, "{html}");
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    let again: Value = token_response(&r.app, &client, &form)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["error"], "invalid_grant", "{again}");
    let (_, _, location) = b.get(&app_authorize(&id, &[("prompt", "none")])).await;
    assert_eq!(query_of(&location.unwrap())["error"], "consent_required");
    r.app.stop().await;
}

#[tokio::test]
async fn only_someone_holding_every_permission_trusts_an_application() {
    let r = Site::start(Reached::ByAddress).await;
    let key = settings_key(&r).await;
    let body = json!({"name": "Trusted?", "redirect_uris": [APP_REDIRECT], "trusted": true});
    let (s, _) = call(&r, reqwest::Method::POST, "/admin/v1/clients", &key, body).await;
    assert_eq!(s, 403, "a settings:write key made a trusted application");
    let (id, _) = app(&r, &r.admin_key, &[], true).await;
    // A narrow key may not redirect a trusted application's codes elsewhere.
    let patch = json!({"redirect_uris": ["http://127.0.0.1:10/steal"]});
    let path = format!("/admin/v1/clients/{id}");
    let (s, _) = call(&r, reqwest::Method::PATCH, &path, &key, patch).await;
    assert_eq!(
        s, 403,
        "a settings:write key re-pointed a trusted application"
    );
    // Trusted: no question.
    let mut b = signed_in_admin(&r).await;
    let (s, _, location) = b.get(&app_authorize(&id, &[("prompt", "none")])).await;
    assert_eq!(s, 303);
    assert!(query_of(&location.unwrap()).contains_key("code"));
    r.app.stop().await;
}
