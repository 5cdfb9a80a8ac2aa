//! The `identity` command as scripts drive it.

use crate::harness::{run_cli, TestDb};

#[tokio::test]
async fn bootstrap_prints_json_and_is_idempotent_only_when_asked() {
    let db = TestDb::new().await;
    let env = db.env();
    let (code, out, err) = run_cli(
        &env,
        &[
            "bootstrap",
            "--tenant",
            "acme",
            "--admin-email",
            "ops@acme.example",
            "--json",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let first: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(first["tenant_slug"], "acme");
    assert!(first["tenant_id"].as_str().unwrap().len() == 36);
    assert!(first["admin_user_id"].as_str().unwrap().len() == 36);
    assert!(
        first["admin_password"].as_str().unwrap().len() >= 20,
        "a generated password is shown once"
    );

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
    assert_ne!(code, 0);
    assert!(err.contains("already exists"), "{err}");

    let (code, out, err) = run_cli(
        &env,
        &[
            "bootstrap",
            "--tenant",
            "acme",
            "--admin-email",
            "ops@acme.example",
            "--json",
            "--if-missing",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let again: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(again["tenant_id"], first["tenant_id"]);
    assert_eq!(again["admin_user_id"], first["admin_user_id"]);
    assert!(
        again.get("admin_password").is_none(),
        "no password for an existing admin"
    );
}

#[tokio::test]
async fn bootstrap_reads_the_password_from_stdin_and_refuses_bad_input() {
    let db = TestDb::new().await;
    let env = db.env();
    let args = [
        "bootstrap",
        "--tenant",
        "beta",
        "--admin-email",
        "ops@beta.example",
        "--password-stdin",
        "--json",
    ];
    let (code, _, err) = run_cli(&env, &args, Some("short\n"));
    assert_ne!(code, 0);
    assert!(err.contains("at least 12"), "{err}");
    let (code, out, err) = run_cli(&env, &args, Some("a long enough passphrase\n"));
    assert_eq!(code, 0, "{err}");
    assert!(
        !out.contains("passphrase"),
        "a given password is never printed"
    );
    let (code, _, err) = run_cli(
        &env,
        &[
            "bootstrap",
            "--tenant",
            "Bad_Slug",
            "--admin-email",
            "x@y.example",
        ],
        None,
    );
    assert_ne!(code, 0);
    assert!(err.contains("slug"), "{err}");
}

#[tokio::test]
async fn encryption_status_and_rotate_report_versions_and_progress() {
    let db = TestDb::new().await;
    let mut env = db.env();
    for slug in ["one", "two", "three"] {
        let (code, _, err) = run_cli(
            &env,
            &[
                "bootstrap",
                "--tenant",
                slug,
                "--admin-email",
                &format!("a@{slug}.example"),
            ],
            None,
        );
        assert_eq!(code, 0, "{err}");
    }
    let (_, out, _) = run_cli(&env, &["encryption", "status"], None);
    assert!(
        out.contains("workspace keys wrapped by platform v1: 3 (current)"),
        "{out}"
    );
    // Per workspace: two audit secrets and the admin's sealed email address.
    assert!(out.contains("values under workspace key v1: 9"), "{out}");

    let keyring = format!(
        "2:{},1:{}",
        crate::harness::test_key_b64(2),
        crate::harness::test_key_b64(1)
    );
    for (k, v) in env.iter_mut() {
        if k == "IDENTITY_PLATFORM_ENCRYPTION_KEY" {
            *v = keyring.clone();
        }
    }
    let (_, out, _) = run_cli(&env, &["encryption", "status"], None);
    assert!(
        out.contains("workspace keys wrapped by platform v1: 3 (old, still in keyring)"),
        "{out}"
    );
    // The platform level re-wraps the three small workspace keys, not the nine values.
    let (code, out, err) = run_cli(&env, &["encryption", "rotate", "--batch-size", "2"], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("moved 3/3"), "{out}");
    let (_, out, _) = run_cli(&env, &["encryption", "status"], None);
    assert!(
        out.contains("workspace keys wrapped by platform v2: 3 (current)"),
        "{out}"
    );
    // Per workspace: two audit secrets and the admin's sealed email address.
    assert!(out.contains("values under workspace key v1: 9"), "{out}");
    assert!(!out.contains("platform v1"), "{out}");

    // The workspace level: one workspace's values move to its new key version.
    let (code, out, err) = run_cli(&env, &["encryption", "rotate", "--tenant", "one"], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("rotation of one complete: 3 moved, all under its key v2"),
        "{out}"
    );
    let (_, out, _) = run_cli(&env, &["encryption", "status", "--json"], None);
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["values"]["ev2.2"], 3, "{out}");
    assert_eq!(status["values"]["ev2.1"], 6, "{out}");
}
