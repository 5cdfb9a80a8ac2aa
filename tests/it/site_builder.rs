//! The builder of the one test rig, [`crate::browser::Site`]: which address the instance is
//! reached at, the workspace's slug, settings and database, claimed domains, and whether
//! the first-party console client is registered.

use crate::api_keys::admin_key;
use crate::browser::{Reached, Site, REDIRECT, SIGNED_OUT};
use crate::harness::{envelope, tenant, TestApp, TestDb};
use crate::support::{TestClient, ADMIN};
use identity::oidc::clients::{self, ClientSpec};

/// How a [`Site`] is made: `Site::build().workspace("acme").domains(&[..]).start()`.
pub struct SiteBuilder {
    reached: Reached,
    workspace: &'static str,
    on: Option<(identity::config::Settings, TestDb)>,
    domains: &'static [&'static str],
    console_client: bool,
}

impl SiteBuilder {
    /// Registers the first-party console client (redirect [`REDIRECT`]).
    pub fn console_client(mut self) -> Self {
        self.console_client = true;
        self
    }

    pub fn reached(mut self, reached: Reached) -> Self {
        self.reached = reached;
        self
    }

    pub fn workspace(mut self, slug: &'static str) -> Self {
        self.workspace = slug;
        self
    }

    /// Runs with `settings` on `db` instead of a fresh database's defaults.
    pub fn on(mut self, settings: identity::config::Settings, db: TestDb) -> Self {
        self.on = Some((settings, db));
        self
    }

    /// Email domains the operator claims for the workspace (home-realm discovery).
    pub fn domains(mut self, domains: &'static [&'static str]) -> Self {
        self.domains = domains;
        self
    }

    pub async fn start(self) -> Site {
        let (settings, db) = match self.on {
            Some(on) => on,
            None => {
                let db = TestDb::new().await;
                (db.settings(), db)
            }
        };
        let app = match self.reached {
            Reached::ByAddress => TestApp::spawn(settings).await,
            Reached::AsIssuer => TestApp::spawn_as_issuer(settings).await,
            Reached::OnLocalhost => TestApp::spawn_on_localhost(settings).await,
        };
        let (pool, env) = (db.db(), envelope(&[1]));
        let t = tenant(&pool, &env, self.workspace).await;
        let mut redirect_uris = vec![REDIRECT.to_string()];
        if self.reached == Reached::OnLocalhost {
            redirect_uris.push(app.url("/healthz"));
        }
        let web = client(&pool, "CRM web", "crm-web", redirect_uris, true).await;
        let console_id = identity::oidc::console_client::CONSOLE_CLIENT_ID;
        let console = match self.console_client {
            true => Some(
                client(
                    &pool,
                    "Admin console",
                    console_id,
                    vec![REDIRECT.into()],
                    false,
                )
                .await,
            ),
            false => None,
        };
        let admin_key = admin_key(&pool, t.tenant_id, "admin").await;
        let site = Site {
            app,
            db,
            pool,
            t,
            web,
            console,
            admin_key,
        };
        for d in self.domains {
            site.claim_domain(d).await;
        }
        site
    }
}

impl Site {
    /// The operator claims `domain` for the workspace (home-realm discovery finds it).
    pub async fn claim_domain(&self, domain: &str) {
        let origin = identity::audit::Origin::default();
        let env = envelope(&[1]);
        let ctx = identity::audit::Context {
            envelope: &env,
            actor: "operator",
            origin: &origin,
            now: chrono::Utc::now(),
        };
        identity::auth::domains::claim(&self.pool, &ctx, self.t.tenant_id, domain)
            .await
            .unwrap();
    }
}

/// A client for people's sign-in with the admin audience; `refresh` adds refresh tokens
/// and the sign-out return.
async fn client(
    pool: &identity::db::Db,
    name: &str,
    id: &str,
    redirect_uris: Vec<String>,
    refresh: bool,
) -> TestClient {
    let mut grant_types = vec!["authorization_code".to_string()];
    let mut post_logout_redirect_uris = Vec::new();
    if refresh {
        grant_types.push("refresh_token".into());
        post_logout_redirect_uris.push(SIGNED_OUT.to_string());
    }
    let spec = ClientSpec {
        name: name.into(),
        client_id: Some(id.into()),
        grant_types,
        redirect_uris,
        post_logout_redirect_uris,
        audiences: vec![ADMIN.into()],
        ..Default::default()
    };
    let now = chrono::Utc::now();
    let (_, secret) = clients::create(pool, &envelope(&[1]), spec, 3600, "test", now)
        .await
        .unwrap();
    TestClient {
        id: id.into(),
        secret,
    }
}

impl Default for SiteBuilder {
    fn default() -> Self {
        SiteBuilder {
            reached: Reached::ByAddress,
            workspace: "alpha",
            on: None,
            domains: &[],
            console_client: false,
        }
    }
}
