//! What every browser test needs: the fixture ([`Site`]: an instance, workspace "alpha",
//! the `crm-web` client and an admin key), a cookie-keeping [`Browser`], the PKCE pair and
//! redirect URI, the demo password, an authorization URL, and reading what a page or a
//! redirect carries (cookies, hidden form fields, query parameters, entities).

use crate::harness::{TestApp, TestDb};
pub use crate::site_builder::SiteBuilder;
use crate::support::TestClient;
use identity::admin::bootstrap::Bootstrapped;
use reqwest::header::{HeaderMap, SET_COOKIE};
use std::collections::HashMap;

pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub const REDIRECT: &str = "https://crm.example/callback";
pub const PASSWORD: &str = "correct horse battery staple";
pub const SIGNED_OUT: &str = "https://crm.example/signed-out";

/// How the instance is reached.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Reached {
    /// At `127.0.0.1:<port>`, with the configured issuer.
    ByAddress,
    /// At its own address as issuer and public URL (for clients that run discovery and
    /// identity providers that post back).
    AsIssuer,
    /// At `localhost:<port>` as public URL (a WebAuthn relying party needs a domain name);
    /// the client also accepts `<base>/healthz` as a loopback redirect URI.
    OnLocalhost,
}

/// The one test rig: an instance, a workspace (default "alpha", admin
/// `admin@<slug>.example`, [`PASSWORD`]), its `crm-web` client (code and refresh grants,
/// [`REDIRECT`], [`SIGNED_OUT`], the admin audience), an admin-role key, on request the
/// first-party console client (people's own admin tokens come through it), and the
/// admin-API and browser helpers. Built with [`Site::build`].
pub struct Site {
    pub app: TestApp,
    pub db: TestDb,
    /// The application's pool on the test database (model functions, set-up).
    pub pool: identity::db::Db,
    pub t: Bootstrapped,
    pub web: TestClient,
    /// With [`SiteBuilder::console_client`] only: the service replaces a console client
    /// whose redirect URI is not its own when its console is used.
    pub console: Option<TestClient>,
    pub admin_key: String,
}

impl Site {
    pub fn build() -> SiteBuilder {
        SiteBuilder::default()
    }

    pub async fn start(reached: Reached) -> Site {
        Site::build().reached(reached).start().await
    }

    pub async fn start_with(
        reached: Reached,
        settings: identity::config::Settings,
        db: TestDb,
    ) -> Site {
        Site::build()
            .reached(reached)
            .on(settings, db)
            .start()
            .await
    }

    /// Every person of the workspace, read through the model: their fields are sealed at
    /// rest, so no SQL of a test can find them by email.
    pub async fn people(&self) -> Vec<identity::db::models::users::User> {
        let mut tx = self.pool.tenant(self.t.tenant_id).await.unwrap();
        let all = identity::db::models::users::list(&mut tx, None, None, 10_000)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        all
    }

    /// The people whose email address is `email` (any letter case).
    pub async fn people_with_email(&self, email: &str) -> Vec<identity::db::models::users::User> {
        let mut all = self.people().await;
        all.retain(|u| u.email.eq_ignore_ascii_case(email));
        all
    }

    /// How many people have an address at `domain`.
    pub async fn people_at(&self, domain: &str) -> usize {
        let at = format!("@{}", domain.to_ascii_lowercase());
        let all = self.people().await;
        all.iter()
            .filter(|u| u.email.to_ascii_lowercase().ends_with(&at))
            .count()
    }

    /// A GET with `cookie` as the Cookie header.
    pub async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut req = self.app.http.get(self.app.url(path));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send().await.unwrap()
    }

    /// Loads the form and posts it back with `email`/`password` from `ip`; `csrf_cookie`
    /// replaces the CSRF cookie the form came with.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        csrf_cookie: Option<&str>,
        ip: &str,
    ) -> reqwest::Response {
        let page = self.get(&authorize_url(&[]), None).await;
        assert_eq!(page.status(), 200);
        let csrf = cookies(page.headers())
            .into_iter()
            .find(|c| c.0 == "__Host-identity-csrf")
            .unwrap()
            .1;
        let html = page.text().await.unwrap();
        let mut form = hidden_fields(&html);
        form.push(("email".into(), email.into()));
        form.push(("password".into(), password.into()));
        let cookie = match csrf_cookie {
            Some(c) => c.to_string(),
            None => format!("__Host-identity-csrf={csrf}"),
        };
        self.app
            .http
            .post(self.app.url("/signin"))
            .header("cookie", cookie)
            .header("x-forwarded-for", ip)
            .form(&form)
            .send()
            .await
            .unwrap()
    }
}

/// A browser on one instance: keeps its cookies, sends the CSRF token with every form,
/// follows no redirect by itself. Answers are (status, body, Location).
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub jar: HashMap<String, String>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            jar: HashMap::new(),
        }
    }

    fn keep(&mut self, res: &reqwest::Response) {
        for (name, value, line) in cookies(res.headers()) {
            if value.is_empty() || line.contains("Max-Age=0") {
                self.jar.remove(&name);
            } else {
                self.jar.insert(name, value);
            }
        }
    }

    pub fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// `path` on the instance, or an absolute URL (another application, cookies shared as a
    /// browser shares them across ports of one host).
    fn url(&self, path: &str) -> String {
        if path.starts_with("http://") {
            path.to_string()
        } else {
            self.app.url(path)
        }
    }

    pub async fn get(&mut self, path: &str) -> (u16, String, Option<String>) {
        let res = self
            .app
            .http
            .get(self.url(path))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.read(res).await
    }

    pub async fn post(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String, Option<String>) {
        let mut form: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(csrf) = self.jar.get("__Host-identity-csrf") {
            form.push(("csrf".into(), csrf.clone()));
        }
        let res = self
            .app
            .http
            .post(self.url(path))
            .header("cookie", self.cookie_header())
            .form(&form)
            .send()
            .await
            .unwrap();
        self.read(res).await
    }

    async fn read(&mut self, res: reqwest::Response) -> (u16, String, Option<String>) {
        self.keep(&res);
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        (status, res.text().await.unwrap(), location)
    }

    /// Opens the authorization URL (with `extra`) and posts the password of `email`; the
    /// answer to the password.
    pub async fn password(
        &mut self,
        email: &str,
        extra: &[(&str, &str)],
    ) -> (u16, String, Option<String>) {
        let (status, html, _) = self.get(&authorize_url(extra)).await;
        assert_eq!(status, 200, "{html}");
        let hidden = hidden_fields(&html);
        let mut fields: Vec<(&str, &str)> = hidden
            .iter()
            .filter(|(k, _)| k != "csrf")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        fields.push(("email", email));
        fields.push(("password", PASSWORD));
        self.post("/signin", &fields).await
    }
}

/// The authorization request of the `crm-web` test client for workspace `alpha`; `extra`
/// replaces (or, with an empty value, removes) parameters.
pub fn authorize_url(extra: &[(&str, &str)]) -> String {
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
    for (k, v) in extra {
        pairs.retain(|(key, _)| key != k);
        if !v.is_empty() {
            pairs.push((k, v));
        }
    }
    format!(
        "/oauth2/authorize?{}",
        serde_urlencoded::to_string(&pairs).unwrap()
    )
}

/// name → (value, full Set-Cookie line)
pub fn cookies(headers: &HeaderMap) -> Vec<(String, String, String)> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|line| {
            let first = line.split(';').next().unwrap();
            let (n, v) = first.split_once('=').unwrap();
            (n.to_string(), v.to_string(), line.to_string())
        })
        .collect()
}

/// The hidden fields of a page's form, unescaped.
pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    // The passkey forms are posted by the page's script, never by these tests.
    let html = html.split("<form id=\"passkey-").next().unwrap_or(html);
    let re = regex::Regex::new(r#"<input type="hidden" name="([^"]+)" value="([^"]*)">"#).unwrap();
    re.captures_iter(html)
        .map(|c| (c[1].to_string(), unescape(&c[2])))
        .collect()
}

/// The query parameters of a redirect's `Location`.
pub fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    serde_urlencoded::from_str(location.split_once('?').unwrap().1).unwrap()
}

/// Text of an HTML attribute or element as a browser reads it (the entities the templates
/// write, named or numeric).
pub fn unescape(html: &str) -> String {
    [
        ("&#34;", "\""),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&#x27;", "'"),
        ("&#60;", "<"),
        ("&lt;", "<"),
        ("&#62;", ">"),
        ("&gt;", ">"),
        ("&#38;", "&"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(html.to_string(), |s, (entity, c)| s.replace(entity, c))
}
