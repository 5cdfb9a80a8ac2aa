//! Enterprise SSO against real identity providers started on loopback by the tests: Python
//! `pysaml2` (with Debian's xmlsec1) as a SAML IdP and Node `oidc-provider` as an OpenID
//! provider. A hand-rolled browser carries cookies per host and follows nothing by itself,
//! so each hop is asserted.

mod admin;
mod console;
mod metadata_refresh;
mod oidc;
mod saml;
mod testing;
mod trust_change;

use crate::api_keys::admin_key;
use crate::browser::{cookies, query_of, Reached, Site, REDIRECT};
use crate::harness::{envelope, settle_audit, tenant};
use crate::support::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::browser::{CHALLENGE, VERIFIER};

/// A third-party IdP process; killed when dropped.
pub(crate) struct Idp {
    child: Child,
    pub base: String,
}

impl Idp {
    fn spawn(program: &str, args: &[&str]) -> Idp {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/external");
        let mut child = Command::new(program)
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{program} must be installed (tests/external/install.sh): {e}")
            });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("{program} {args:?} did not print READY"));
        let base = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Idp { child, base }
    }

    pub(crate) fn saml() -> Idp {
        let python = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/external/.venv/bin/python"
        );
        Idp::spawn(python, &["saml_idp.py"])
    }

    pub(crate) fn oidc(client_id: &str, secret: &str, redirect_uri: &str) -> Idp {
        Idp::spawn(
            "node",
            &[
                "oidc_idp.mjs",
                "--client-id",
                client_id,
                "--client-secret",
                secret,
                "--redirect-uri",
                redirect_uri,
            ],
        )
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) type Rig = Site;

/// The service (issuer = its own address, so ACS and callback URLs are reachable),
/// workspace "alpha" with its client and admin key, and the domains the tests sign in with.
pub(crate) async fn rig() -> Rig {
    let db = crate::harness::TestDb::new().await;
    rig_with(db.settings(), db).await
}

/// [`rig`] with `settings` on `db`.
pub(crate) async fn rig_with(
    settings: identity::config::Settings,
    db: crate::harness::TestDb,
) -> Rig {
    let build = Site::build().reached(Reached::AsIssuer).on(settings, db);
    build.domains(&["acme.test", "globex.test"]).start().await
}

impl Rig {
    pub(crate) async fn admin(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        self.app.call(&self.admin_key, method, path, body).await
    }

    pub(crate) async fn map_group(&self, group: &str, role: &str) {
        let (s, v) = self
            .admin(
                "POST",
                "/admin/v1/role-mappings",
                Some(json!({"group": group, "role": role})),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }

    pub(crate) async fn audit_rows(&self, action: &str) -> Vec<Value> {
        settle_audit(&self.db.db()).await;
        self.db
            .owner()
            .await
            .query(
                "SELECT details FROM audit_log WHERE action = $1 ORDER BY seq",
                &[&action],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    /// Exchanges the code in `location` for tokens; returns the token response. A fresh
    /// HTTP client: a pooled connection may have idled out while a browser ran.
    pub(crate) async fn tokens(&self, location: &str) -> Value {
        let code = query_of(location)["code"].clone();
        let res = reqwest::Client::new()
            .post(self.app.url("/oauth2/token"))
            .basic_auth(&self.web.id, Some(&self.web.secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }
}

pub(crate) fn authorize_url(extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", "crm-web"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid email"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("tenant", "alpha"),
    ];
    pairs.extend_from_slice(extra);
    format!(
        "/oauth2/authorize?{}",
        serde_urlencoded::to_string(&pairs).unwrap()
    )
}

/// A browser: cookies per host:port, no automatic redirects.
pub(crate) struct Browser {
    http: reqwest::Client,
    jar: HashMap<String, HashMap<String, String>>,
}

pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

fn host_of(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    format!(
        "{}:{}",
        u.host_str().unwrap(),
        u.port_or_known_default().unwrap()
    )
}

impl Browser {
    pub(crate) fn new() -> Self {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar: HashMap::new(),
        }
    }

    fn cookie_header(&self, url: &str) -> String {
        self.jar
            .get(&host_of(url))
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default()
    }

    pub(crate) fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.jar.get(&host_of(url))?.get(name).cloned()
    }

    async fn read(&mut self, url: &str, res: reqwest::Response) -> Answer {
        let jar = self.jar.entry(host_of(url)).or_default();
        for (name, value, line) in cookies(res.headers()) {
            if value.is_empty() || line.contains("Max-Age=0") {
                jar.remove(&name);
            } else {
                jar.insert(name, value);
            }
        }
        let status = res.status().as_u16();
        let location = res.headers().get("location").map(|v| {
            let l = v.to_str().unwrap();
            url::Url::parse(url).unwrap().join(l).unwrap().to_string()
        });
        Answer {
            status,
            body: res.text().await.unwrap(),
            location,
        }
    }

    pub(crate) async fn get(&mut self, url: &str) -> Answer {
        let res = self
            .http
            .get(url)
            .header("cookie", self.cookie_header(url))
            .send()
            .await
            .unwrap();
        self.read(url, res).await
    }

    pub(crate) async fn post(&mut self, url: &str, form: &[(String, String)]) -> Answer {
        let res = self
            .http
            .post(url)
            .header("cookie", self.cookie_header(url))
            .form(form)
            .send()
            .await
            .unwrap();
        self.read(url, res).await
    }

    /// Follows redirects until one leaves for `stop_prefix` or a page answers.
    pub(crate) async fn follow(&mut self, start: &str, stop_prefix: &str) -> Answer {
        let mut url = start.to_string();
        for _ in 0..10 {
            let a = self.get(&url).await;
            match &a.location {
                Some(next) if (300..400).contains(&a.status) && !next.starts_with(stop_prefix) => {
                    url = next.clone();
                }
                _ => return a,
            }
        }
        panic!("too many redirects from {start}");
    }
}

/// Opens our sign-in page (login hint `email`), submits the email without a password and
/// returns the IdP URL that the hand-off page moves on to.
pub(crate) async fn start_sso(r: &Rig, b: &mut Browser, email: &str) -> String {
    let page = b
        .get(&r.app.url(&authorize_url(&[("login_hint", email)])))
        .await;
    assert_eq!(
        page.status, 200,
        "a hint never hands off by itself: {}",
        page.body
    );
    let a = submit_email(r, b, &page.body, email, "").await;
    assert_eq!(a.status, 200, "{}", a.body);
    continue_url(&a.body).unwrap_or_else(|| panic!("no hand-off page: {}", a.body))
}

/// Posts the sign-in form of `page` for `email` and `password`.
pub(crate) async fn submit_email(
    r: &Rig,
    b: &mut Browser,
    page: &str,
    email: &str,
    password: &str,
) -> Answer {
    let mut form = crate::browser::hidden_fields(page);
    form.retain(|(k, _)| k != "csrf");
    form.push((
        "csrf".into(),
        b.cookie(&r.app.base, "__Host-identity-csrf").unwrap(),
    ));
    form.push(("email".into(), email.into()));
    form.push(("password".into(), password.into()));
    b.post(&r.app.url("/signin"), &form).await
}

/// The IdP URL of a hand-off page.
pub(crate) fn continue_url(html: &str) -> Option<String> {
    let re = regex::Regex::new(r#"<a id="continue" href="([^"]+)""#).unwrap();
    re.captures(html).map(|c| crate::browser::unescape(&c[1]))
}

/// The roles in an access token.
pub(crate) fn roles_of(access_token: &str) -> Vec<String> {
    let (_, claims) = peek(access_token);
    claims["roles"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}
