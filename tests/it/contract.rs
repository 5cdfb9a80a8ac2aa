//! The contract under generated input: schemathesis (pinned, `tests/external/install.sh`)
//! sends requests generated from `openapi.yaml` to a live service, with budgets lifted and a
//! credential for each surface (an admin key for `/admin`, a SCIM token for `/scim`, a
//! client's secret for the OAuth endpoints), and fails on any server error or any status
//! code or content type the spec does not document.

use crate::api_keys::admin_key;
use crate::harness::{envelope, tenant, TestApp, TestDb};
use crate::support::{tenant_client, API};
use base64::Engine;
use identity::config::Budget;

/// Which credential each surface gets. The one documented 5xx is exempt from "not a server
/// error": RFC 7644 §3.12 names 501 for an operation a provider does not offer (searching
/// several resource types at once), and scim2-tester expects exactly that answer.
fn config(admin: &str, scim: &str, basic: &str) -> String {
    format!(
        r#"[[operations]]
include-path = "/scim/v2/.search"
headers = {{ Authorization = "Bearer {scim}" }}
checks.not_a_server_error.expected-statuses = ["2XX", "3XX", "4XX", 501]

[[operations]]
include-path-regex = "^/scim/v2/"
headers = {{ Authorization = "Bearer {scim}" }}

[[operations]]
include-path-regex = "^/admin/"
headers = {{ Authorization = "Bearer {admin}" }}

[[operations]]
include-path-regex = "^/oauth2/(token|introspect|revoke)$"
headers = {{ Authorization = "Basic {basic}" }}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_get_only_documented_answers() {
    let db = TestDb::new().await;
    let mut settings = db.settings();
    let lifted = Budget {
        limit: 10_000_000,
        window_secs: 60,
    };
    let limits = &mut settings.rate_limits;
    for budget in [
        &mut limits.global_per_ip,
        &mut limits.token_per_client,
        &mut limits.introspect_per_client,
        &mut limits.signin_per_ip,
        &mut limits.signin_per_account,
        &mut limits.reset_per_ip,
        &mut limits.reset_per_account,
        &mut limits.mfa_per_account,
        &mut limits.scim_per_ip,
        &mut limits.scim_per_token,
    ] {
        *budget = lifted;
    }
    let app = TestApp::spawn_as_issuer(settings).await;
    let pool = db.db();
    let t = tenant(&pool, &envelope(&[1]), "alpha").await;
    let key = admin_key(&pool, t.tenant_id, "admin").await;
    let scim = app
        .http
        .post(app.url("/admin/v1/scim-tokens"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"name": "contract"}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let client = tenant_client(&pool, t.tenant_id, &[API], Some(API)).await;
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", client.id, client.secret));
    let dir = std::env::temp_dir().join(format!("identity-contract-{}", db.name));
    std::fs::create_dir_all(&dir).unwrap();
    let config_file = dir.join("schemathesis.toml");
    std::fs::write(&config_file, config(&key, &scim, &basic)).unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let program = format!("{root}/tests/external/.venv-schemathesis/bin/schemathesis");
    let base = app.base.clone();
    // One worker: CPython 3.11 (Debian's) raises "AST constructor recursion depth mismatch"
    // when two threads parse source at once (gh-106905), which hypothesis does when it
    // describes a strategy; with two workers that failed a CI run at random.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&program)
            .current_dir(root)
            .arg("--config-file")
            .arg(&config_file)
            .args(["run", "openapi.yaml", "--url", &base])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance",
            ])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args(["--max-examples", "20", "--seed", "1", "--workers", "1"])
            .args(["--request-timeout", "10", "--no-color"])
            .output()
            .unwrap_or_else(|e| {
                panic!("{program} must be installed (tests/external/install.sh): {e}")
            })
    })
    .await
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "schemathesis found failures:\n{text}");
    app.stop().await;
}
