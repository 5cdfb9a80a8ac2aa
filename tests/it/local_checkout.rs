//! What a newcomer's checkout relies on: the CLI finds the development platform key by
//! itself, stops with the way out when that key is not the one that sealed the local
//! database, refuses the development section outside loopback, and gives a lost demo
//! admin a fresh password.

use crate::harness::{run_cli, settle_audit, test_key_b64, TestDb};

/// The CLI environment of `db` with the platform key in a file instead of the variable.
fn with_key_file(db: &TestDb, dir: &tempfile::TempDir, version: u32) -> Vec<(String, String)> {
    let file = dir.path().join("platform-key");
    std::fs::write(&file, format!("1:{}\n", test_key_b64(version))).unwrap();
    let mut env: Vec<(String, String)> = db
        .env()
        .into_iter()
        .filter(|(k, _)| k != "IDENTITY_PLATFORM_ENCRYPTION_KEY")
        .collect();
    env.push((
        "IDENTITY__DEVELOPMENT__PLATFORM_KEY_FILE".into(),
        file.display().to_string(),
    ));
    env
}

const BOOTSTRAP: &[&str] = &[
    "bootstrap",
    "--tenant",
    "demo",
    "--admin-email",
    "admin@demo.example",
    "--if-missing",
    "--json",
];

#[tokio::test]
async fn the_cli_reads_the_development_key_file_and_says_how_to_recover_from_another_key() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let env = with_key_file(&db, &dir, 1);
    let (code, out, err) = run_cli(&env, BOOTSTRAP, None);
    assert_eq!(code, 0, "the key file is enough: {err}");
    assert!(out.contains("admin_password"), "{out}");
    let (code, _, err) = run_cli(&env, &["keys", "rotate"], None);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run_cli(&env, &["keys", "check"], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("opens the stored signing keys"), "{out}");

    // Someone deleted .local/: run.sh made a new key, which opens nothing stored.
    let other = tempfile::tempdir().unwrap();
    let env = with_key_file(&db, &other, 2);
    let (code, _, err) = run_cli(&env, &["keys", "check"], None);
    assert_eq!(code, 1);
    assert!(err.contains(".local/platform-key"), "{err}");
    assert!(err.contains("./deploy/local/reset.sh"), "{err}");
    let (code, _, err) = run_cli(&env, &["serve"], None);
    assert_eq!(
        code, 1,
        "the service does not serve without its signing keys"
    );
    assert!(err.contains("./deploy/local/reset.sh"), "{err}");
    assert!(!err.contains("listening"), "{err}");

    // No variable and no file: the message says where a key comes from.
    let mut env = with_key_file(&db, &dir, 1);
    env.retain(|(k, _)| k != "IDENTITY__DEVELOPMENT__PLATFORM_KEY_FILE");
    env.push((
        "IDENTITY__DEVELOPMENT__PLATFORM_KEY_FILE".into(),
        dir.path().join("missing").display().to_string(),
    ));
    let (code, _, err) = run_cli(&env, &["keys", "check"], None);
    assert_eq!(code, 1);
    assert!(
        err.contains("IDENTITY_PLATFORM_ENCRYPTION_KEY is not set"),
        "{err}"
    );
    assert!(err.contains("run.sh makes one"), "{err}");
}

#[tokio::test]
async fn the_development_section_is_refused_outside_loopback() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let mut env = with_key_file(&db, &dir, 1);
    env.push((
        "IDENTITY__SERVER__PUBLIC_URL".into(),
        "https://id.example.com".into(),
    ));
    let (code, _, err) = run_cli(&env, &["keys", "check"], None);
    assert_eq!(code, 1);
    assert!(err.contains("local checkout only"), "{err}");
}

#[tokio::test]
async fn lost_demo_credentials_get_a_fresh_password_that_signs_in() {
    let db = TestDb::new().await;
    let env = db.env();
    let (code, out, err) = run_cli(&env, BOOTSTRAP, None);
    assert_eq!(code, 0, "{err}");
    let first: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let old = first["admin_password"].as_str().unwrap().to_string();

    let (code, out, _) = run_cli(&env, BOOTSTRAP, None);
    assert_eq!(code, 0);
    assert!(
        !out.contains("admin_password"),
        "an existing admin keeps their password: {out}"
    );

    let mut fresh = BOOTSTRAP.to_vec();
    fresh.push("--fresh-password");
    let (code, out, err) = run_cli(&env, &fresh, None);
    assert_eq!(code, 0, "{err}");
    let again: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(again["admin_user_id"], first["admin_user_id"]);
    let new = again["admin_password"].as_str().unwrap();
    assert_ne!(new, old);

    let pool = db.db();
    let tenant = identity::ids::TenantId(
        uuid::Uuid::parse_str(again["tenant_id"].as_str().unwrap()).unwrap(),
    );
    let user = identity::ids::UserId(
        uuid::Uuid::parse_str(again["admin_user_id"].as_str().unwrap()).unwrap(),
    );
    let mut tx = pool.tenant(tenant).await.unwrap();
    let hash = identity::db::models::users::password_hash(&mut tx, user)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    let hasher = identity::auth::password::PasswordHasher::new(1);
    assert!(
        hasher.verify(new, &hash).await.unwrap(),
        "the new password signs in"
    );
    assert!(
        !hasher.verify(&old, &hash).await.unwrap(),
        "the old one no longer does"
    );
    settle_audit(&pool).await;
    let actions: Vec<String> = db
        .owner()
        .await
        .query("SELECT action FROM audit_log ORDER BY seq", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(
        actions.last().map(String::as_str),
        Some("password.changed"),
        "{actions:?}"
    );
}
