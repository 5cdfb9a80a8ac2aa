//! Test support: a database per test cloned from a migrated template, settings pointing at
//! it, an in-process server, and raw connections as the owner or the runtime role.
//! PostgreSQL and Redis must be running (the README's test command starts them); a missing
//! service fails the tests, it never skips them.

use identity::admin::bootstrap::{self, BootstrapRequest, Bootstrapped};
use identity::auth::password::PasswordHasher;
use identity::config::Settings;
use identity::crypto::{Envelope, Keyring};
use identity::db::Db;
use identity::startup;
use sha2::{Digest, Sha256};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use tokio_postgres::{Client, NoTls};

/// Superuser connection to the cluster (trust auth in dev and CI).
pub fn admin_base() -> String {
    std::env::var("IDENTITY_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

pub fn redis_url() -> String {
    std::env::var("IDENTITY_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// `host:port` of the test PostgreSQL.
pub fn host_port() -> String {
    let host = host_part(&admin_base()).to_string();
    host.split('/').next().unwrap_or(&host).to_string()
}

fn host_part(base: &str) -> &str {
    base.rsplit('@').next().unwrap_or(base)
}

pub async fn connect(url: &str) -> Client {
    let (client, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL must be reachable for the tests: {e}"));
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

/// Name of the template for the current migrations: a change of any migration makes a new one.
fn template_name() -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = walk(&root.join("migrations"));
    files.extend(walk(&root.join("migrations_keys")));
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        h.update(f.to_string_lossy().as_bytes());
        h.update(std::fs::read(&f).unwrap());
    }
    format!("identity_tpl_{}", &hex::encode(h.finalize())[..12])
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

static TEMPLATE: OnceLock<String> = OnceLock::new();

/// Creates the migrated template once per process (under an advisory lock, so parallel
/// test processes agree) and removes databases left by dead test processes.
fn template() -> String {
    TEMPLATE
        .get_or_init(|| {
            std::thread::spawn(|| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    let name = template_name();
                    let admin = connect(&format!("{}/postgres", admin_base())).await;
                    admin
                        .execute("SELECT pg_advisory_lock(7243001)", &[])
                        .await
                        .unwrap();
                    let exists = admin
                        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
                        .await
                        .unwrap()
                        .is_some();
                    if !exists {
                        admin
                            .batch_execute(&format!("CREATE DATABASE {name}"))
                            .await
                            .unwrap();
                        let url = format!("{}/{name}", admin_base());
                        if let Err(e) = identity::db::migrate::run(&url.clone().into()).await {
                            admin
                                .batch_execute(&format!("DROP DATABASE {name}"))
                                .await
                                .unwrap();
                            panic!("migrations failed: {e:#}");
                        }
                        // One keys database for every test database of these migrations:
                        // workspaces have random ids, so tests never share a key.
                        let keys = format!("{}/{name}_keys", admin_base());
                        let _ = admin
                            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}_keys"))
                            .await;
                        identity::db::migrate::run_keys(&keys.into(), &url.into())
                            .await
                            .unwrap_or_else(|e| panic!("keys migrations failed: {e:#}"));
                    }
                    cleanup_stale(&admin, &name).await;
                    admin
                        .execute("SELECT pg_advisory_unlock(7243001)", &[])
                        .await
                        .unwrap();
                    name
                })
            })
            .join()
            .unwrap()
        })
        .clone()
}

async fn cleanup_stale(admin: &Client, current_template: &str) {
    let rows = admin
        .query("SELECT datname FROM pg_database WHERE datname LIKE 'identity\\_t\\_%' OR datname LIKE 'identity\\_tpl\\_%'", &[])
        .await
        .unwrap();
    for row in rows {
        let name: String = row.get(0);
        let stale = if let Some(rest) = name.strip_prefix("identity_t_") {
            let pid = rest.split('_').next().unwrap_or("");
            !std::path::Path::new(&format!("/proc/{pid}")).exists()
        } else {
            name != current_template && name != format!("{current_template}_keys")
        };
        if stale {
            let _ = admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh migrated database, dropped when the value is dropped.
pub struct TestDb {
    pub name: String,
}

impl TestDb {
    pub async fn new() -> Self {
        let template = template();
        let name = format!(
            "identity_t_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let admin = connect(&format!("{}/postgres", admin_base())).await;
        admin
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .await
            .unwrap();
        TestDb { name }
    }

    /// As the superuser: DDL, catalog reads and tampering that the service cannot do.
    pub fn owner_url(&self) -> String {
        format!("{}/{}", admin_base(), self.name)
    }

    /// As the runtime role the service uses.
    pub fn app_url(&self) -> String {
        format!(
            "postgres://identity_app@{}/{}",
            host_part(&admin_base()),
            self.name
        )
    }

    pub async fn owner(&self) -> Client {
        connect(&self.owner_url()).await
    }

    pub async fn app(&self) -> Client {
        connect(&self.app_url()).await
    }

    /// The keys database every test database of these migrations shares, as the runtime role.
    pub fn keys_app_url(&self) -> String {
        format!(
            "postgres://identity_app@{}/{}_keys",
            host_part(&admin_base()),
            template()
        )
    }

    /// The shared keys database as the superuser.
    pub fn keys_owner_url(&self) -> String {
        format!("{}/{}_keys", admin_base(), template())
    }

    /// A handle that seals personal data under platform key 1, like the test services.
    pub fn db(&self) -> Db {
        self.db_with(&envelope(&[1]))
    }

    /// A handle that seals personal data under `env`'s keys.
    pub fn db_with(&self, env: &Envelope) -> Db {
        Db::connect(&identity::db::PoolSettings {
            url: self.app_url().into(),
            keys_url: self.keys_app_url().into(),
            max_size: 20,
            acquire_timeout: std::time::Duration::from_secs(10),
        })
        .unwrap()
        .with_cipher(std::sync::Arc::new(env.clone()))
    }

    /// Settings for a service on this database, with a key prefix of its own in Redis.
    pub fn settings(&self) -> Settings {
        let yaml = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/deploy/config/local.yaml"
        ))
        .unwrap();
        let env = vec![
            ("IDENTITY__DATABASE__URL".to_string(), self.app_url()),
            (
                "IDENTITY__DATABASE__MIGRATE_URL".to_string(),
                self.owner_url(),
            ),
            (
                "IDENTITY__DATABASE__KEYS_URL".to_string(),
                self.keys_app_url(),
            ),
            (
                "IDENTITY__DATABASE__KEYS_MIGRATE_URL".to_string(),
                self.keys_owner_url(),
            ),
            ("IDENTITY__REDIS__URL".to_string(), redis_url()),
            (
                "IDENTITY__REDIS__KEY_PREFIX".to_string(),
                format!("identity:test:{}:", self.name),
            ),
            ("IDENTITY__SERVER__PORT".to_string(), "0".to_string()),
            ("IDENTITY__SERVER__WORKERS".to_string(), "1".to_string()),
            (
                "IDENTITY__TOKENS__KEY_REFRESH_SECS".to_string(),
                "1".to_string(),
            ),
        ];
        Settings::from_yaml_and_env(&yaml, env).unwrap()
    }

    /// Environment for running the `identity` binary against this database.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "IDENTITY_CONFIG".into(),
                concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/config/local.yaml").into(),
            ),
            ("IDENTITY__DATABASE__URL".into(), self.app_url()),
            ("IDENTITY__DATABASE__MIGRATE_URL".into(), self.owner_url()),
            ("IDENTITY__DATABASE__KEYS_URL".into(), self.keys_app_url()),
            (
                "IDENTITY__DATABASE__KEYS_MIGRATE_URL".into(),
                self.keys_owner_url(),
            ),
            ("IDENTITY__REDIS__URL".into(), redis_url()),
            (
                "IDENTITY__REDIS__KEY_PREFIX".into(),
                format!("identity:test:{}:", self.name),
            ),
            ("IDENTITY__SERVER__PORT".into(), "0".into()),
            ("IDENTITY__SERVER__WORKERS".into(), "1".into()),
            (
                "IDENTITY_PLATFORM_ENCRYPTION_KEY".into(),
                format!("1:{}", test_key_b64(1)),
            ),
        ]
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let admin = connect(&format!("{}/postgres", admin_base())).await;
                let _ = admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            });
        })
        .join();
    }
}

/// Deterministic test key material for a version.
pub fn test_key(version: u32) -> [u8; 32] {
    [version as u8; 32]
}

pub fn test_key_b64(version: u32) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(test_key(version))
}

pub fn envelope(versions: &[u32]) -> Envelope {
    Envelope::new(Keyring::from_keys(
        versions.iter().map(|v| (*v, test_key(*v))),
    ))
}

/// A tenant with its first admin, through the same code as `identity bootstrap`.
pub async fn tenant(db: &Db, env: &Envelope, slug: &str) -> Bootstrapped {
    let req = BootstrapRequest {
        slug,
        display_name: slug,
        admin_email: &format!("admin@{slug}.example"),
        admin_password: "correct horse battery staple",
    };
    bootstrap::bootstrap(
        db,
        env,
        &PasswordHasher::with_cost(2, 4),
        &req,
        chrono::Utc::now(),
    )
    .await
    .unwrap()
}

/// The service running in-process on a free port.
pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    /// The running instance's state: its memory, change feed and keys, for tests that look
    /// inside an instance.
    pub state: identity::http::state::AppState,
    handle: actix_web::dev::ServerHandle,
}

impl TestApp {
    pub async fn spawn(settings: Settings) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        Self::serve_at(settings, listener, base).await
    }

    /// The service with its issuer and public URL set to its own address, as third-party
    /// clients that run discovery require.
    pub async fn spawn_as_issuer(mut settings: Settings) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        settings.tokens.issuer = base.clone();
        settings.server.public_url = base.clone();
        Self::serve_at(settings, listener, base).await
    }

    /// The service reached by name (`http://localhost:<port>`) as its public URL: a
    /// WebAuthn relying party id must be a domain name, never an address.
    pub async fn spawn_on_localhost(mut settings: Settings) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
        settings.server.public_url = base.clone();
        Self::serve_at(settings, listener, base).await
    }

    /// Serves `settings` on `listener`, reached at `base`.
    async fn serve_at(settings: Settings, listener: TcpListener, base: String) -> Self {
        let state = startup::build_state(settings, envelope(&[1])).unwrap();
        startup::prepare(&state).await;
        let kept = state.clone();
        let server = startup::serve(state, listener).unwrap();
        let handle = server.handle();
        tokio::spawn(server);
        TestApp {
            state: kept,
            base,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            handle,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits until this instance's change feed is connected and caught up.
    pub async fn feed_trusted(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !self.state.db.memory().is_trusted() {
            assert!(
                std::time::Instant::now() < deadline,
                "the change feed never became trusted"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    /// The one way tests call the admin API (or any bearer-authenticated route): `method`
    /// on `path` with `bearer`, and a JSON `body` if any.
    pub async fn send(
        &self,
        bearer: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .request(method, self.url(path))
            .bearer_auth(bearer);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    /// [`TestApp::send`], answered as (status, JSON body or null).
    pub async fn call(
        &self,
        bearer: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let res = self.send(bearer, method, path, body).await;
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// Runs the `identity` binary with `args` and `env`; returns (status, stdout, stderr).
pub fn run_cli(
    env: &[(String, String)],
    args: &[&str],
    stdin: Option<&str>,
) -> (i32, String, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_identity"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Chains every audit entry still waiting in `db` (what the service's chainer does moments
/// after each commit), so a test can read the chain right after an action.
pub async fn settle_audit(db: &Db) {
    identity::audit::chainer::settle_all(db, &envelope(&[1]))
        .await
        .unwrap();
}
