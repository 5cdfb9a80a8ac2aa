//! A newcomer's walk in Debian Chromium: landing page → demo app sign-in and claims →
//! every admin console screen, each passing axe-core with no serious or critical finding
//! and fitting 360 px; then the walk: TOTP set up, the MFA rule turned on with the
//! keyboard alone (and a step-up), a SAML connection made from the pysaml2 IdP's metadata
//! URL and tested, a person provisioned with the SCIM token, found, the audit entries seen
//! and exported as CSV. Screenshots go to `artifacts/`.

use crate::browser::{Reached, Site, PASSWORD};
use crate::demo_app::{demo_app_at, hold_port};
use crate::harness::TestDb;
use crate::sso::Idp;
use crate::support::{artifacts_dir, run_verifier};
use reqwest::Method;
use serde_json::Value;

#[tokio::test]
async fn chromium_walks_the_landing_page_demo_app_and_console_with_axe_and_the_keyboard() {
    let db = TestDb::new().await;
    let demo_port = hold_port();
    let mut settings = db.settings();
    settings.development = Some(identity::config::DevelopmentSettings {
        platform_key_file: None,
        demo_app_url: Some(format!(
            "http://127.0.0.1:{}",
            demo_port.local_addr().unwrap().port()
        )),
        test_idp_metadata_url: None,
    });
    let site = Site::start_with(Reached::AsIssuer, settings, db).await;
    let _demo = demo_app_at(&site, demo_port).await;
    let idp = Idp::saml();
    site.claim_domain("acme.test").await;
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
            &idp.base,
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
        "console-sso",
        "console-sso-connection",
        "console-sso-test",
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
    let (_, policy) = site
        .app
        .call(&site.admin_key, Method::GET, "/admin/v1/mfa-policy", None)
        .await;
    assert_eq!(
        policy["required"], true,
        "the keyboard-only change reached the workspace"
    );
    assert_eq!(result["totp"], true);
    let sso = result["sso_test"].as_str().unwrap();
    for shown in [
        "jit.user@acme.test",
        "A new account would be created",
        "crm-admins",
    ] {
        assert!(sso.contains(shown), "the test shows {shown}: {sso}");
    }
    assert_eq!(
        result["scim_user"], true,
        "the provisioned person is listed"
    );
    // The export carries the filter the admin set (scim.), and only that.
    let csv = result["csv"].as_str().unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(
        rows.iter().any(|r| r.contains(",scim.user.created,")),
        "{csv}"
    );
    assert!(
        rows.iter().all(|r| r.contains(",scim.")),
        "only SCIM entries: {csv}"
    );
    let (_, recent) = site
        .app
        .call(
            &site.admin_key,
            Method::GET,
            "/admin/v1/audit/recent?limit=100",
            None,
        )
        .await;
    let actions: Vec<&str> = recent["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "mfa.enrolled",
        "mfa.policy_changed",
        "sso_connection.created",
        "sso_connection.tested",
    ] {
        assert!(
            actions.contains(&action),
            "{action} in the log: {actions:?}"
        );
    }
    let everything = site
        .app
        .http
        .get(site.app.url("/admin/v1/audit/export"))
        .bearer_auth(&site.admin_key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(everything.contains("sso_connection.tested"), "{everything}");
    assert!(
        !everything.contains("jit.user@acme.test"),
        "the tester's address is not in the log"
    );
}
