//! Command-line interface: argument types and dispatch.

mod api_keys;
mod clients;
mod domains;
mod keys;
mod ops;
mod tenants;

use clap::{Parser, Subcommand};
use identity::config::Settings;
use identity::crypto::{Envelope, Keyring};
use identity::db::models::tenants as tenant_model;
use identity::db::Db;
use identity::ids::TenantId;
use identity::startup;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "identity",
    version,
    about = "Identity service of the CRM platform"
)]
pub struct Cli {
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
    Bootstrap(ops::BootstrapArgs),
    /// Token signing keys.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// OAuth clients (platform and tenant).
    Clients {
        #[command(subcommand)]
        command: clients::ClientsCommand,
    },
    /// Email domains that route sign-in to a workspace.
    Domains {
        #[command(subcommand)]
        command: domains::DomainsCommand,
    },
    /// Suspend or resume a workspace.
    Tenants {
        #[command(subcommand)]
        command: tenants::TenantsCommand,
    },
    /// Workspace API keys.
    ApiKeys {
        #[command(subcommand)]
        command: api_keys::ApiKeysCommand,
    },
    /// Platform encryption key tools.
    Encryption {
        #[command(subcommand)]
        command: ops::EncryptionCommand,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: ops::AuditCommand,
    },
}

pub fn envelope() -> anyhow::Result<Envelope> {
    Ok(Envelope::new(Keyring::from_env()?))
}

pub fn db(settings: &Settings) -> anyhow::Result<Db> {
    Db::connect(&startup::pool_settings(settings))
}

pub async fn tenant_by_slug(db: &Db, slug: &str) -> anyhow::Result<TenantId> {
    let mut tx = db.platform().await?;
    let tenant = tenant_model::find_by_slug(&mut tx, slug).await?;
    tx.commit().await?;
    tenant
        .map(|t| t.id)
        .ok_or_else(|| anyhow::anyhow!("no tenant with slug {slug}"))
}

pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Encryption {
        command: ops::EncryptionCommand::GenerateKey { version },
    } = cli.command
    {
        println!("{}", Keyring::generate_entry(version));
        return Ok(ExitCode::SUCCESS);
    }
    let settings = Settings::load(&cli.config)?;
    // Builds the pool only; nothing connects until a command asks.
    let db = db(&settings)?;
    let code = match cli.command {
        Command::Serve => return ops::serve(settings).await,
        Command::Migrate => return ops::migrate(settings).await,
        Command::Bootstrap(args) => ops::bootstrap(db.clone(), args).await,
        Command::Keys { command } => keys::run(settings, db.clone(), command).await,
        Command::Clients { command } => clients::run(settings, db.clone(), command).await,
        Command::Domains { command } => domains::run(db.clone(), command).await,
        Command::Tenants { command } => tenants::run(db.clone(), command).await,
        Command::ApiKeys { command } => api_keys::run(settings, db.clone(), command).await,
        Command::Encryption { command } => ops::encryption(db.clone(), command).await,
        Command::Audit { command } => ops::audit(db.clone(), command).await,
    };
    // No chainer runs in a CLI process: chain what this command audited before exiting, so
    // the entries are in the chain (and an export or verify sees them) when it returns.
    // A failure here leaves the entries waiting for a running service's chainer; it does not
    // change what the command itself did.
    let marked = db.audit_queue().take();
    if !marked.is_empty() {
        match envelope() {
            Ok(envelope) => {
                for tenant in marked {
                    if let Err(e) = identity::audit::chainer::settle(&db, &envelope, tenant).await {
                        eprintln!(
                            "warning: audit entries left waiting for the service's chainer: {e}"
                        );
                    }
                }
            }
            Err(e) => {
                eprintln!("warning: audit entries left waiting for the service's chainer: {e}")
            }
        }
    }
    code
}
