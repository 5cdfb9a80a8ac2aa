//! Password reset end to end with a real SMTP server: the same answer for unknown accounts,
//! a one-time link by mail, the new password set, every other session ended.

use crate::harness::{envelope, tenant, TestApp, TestDb};
use crate::mail::{received, SmtpServer};
use identity::auth::sessions;
use identity::config::SessionSettings;
use reqwest::header::SET_COOKIE;
use std::time::{Duration, Instant};

fn csrf_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|l| l.strip_prefix("__Host-identity-csrf="))
        .map(|l| l.split(';').next().unwrap().to_string())
        .unwrap()
}

async fn post_form(
    app: &TestApp,
    path: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![("csrf", csrf)];
    form.extend_from_slice(fields);
    app.http
        .post(app.url(path))
        .header("cookie", format!("__Host-identity-csrf={csrf}"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_reset_link_arrives_by_mail_works_once_and_ends_every_session() {
    let db = TestDb::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tmp = tempfile::tempdir().unwrap();
    let maildir = tmp.path().join("maildir");
    let _smtp = SmtpServer::start(port, &maildir);
    let mut settings = db.settings();
    settings.mail.smtp_port = port;
    settings.mail.poll_interval_ms = 200;
    let app = TestApp::spawn(settings).await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    // A session elsewhere that the reset must end.
    let mut tx = pool.tenant(t.tenant_id).await.unwrap();
    let long = SessionSettings {
        idle_timeout_secs: 3600,
        absolute_timeout_secs: 36_000,
    };
    sessions::start(
        &mut tx,
        &long,
        t.admin_user_id,
        &["pwd".into()],
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let page = app.get("/password/forgot").await;
    assert_eq!(page.status(), 200);
    let csrf = csrf_cookie(&page);
    let known = post_form(
        &app,
        "/password/forgot",
        &csrf,
        &[("workspace", "alpha"), ("email", "admin@alpha.example")],
    )
    .await;
    let unknown = post_form(
        &app,
        "/password/forgot",
        &csrf,
        &[("workspace", "alpha"), ("email", "nobody@alpha.example")],
    )
    .await;
    assert_eq!(known.status(), 200);
    assert_eq!(unknown.status(), 200);
    assert_eq!(
        known.text().await.unwrap(),
        unknown.text().await.unwrap(),
        "the answers differ"
    );
    let forged = post_form(
        &app,
        "/password/forgot",
        "forged",
        &[("workspace", "alpha"), ("email", "admin@alpha.example")],
    )
    .await;
    assert_eq!(forged.status(), 200, "a matching cookie and field pass");
    let no_cookie = app
        .http
        .post(app.url("/password/forgot"))
        .form(&[
            ("csrf", "x"),
            ("workspace", "alpha"),
            ("email", "admin@alpha.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(no_cookie.status(), 403);

    // The sender delivers within a few polls.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mail = loop {
        let got = received(&maildir);
        if got.len() >= 2 {
            break got;
        }
        assert!(
            Instant::now() < deadline,
            "no reset mail arrived ({} so far)",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        received(&maildir).len(),
        2,
        "only the known account gets mail (twice: two requests)"
    );
    assert!(mail.iter().all(|m| m.contains("To: admin@alpha.example")));
    let link_re = regex::Regex::new(r"token=(idw_[A-Za-z0-9_-]+)").unwrap();
    // Undo quoted-printable soft line breaks and escapes, as a mail reader does.
    let body = mail[0]
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let token = link_re.captures(&body).unwrap()[1].to_string();

    let form = app.get(&format!("/password/reset?token={token}")).await;
    assert_eq!(form.status(), 200);
    let csrf = csrf_cookie(&form);
    let weak = post_form(
        &app,
        "/password/reset",
        &csrf,
        &[("token", &token), ("password", "short")],
    )
    .await;
    assert_eq!(weak.status(), 400);
    let done = post_form(
        &app,
        "/password/reset",
        &csrf,
        &[("token", &token), ("password", "a brand new passphrase")],
    )
    .await;
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Password changed"));
    // Used once: the link is dead now.
    assert_eq!(
        app.get(&format!("/password/reset?token={token}"))
            .await
            .status(),
        400
    );
    let again = post_form(
        &app,
        "/password/reset",
        &csrf,
        &[("token", &token), ("password", "yet another passphrase")],
    )
    .await;
    assert_eq!(again.status(), 400);

    let mut read = pool.tenant_read(t.tenant_id).await.unwrap();
    assert!(
        sessions::list(&mut read, t.admin_user_id, chrono::Utc::now())
            .await
            .unwrap()
            .is_empty(),
        "sessions survived the reset"
    );
    let (_, hash) = identity::db::models::users::credentials(&mut read, "admin@alpha.example")
        .await
        .unwrap()
        .unwrap();
    read.commit().await.unwrap();
    let hasher = identity::auth::password::PasswordHasher::new(1);
    assert!(hasher
        .verify("a brand new passphrase", hash.as_deref().unwrap())
        .await
        .unwrap());
    assert!(!hasher
        .verify("correct horse battery staple", hash.as_deref().unwrap())
        .await
        .unwrap());
    app.stop().await;
}

/// A link as the service mints and stores them (the mail that carries it is tested above).
async fn link_for(
    pool: &identity::db::Db,
    tenant: identity::ids::TenantId,
    user: uuid::Uuid,
) -> String {
    let token = identity::crypto::tenant_token::mint("idw_", tenant);
    let now = chrono::Utc::now();
    let mut tx = pool.tenant(tenant).await.unwrap();
    let hash = identity::crypto::tenant_token::hash(&token);
    let until = now + chrono::Duration::minutes(30);
    identity::db::models::resets::insert(&mut tx, &hash, user, now, until)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    token
}

async fn link_status(app: &TestApp, token: &str) -> u16 {
    let res = app.get(&format!("/password/reset?token={token}")).await;
    res.status().as_u16()
}

#[tokio::test]
async fn every_outstanding_link_dies_with_a_reset_an_email_change_or_a_disable() {
    let db = TestDb::new().await;
    let app = TestApp::spawn(db.settings()).await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    let key = crate::api_keys::admin_key(&pool, t.tenant_id, "admin").await;
    let admin = t.admin_user_id.0;

    // Two links out; the first one used voids the second.
    let (first, second) = (
        link_for(&pool, t.tenant_id, admin).await,
        link_for(&pool, t.tenant_id, admin).await,
    );
    let form = app.get(&format!("/password/reset?token={first}")).await;
    let csrf = csrf_cookie(&form);
    let fields = [
        ("token", first.as_str()),
        ("password", "a brand new passphrase"),
    ];
    let done = post_form(&app, "/password/reset", &csrf, &fields).await;
    assert_eq!(done.status(), 200);
    assert_eq!(
        link_status(&app, &second).await,
        400,
        "a second link outlived the reset"
    );

    // A link to the old address dies when an admin changes the sign-in email...
    let created = app
        .http
        .post(app.url("/admin/v1/users"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"email": "sam@alpha.example"}))
        .send()
        .await
        .unwrap();
    let sam: serde_json::Value = created.json().await.unwrap();
    let sam = uuid::Uuid::parse_str(sam["id"].as_str().unwrap()).unwrap();
    let link = link_for(&pool, t.tenant_id, sam).await;
    assert_eq!(link_status(&app, &link).await, 200);
    let res = app
        .http
        .patch(app.url(&format!("/admin/v1/users/{sam}")))
        .bearer_auth(&key)
        .json(&serde_json::json!({"email": "samuel@alpha.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        link_status(&app, &link).await,
        400,
        "a link outlived an email change"
    );

    // ...and when the account is disabled.
    let link = link_for(&pool, t.tenant_id, sam).await;
    let res = app
        .http
        .post(app.url(&format!("/admin/v1/users/{sam}/disable")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        link_status(&app, &link).await,
        400,
        "a link outlived a disable"
    );
    app.stop().await;
}
