//! A person's data export (GDPR Art. 15/20): what the admin API, the console and the person
//! themselves get, that it holds no secret, that it is audited, and that a narrow reader
//! cannot export someone wider than themselves.

use crate::api_keys::key_made_by;
use crate::browser::{Browser, Reached, Site, PASSWORD};
use crate::console::console_sign_in;
use crate::harness::settle_audit;
use reqwest::Method;
use serde_json::{json, Value};

/// `pat@alpha.example` (member, with a password), who signs in once and makes one key.
async fn pat(site: &Site) -> (String, String) {
    let body = json!({"email": "pat@alpha.example", "roles": ["member"], "password": PASSWORD});
    let (status, made) = site
        .app
        .call(&site.admin_key, Method::POST, "/admin/v1/users", Some(body))
        .await;
    assert_eq!(status, 201, "{made}");
    let id = made["id"].as_str().unwrap().to_string();
    let maker = format!("user:{id}");
    let key = key_made_by(&site.pool, site.t.tenant_id, &maker, "member").await;
    (id, key)
}

/// Every stored secret of the person: the password hash and the session hashes.
async fn stored_secrets(site: &Site, id: &str) -> Vec<String> {
    let owner = site.db.owner().await;
    let id = uuid::Uuid::parse_str(id).unwrap();
    let hash: String = owner
        .query_one("SELECT password_hash FROM users WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    let rows = owner
        .query(
            "SELECT secret_hash FROM sessions WHERE user_id = $1",
            &[&id],
        )
        .await
        .unwrap();
    let mut all = vec![hash];
    all.extend(rows.iter().map(|r| r.get::<_, String>(0)));
    all
}

fn assert_holds_pat(doc: &Value, id: &str, key: &str) {
    assert_eq!(doc["format"], "identity.person-export/1");
    assert_eq!(doc["profile"]["email"], "pat@alpha.example");
    assert_eq!(doc["profile"]["direct_roles"], json!(["member"]));
    let sessions = doc["sessions"].as_array().unwrap();
    assert!(!sessions.is_empty(), "the sign-in's session: {doc}");
    assert!(sessions[0]["amr"]
        .as_array()
        .unwrap()
        .contains(&json!("pwd")));
    let keys = doc["api_keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "the key pat made: {doc}");
    assert_eq!(keys[0]["last4"], key[key.len() - 4..]);
    assert_eq!(keys[0]["created_by"], format!("user:{id}"));
    assert_eq!(doc["factors"]["authenticator_app"], false);
    let audit = doc["audit"].as_array().unwrap();
    let actor = format!("user:{id}");
    assert!(
        audit
            .iter()
            .any(|e| e["action"] == "signin.succeeded" && e["actor"] == actor),
        "the sign-in is among the entries about pat: {doc}"
    );
}

#[tokio::test]
async fn the_admin_api_the_console_and_the_person_export_what_is_stored_and_no_secret() {
    let site = Site::start(Reached::AsIssuer).await;
    let (id, key) = pat(&site).await;
    let mut pats_browser = Browser::new(&site.app);
    let (status, _, _) = pats_browser.password("pat@alpha.example", &[]).await;
    assert_eq!(status, 303, "pat signs in");
    settle_audit(&site.pool).await;

    let path = format!("/admin/v1/users/{id}/export");
    let (status, doc) = site
        .app
        .call(&site.admin_key, Method::GET, &path, None)
        .await;
    assert_eq!(status, 200, "{doc}");
    assert_holds_pat(&doc, &id, &key);
    let text = doc.to_string();
    assert!(!text.contains(&key), "never the key itself");
    for secret in stored_secrets(&site, &id).await {
        assert!(!text.contains(&secret), "no stored hash");
    }
    assert!(
        !text.contains("$2b$") && !text.contains("$2y$"),
        "no bcrypt hash"
    );

    // The console's button gives the same document, as a file.
    let mut admin = Browser::new(&site.app);
    console_sign_in(&mut admin, "admin@alpha.example").await;
    let (status, file, _) = admin
        .post(&format!("/console/users/{id}/export"), &[])
        .await;
    assert_eq!(status, 200, "{file}");
    assert_holds_pat(&serde_json::from_str(&file).unwrap(), &id, &key);

    // Pat's own copy, from the account page (a CSRF-checked form).
    let (status, apps, _) = pats_browser.get("/account/apps").await;
    assert_eq!(status, 200);
    assert!(apps.contains(r#"action="/account/export""#), "{apps}");
    let (status, file, _) = pats_browser.post("/account/export", &[]).await;
    assert_eq!(status, 200, "{file}");
    let own: Value = serde_json::from_str(&file).unwrap();
    assert_eq!(own["profile"]["id"], id.as_str());
    let forged = site
        .app
        .http
        .post(site.app.url("/account/export"))
        .header("cookie", pats_browser.cookie_header())
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.status(),
        403,
        "another site cannot make the browser export"
    );

    settle_audit(&site.pool).await;
    let actors: Vec<String> = site
        .db
        .owner()
        .await
        .query(
            "SELECT actor FROM audit_log WHERE action = 'user.exported' AND target = $1 ORDER BY seq",
            &[&format!("user:{id}")],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(actors.len(), 3, "each export is audited: {actors:?}");
    assert_eq!(actors[2], format!("user:{id}"), "the person's own, by them");
}

#[tokio::test]
async fn a_narrow_reader_exports_no_one_wider_than_itself() {
    let r = crate::authority::rig().await;
    r.role("reader", &["users:read"]).await;
    r.role("auditor", &["audit:read"]).await;
    let reader = r.key_made_by("cli", "reader").await;
    let auditor = r.key_made_by("cli", "auditor").await;
    let plain = r.user("plain@acme.example", &[]).await;
    let admin = r.t.admin_user_id.0;
    let export = |who: &str| format!("/admin/v1/users/{who}/export");

    let (status, body) = r
        .app
        .call(&reader, Method::GET, &export(&admin.to_string()), None)
        .await;
    assert_eq!(status, 403, "the admin holds more than users:read: {body}");
    let (status, _) = r
        .app
        .call(&auditor, Method::GET, &export(&plain.to_string()), None)
        .await;
    assert_eq!(status, 403, "users:read is needed");
    let (status, doc) = r
        .app
        .call(&reader, Method::GET, &export(&plain.to_string()), None)
        .await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["profile"]["email"], "plain@acme.example");
    let (status, _) = r
        .app
        .call(
            &reader,
            Method::GET,
            &export(&uuid::Uuid::new_v4().to_string()),
            None,
        )
        .await;
    assert_eq!(status, 404);
}
