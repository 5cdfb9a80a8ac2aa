//! TLS to PostgreSQL and Redis: a PostgreSQL and a Redis of the test's own, on loopback,
//! serving certificates of a CA the test makes. The service migrates, serves and keeps its
//! change feed over `verify-full`/`rediss://`, and refuses a server it cannot verify (an
//! unknown CA, a certificate for another name), which is what keeps an on-path attacker
//! from feeding it stale memory.

use crate::harness::TestApp;
use identity::config::Settings;
use identity::db::target::PgTarget;
use identity::db::{Db, PoolSettings};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs a command that must succeed, naming it and its error output when it does not.
pub fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A CA, a server certificate for 127.0.0.1 from it, one for another name from it, and a
/// rogue CA nobody trusts.
struct Certs {
    dir: PathBuf,
}

impl Certs {
    fn make(dir: &Path) -> Self {
        let at = |name: &str| dir.join(name);
        for ca in ["ca", "rogue"] {
            run(Command::new("openssl")
                .args([
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                ])
                .args(["-nodes", "-days", "2", "-subj", &format!("/CN={ca}")])
                .args(["-addext", "basicConstraints=critical,CA:TRUE"])
                .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
                .arg("-keyout")
                .arg(at(&format!("{ca}.key")))
                .arg("-out")
                .arg(at(&format!("{ca}.pem"))));
        }
        for (name, san) in [
            ("server", "IP:127.0.0.1,DNS:localhost"),
            ("elsewhere", "DNS:db.elsewhere.example"),
        ] {
            let ext = at(&format!("{name}.ext"));
            std::fs::write(
                &ext,
                format!("subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"),
            )
            .unwrap();
            run(Command::new("openssl")
                .args([
                    "req",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-nodes",
                ])
                .args(["-subj", &format!("/CN={name}")])
                .arg("-keyout")
                .arg(at(&format!("{name}.key")))
                .arg("-out")
                .arg(at(&format!("{name}.csr"))));
            run(Command::new("openssl")
                .args(["x509", "-req", "-days", "2", "-CAcreateserial"])
                .arg("-in")
                .arg(at(&format!("{name}.csr")))
                .arg("-CA")
                .arg(at("ca.pem"))
                .arg("-CAkey")
                .arg(at("ca.key"))
                .arg("-extfile")
                .arg(&ext)
                .arg("-out")
                .arg(at(&format!("{name}.pem"))));
        }
        Certs { dir: dir.into() }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

fn pg_bin(tool: &str) -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's server binaries (Debian's postgresql package) are needed")
        .map(|e| e.unwrap().path().join("bin").join(tool))
        .filter(|p| p.exists())
        .collect();
    versions.sort();
    versions.pop().expect("no initdb under /usr/lib/postgresql")
}

/// Runs a PostgreSQL tool as the `postgres` account when this is root (initdb refuses root).
fn as_postgres(tool: &str) -> Command {
    if rustix::process::getuid().is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(pg_bin(tool));
        cmd
    } else {
        Command::new(pg_bin(tool))
    }
}

/// A PostgreSQL cluster that takes TLS connections only (`hostssl` alone in pg_hba.conf).
struct TlsPostgres {
    data: PathBuf,
    port: u16,
}

impl TlsPostgres {
    fn start(dir: &Path, certs: &Certs) -> Self {
        let data = dir.join("pgdata");
        let port = free_port();
        std::fs::create_dir_all(&data).unwrap();
        if rustix::process::getuid().is_root() {
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres:postgres")
                .arg(dir));
        }
        run(as_postgres("initdb")
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(&data));
        let pg = TlsPostgres { data, port };
        pg.serve(certs, "server");
        std::fs::write(
            pg.data.join("pg_hba.conf"),
            "hostssl all all 127.0.0.1/32 trust\n",
        )
        .unwrap();
        run(as_postgres("pg_ctl")
            .args(["-w", "-l"])
            .arg(dir.join("pg.log"))
            .arg("-D")
            .arg(&pg.data)
            .arg("start"));
        pg
    }

    /// Serves the certificate `name` (copied so the server's account owns the key).
    fn serve(&self, certs: &Certs, name: &str) {
        for ext in ["pem", "key"] {
            let to = self.data.join(format!("tls.{ext}"));
            std::fs::copy(certs.path(&format!("{name}.{ext}")), &to).unwrap();
            if rustix::process::getuid().is_root() {
                run(Command::new("chown").arg("postgres:postgres").arg(&to));
            }
            run(Command::new("chmod").arg("600").arg(&to));
        }
        let conf = format!(
            "port = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             ssl = on\nssl_cert_file = 'tls.pem'\nssl_key_file = 'tls.key'\nfsync = off\n",
            self.port,
            self.data.display()
        );
        std::fs::write(self.data.join("postgresql.auto.conf"), conf).unwrap();
    }

    fn reload(&self) {
        run(as_postgres("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .arg("reload"));
    }

    fn url(&self, user: &str, tls: &str) -> String {
        format!("postgres://{user}@127.0.0.1:{}/postgres?{tls}", self.port)
    }
}

impl Drop for TlsPostgres {
    fn drop(&mut self) {
        let _ = as_postgres("pg_ctl")
            .args(["-m", "immediate", "-D"])
            .arg(&self.data)
            .arg("stop")
            .output();
    }
}

/// A Redis that speaks TLS only.
struct TlsRedis {
    child: Child,
    port: u16,
}

impl TlsRedis {
    fn start(certs: &Certs, name: &str) -> Self {
        let port = free_port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(["--tls-port", &port.to_string(), "--tls-auth-clients", "no"])
            .args(["--tls-cert-file", &certs.path(&format!("{name}.pem"))])
            .args(["--tls-key-file", &certs.path(&format!("{name}.key"))])
            .args(["--tls-ca-cert-file", &certs.path("ca.pem")])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the TLS Redis never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        TlsRedis { child, port }
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The local settings pointed at the TLS servers.
fn settings(database_url: String, redis_url: String, redis_ca: String) -> Settings {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/config/local.yaml"
    ))
    .unwrap();
    let env = [
        ("IDENTITY__DATABASE__URL", database_url.clone()),
        ("IDENTITY__DATABASE__MIGRATE_URL", database_url),
        ("IDENTITY__REDIS__URL", redis_url),
        ("IDENTITY__REDIS__CA_FILE", redis_ca),
        ("IDENTITY__SERVER__PORT", "0".into()),
        ("IDENTITY__SERVER__WORKERS", "1".into()),
    ];
    Settings::from_yaml_and_env(&yaml, env.map(|(k, v)| (k.to_string(), v))).unwrap()
}

async fn spawn(settings: Settings) -> TestApp {
    TestApp::spawn(settings).await
}

async fn readiness(app: &TestApp) -> (u16, serde_json::Value) {
    let response = app.get("/readyz").await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn pings(url: &str) -> Result<(), String> {
    let db = Db::connect(&PoolSettings {
        url: url.to_string().into(),
        keys_url: url.to_string().into(),
        max_size: 1,
        acquire_timeout: Duration::from_secs(5),
    })
    .map_err(|e| e.to_string())?;
    db.ping().await.map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_talks_to_its_datastores_over_verified_tls_and_refuses_impostors() {
    let dir = tempfile::tempdir().unwrap();
    run(Command::new("chmod").arg("755").arg(dir.path()));
    let certs = Certs::make(dir.path());
    let pg = TlsPostgres::start(&dir.path().join("pg"), &certs);
    let redis = TlsRedis::start(&certs, "server");
    let rogue_redis = TlsRedis::start(&certs, "elsewhere");
    let verified = format!("sslmode=verify-full&sslrootcert={}", certs.path("ca.pem"));
    let rogue = format!(
        "sslmode=verify-full&sslrootcert={}",
        certs.path("rogue.pem")
    );

    // The server takes nothing in clear, so whatever works below went over TLS.
    let plain = pings(&pg.url("postgres", "sslmode=disable")).await;
    assert!(plain.is_err(), "the test server must refuse plain text");

    // Migrations, the pool, the change feed and the limiter, all over verified TLS.
    let owner = pg.url("postgres", &verified);
    identity::db::migrate::run(&owner.clone().into())
        .await
        .unwrap();
    // The keys database beside it (made by the migration), over the same verified TLS.
    let keys_owner = identity::config::keys_database_of(&owner.clone().into());
    identity::db::migrate::run_keys(&keys_owner, &owner.clone().into())
        .await
        .unwrap();
    let redis_url = format!("rediss://127.0.0.1:{}", redis.port);
    let app = spawn(settings(
        pg.url("identity_app", &verified),
        redis_url.clone(),
        certs.path("ca.pem"),
    ))
    .await;
    let (status, body) = readiness(&app).await;
    assert_eq!(status, 200, "{body}");
    app.feed_trusted().await;
    app.stop().await;

    // Certificates from a CA the service was not told to trust: neither store is used.
    let app = spawn(settings(
        pg.url("identity_app", &rogue),
        redis_url,
        certs.path("rogue.pem"),
    ))
    .await;
    let (status, body) = readiness(&app).await;
    assert_eq!(status, 503);
    assert_eq!(body["checks"]["database"], "unavailable", "{body}");
    assert_eq!(body["checks"]["redis"], "unavailable", "{body}");
    assert!(!app.state.db.memory().is_trusted());
    app.stop().await;

    // The right CA, but a certificate for another name: refused too.
    let app = spawn(settings(
        pg.url("identity_app", &verified),
        format!("rediss://127.0.0.1:{}", rogue_redis.port),
        certs.path("ca.pem"),
    ))
    .await;
    let (status, body) = readiness(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["checks"]["database"], "ok", "{body}");
    assert_eq!(body["checks"]["redis"], "unavailable", "{body}");
    app.stop().await;

    pg.serve(&certs, "elsewhere");
    pg.reload();
    let deadline = Instant::now() + Duration::from_secs(10);
    while pings(&owner).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "verify-full kept connecting to a server named db.elsewhere.example"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // `require` encrypts but believes any certificate: that is why production says verify-full.
    pings(&pg.url("postgres", "sslmode=require")).await.unwrap();
    assert!(PgTarget::parse(&pg.url("postgres", "sslmode=prefer")).is_err());
}
