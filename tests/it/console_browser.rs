//! A newcomer's walk in Debian Chromium: landing page → demo app sign-in and claims →
//! admin console (users, security, audit log), every page passing axe-core with no
//! serious or critical finding and fitting 360 px; then the MFA rule is turned on with the
//! keyboard alone. Screenshots go to `artifacts/`.

use crate::authority::api;
use crate::browser::{Reached, Site, PASSWORD};
use crate::demo_app::{demo_app_at, free_port};
use crate::harness::TestDb;
use crate::support::{artifacts_dir, run_verifier};
use reqwest::Method;
use serde_json::Value;

#[tokio::test]
async fn chromium_walks_the_landing_page_demo_app_and_console_with_axe_and_the_keyboard() {
    let db = TestDb::new().await;
    let demo_port = free_port();
    let mut settings = db.settings();
    settings.development = Some(identity::config::DevelopmentSettings {
        platform_key_file: None,
        demo_app_url: Some(format!("http://127.0.0.1:{demo_port}")),
    });
    let site = Site::start_with(Reached::AsIssuer, settings, db).await;
    let _demo = demo_app_at(&site, demo_port).await;
    let artifacts = artifacts_dir();
    let base = site.app.url("");
    let (ok, out) = run_verifier(
        "node",
        "browser_console.mjs",
        &[
            &base,
            "admin@alpha.example",
            PASSWORD,
            artifacts.to_str().unwrap(),
        ],
    );
    assert!(ok, "the walk did not finish: {out}");
    let result: Value = serde_json::from_str(out.trim().lines().last().unwrap()).unwrap();
    let pages = result["pages"].as_object().unwrap();
    for name in [
        "landing",
        "demo-home",
        "sign-in",
        "demo-signed-in",
        "console-home",
        "console-users",
        "console-person",
        "console-roles",
        "console-audit",
        "console-directory",
        "console-api-keys",
        "console-applications",
        "console-security",
    ] {
        let page = &pages[name];
        assert_eq!(page["serious"], serde_json::json!([]), "{name}: {page}");
        assert!(
            page["overflow"].as_i64().unwrap() <= 0,
            "{name} is wider than 360 px: {page}"
        );
        let png = std::fs::read(artifacts.join(format!("{name}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
    }
    let keyboard = result["keyboard"].as_array().unwrap();
    assert!(
        keyboard.iter().all(|k| k["outline"] == true),
        "every focused control shows it: {keyboard:?}"
    );
    assert_eq!(keyboard.last().unwrap()["id"], "required", "{keyboard:?}");
    assert_eq!(result["saved"], true);
    let (_, policy) = api(
        &site.app,
        &site.admin_key,
        Method::GET,
        "/admin/v1/mfa-policy",
        None,
    )
    .await;
    assert_eq!(
        policy["required"], true,
        "the keyboard-only change reached the workspace"
    );
}
