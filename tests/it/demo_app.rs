//! The demo app (`identity-demo`, the binary run.sh starts next to the service) signs a
//! person in with code + PKCE through the `openidconnect` crate, shows the verified ID
//! token's claims and the access token's, and signs out of the service too.

use crate::browser::{hidden_fields, query_of, unescape, Browser, Reached, Site, PASSWORD};
use identity::oidc::clients::{self, ClientSpec};
use std::process::{Child, Command, Stdio};

pub(crate) struct DemoApp {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for DemoApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on now.
/// A free port, held (bound) until the demo app is about to take it: another test's
/// server cannot be given it in between, however long the service takes to start.
pub(crate) fn hold_port() -> std::net::TcpListener {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap()
}

async fn demo_app(site: &Site) -> DemoApp {
    demo_app_at(site, hold_port()).await
}

/// Registers the demo client in workspace alpha (as run.sh does) and starts the binary on
/// the `held` port.
pub(crate) async fn demo_app_at(site: &Site, held: std::net::TcpListener) -> DemoApp {
    let port = held.local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    crate::support::register_resource(&site.db.db(), "https://api.crm.example").await;
    let spec = ClientSpec {
        tenant: Some(site.t.tenant_id),
        name: "Demo CRM app".into(),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        redirect_uris: vec![format!("{base}/callback")],
        post_logout_redirect_uris: vec![format!("{base}/")],
        audiences: vec!["https://api.crm.example".into()],
        // As run.sh registers it: the operator vouches for it, no consent screen.
        trusted: true,
        ..Default::default()
    };
    let env = crate::harness::envelope(&[1]);
    let (client, secret) =
        clients::create(&site.db.db(), &env, spec, 3600, "test", chrono::Utc::now())
            .await
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo-client");
    let registration = serde_json::json!({"client_id": client.client_id, "client_secret": secret});
    std::fs::write(&file, registration.to_string()).unwrap();
    drop(held);
    let child = Command::new(env!("CARGO_BIN_EXE_identity-demo"))
        .args([
            "--issuer",
            &site.app.url(""),
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args(["--public-url", &base, "--client-file"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let demo = DemoApp {
        child,
        base,
        _dir: dir,
    };
    for _ in 0..100 {
        // The demo app's own page, not whatever else might answer on the port.
        let page = match reqwest::get(&demo.base).await {
            Ok(res) => res.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if page.contains("Demo CRM app") {
            return demo;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the demo app did not start");
}

#[tokio::test]
async fn a_person_signs_in_to_the_demo_app_sees_the_claims_and_signs_out_of_both() {
    let site = Site::start(Reached::AsIssuer).await;
    let demo = demo_app(&site).await;
    let mut b = Browser::new(&site.app);
    let at = |path: &str| format!("{}{path}", demo.base);

    let (status, html, _) = b.get(&at("/")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Sign in to the demo app"), "{html}");
    let (status, _, to_service) = b.get(&at("/login")).await;
    assert_eq!(status, 302);
    let to_service = to_service.unwrap();
    assert!(
        to_service.starts_with(&site.app.url("/oauth2/authorize?")),
        "{to_service}"
    );
    let asked = query_of(&to_service);
    assert_eq!(asked["code_challenge_method"], "S256");
    assert!(asked["scope"].contains("openid"));

    let (status, form, _) = b.get(&to_service).await;
    assert_eq!(status, 200, "{form}");
    assert!(
        unescape(&form).contains("Workspace <strong>alpha</strong>"),
        "the demo client's workspace: {form}"
    );
    let hidden = hidden_fields(&form);
    let mut fields: Vec<(&str, &str)> = hidden
        .iter()
        .filter(|(k, _)| k != "csrf")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    fields.push(("email", "admin@alpha.example"));
    fields.push(("password", PASSWORD));
    let (status, _, back) = b.post("/signin", &fields).await;
    assert_eq!(status, 303);
    let back = back.unwrap();
    assert!(back.starts_with(&at("/callback?")), "{back}");

    let (status, _, home) = b.get(&back).await;
    assert_eq!(
        status, 303,
        "the demo exchanged the code and verified the ID token"
    );
    assert_eq!(home.as_deref(), Some("/"));
    let (status, page, _) = b.get(&at("/")).await;
    assert_eq!(status, 200);
    let page = unescape(&page);
    assert!(
        page.contains("signed in as <strong>admin@alpha.example</strong>"),
        "{page}"
    );
    let issuer = format!("\"iss\": \"{}\"", site.app.url(""));
    assert!(
        page.matches(&issuer).count() == 2,
        "both tokens' issuer: {page}"
    );
    let userinfo = format!("\"aud\": \"{}\"", site.app.url("/userinfo"));
    assert!(
        page.contains(&userinfo),
        "the access token is for userinfo: {page}"
    );
    assert!(page.contains("\"roles\": [\n    \"admin\"\n  ]"), "{page}");
    assert!(page.contains("\"nonce\""), "{page}");

    // The same answer again is refused: the state was used.
    let (status, again, _) = b.get(&back).await;
    assert_eq!(status, 400);
    assert!(unescape(&again).contains("already used"), "{again}");

    // Signing out of the demo app ends the service's session too.
    let (status, _, logout) = b.post(&at("/logout"), &[]).await;
    assert_eq!(status, 303);
    let logout = logout.unwrap();
    assert!(
        logout.starts_with(&site.app.url("/oauth2/logout?")),
        "{logout}"
    );
    let (status, _, after) = b.get(&logout).await;
    assert_eq!(
        status, 303,
        "a valid id_token_hint signs out without asking"
    );
    assert_eq!(after.as_deref(), Some(at("/").as_str()));
    let (status, _, silent) = b
        .get(&to_service.replace("scope=", "prompt=none&scope="))
        .await;
    assert_eq!(status, 303);
    assert_eq!(query_of(&silent.unwrap())["error"], "login_required");
}

#[tokio::test]
async fn a_callback_this_browser_did_not_start_is_refused() {
    let site = Site::start(Reached::AsIssuer).await;
    let demo = demo_app(&site).await;
    let mut victim = Browser::new(&site.app);
    let (_, _, to_service) = victim.get(&format!("{}/login", demo.base)).await;
    let state = query_of(&to_service.unwrap())["state"].clone();
    // An attacker sends someone else's (or their own) callback to a fresh browser.
    let mut other = Browser::new(&site.app);
    let forged = format!("{}/callback?code=abc&state={state}", demo.base);
    let (status, html, _) = other.get(&forged).await;
    assert_eq!(status, 400);
    assert!(unescape(&html).contains("not started here"), "{html}");
    let (status, html, _) = other.get(&format!("{}/", demo.base)).await;
    assert_eq!(status, 200);
    assert!(!html.contains("signed in as"), "{html}");
}
