//! The `identity` command: serve, migrate, bootstrap, encryption and audit tools.

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use identity::admin::bootstrap::{self, BootstrapRequest};
use identity::auth::password::PasswordHasher;
use identity::config::Settings;
use identity::crypto::{rotation, Envelope, Keyring};
use identity::db::Db;
use identity::{audit, db, startup, telemetry};
use std::io::{BufRead, IsTerminal};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "identity",
    version,
    about = "Identity service of the CRM platform"
)]
struct Cli {
    /// Settings file; `IDENTITY__SECTION__KEY` variables override its values.
    #[arg(
        long,
        env = "IDENTITY_CONFIG",
        default_value = "deploy/config/local.yaml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service in the foreground.
    Serve,
    /// Apply pending database migrations (uses database.migrate_url).
    Migrate,
    /// Create a tenant and its first admin.
    Bootstrap {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        admin_email: String,
        /// Display name of the workspace (defaults to the slug).
        #[arg(long)]
        name: Option<String>,
        /// Read the admin password from the first line of standard input instead of
        /// generating one.
        #[arg(long)]
        password_stdin: bool,
        /// Succeed without changes when the tenant exists already.
        #[arg(long)]
        if_missing: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Platform encryption key tools.
    Encryption {
        #[command(subcommand)]
        command: EncryptionCommand,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum EncryptionCommand {
    /// Re-wrap every stored data key under the newest platform key version.
    Rotate {
        #[arg(long, default_value_t = 500)]
        batch_size: i64,
    },
    /// How many ciphertexts each platform key version protects.
    Status,
    /// Print a new key entry for IDENTITY_PLATFORM_ENCRYPTION_KEY.
    GenerateKey {
        #[arg(long)]
        version: u32,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain of one tenant or all of them; exit 1 on the first break.
    Verify {
        #[arg(long)]
        tenant: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn envelope() -> anyhow::Result<Envelope> {
    Ok(Envelope::new(Keyring::from_env()?))
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Encryption {
        command: EncryptionCommand::GenerateKey { version },
    } = cli.command
    {
        println!("{}", Keyring::generate_entry(version));
        return Ok(ExitCode::SUCCESS);
    }
    let settings = Settings::load(&cli.config)?;
    match cli.command {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            let applied = db::migrate::run(&settings.database.migrate_url).await?;
            println!("migrations applied: {}", applied.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Bootstrap {
            tenant,
            admin_email,
            name,
            password_stdin,
            if_missing,
            json,
        } => {
            let db = Db::connect(&startup::pool_settings(&settings))?;
            if if_missing {
                if let Some(found) = bootstrap::find_existing(&db, &tenant, &admin_email).await? {
                    print_bootstrap(&found, None, json)?;
                    return Ok(ExitCode::SUCCESS);
                }
            }
            let (password, generated) = if password_stdin {
                (read_password_line()?, false)
            } else {
                (identity::crypto::random::token::<18>(), true)
            };
            let req = BootstrapRequest {
                slug: &tenant,
                display_name: name.as_deref().unwrap_or(&tenant),
                admin_email: &admin_email,
                admin_password: &password,
            };
            let done = bootstrap::bootstrap(
                &db,
                &envelope()?,
                &PasswordHasher::new(1),
                &req,
                chrono::Utc::now(),
            )
            .await?;
            print_bootstrap(&done, generated.then_some(password.as_str()), json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Encryption { command } => encryption(settings, command).await,
        Command::Audit {
            command: AuditCommand::Verify { tenant },
        } => {
            let db = Db::connect(&startup::pool_settings(&settings))?;
            let reports = match audit::verify::verify(&db, tenant.as_deref()).await {
                Err(identity::db::DbError::NotFound) => bail!("no such tenant"),
                other => other?,
            };
            let mut broken = false;
            for r in reports {
                match r.first_break {
                    None => println!("{}: ok ({} entries)", r.tenant_slug, r.checked),
                    Some(b) => {
                        broken = true;
                        println!("{}: BROKEN at entry {}: {b}", r.tenant_slug, b.seq());
                    }
                }
            }
            Ok(if broken {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

fn read_password_line() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        eprint!("admin password: ");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

fn print_bootstrap(
    b: &bootstrap::Bootstrapped,
    generated: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        let mut v = serde_json::to_value(b)?;
        if let (Some(p), Some(obj)) = (generated, v.as_object_mut()) {
            obj.insert("admin_password".into(), p.into());
        }
        println!("{v}");
    } else {
        let verb = if b.created { "created" } else { "exists" };
        println!("tenant {} {verb} (id {})", b.tenant_slug, b.tenant_id);
        println!("admin user id {}", b.admin_user_id);
        if let Some(p) = generated {
            println!("admin password (shown once): {p}");
        }
    }
    Ok(())
}

async fn encryption(settings: Settings, command: EncryptionCommand) -> anyhow::Result<ExitCode> {
    let db = Db::connect(&startup::pool_settings(&settings))?;
    let envelope = envelope()?;
    match command {
        EncryptionCommand::Status => {
            let counts = rotation::status(&db).await?;
            let known: Vec<String> = envelope
                .keyring()
                .versions()
                .map(|v| v.to_string())
                .collect();
            let current = envelope.keyring().current_version().to_string();
            if counts.is_empty() {
                println!("no ciphertexts stored");
            }
            for (version, n) in &counts {
                let note = if *version == current {
                    "current"
                } else if known.contains(version) {
                    "old, still in keyring"
                } else {
                    "MISSING from keyring"
                };
                println!("version {version}: {n} ciphertexts ({note})");
            }
            Ok(ExitCode::SUCCESS)
        }
        EncryptionCommand::Rotate { batch_size } => {
            if batch_size < 1 {
                bail!("--batch-size must be at least 1");
            }
            let done = rotation::rotate(&db, &envelope, batch_size, |done, total| {
                println!("re-wrapped {done}/{total}");
            })
            .await?;
            println!(
                "rotation complete: {done} re-wrapped, all under version {}",
                envelope.keyring().current_version()
            );
            Ok(ExitCode::SUCCESS)
        }
        EncryptionCommand::GenerateKey { .. } => Ok(ExitCode::SUCCESS),
    }
}

async fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    telemetry::init(&settings.log)?;
    let envelope = envelope()?;
    let addr = format!("{}:{}", settings.server.host, settings.server.port);
    let listener = TcpListener::bind(&addr).with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    let state = startup::build_state(settings, envelope)?;
    // stderr, so the JSON log stream on stdout stays machine-readable.
    eprintln!("identity service listening on http://{local}");
    startup::serve(state, listener)?.await?;
    Ok(ExitCode::SUCCESS)
}
