//! Command-line interface: argument types and dispatch.

mod api_keys;
mod clients;
mod domains;
mod encryption;
mod keys;
mod ops;
mod resources;
mod tenants;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use identity::config::is_loopback_url;
use identity::config::Settings;
use identity::crypto::keyring::{KeyringError, KEYRING_ENV};
use identity::crypto::{Envelope, Keyring};
use identity::db::models::tenants as tenant_model;
use identity::db::Db;
use identity::ids::TenantId;
use identity::startup;
use std::path::PathBuf;
use std::process::ExitCode;
use zeroize::Zeroizing;

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
    /// The platform's resource servers (audiences workspace applications may hold).
    Resources {
        #[command(subcommand)]
        command: resources::ResourcesCommand,
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
    /// Encryption keys: the platform's and each workspace's.
    Encryption {
        #[command(subcommand)]
        command: encryption::EncryptionCommand,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: ops::AuditCommand,
    },
}

/// The audit circumstances of an operator's command: actor `cli`, no request, now.
pub fn cli_context<'a>(
    envelope: &'a Envelope,
    origin: &'a identity::audit::Origin,
) -> identity::audit::Context<'a> {
    identity::audit::Context {
        envelope,
        actor: "cli",
        origin,
        now: chrono::Utc::now(),
    }
}

/// The platform keyring: `IDENTITY_PLATFORM_ENCRYPTION_KEY`, or in a local checkout the
/// file `development.platform_key_file` names (refused unless the service is on loopback).
pub fn envelope(settings: &Settings) -> anyhow::Result<Envelope> {
    match Keyring::from_env() {
        Err(KeyringError::Missing) => {}
        found => return Ok(Envelope::new(found?)),
    }
    let dev = settings.development.as_ref();
    let Some(file) = dev.and_then(|d| d.platform_key_file.as_ref()) else {
        bail!(
            "{KEYRING_ENV} is not set: give it the platform key (see README); \
             in a local checkout, ./deploy/local/run.sh keeps one in .local/platform-key"
        );
    };
    if !is_loopback_url(&settings.server.public_url) {
        bail!(
            "development.platform_key_file is for a local checkout only, and \
             server.public_url is not a loopback address: set {KEYRING_ENV} instead"
        );
    }
    let raw = Zeroizing::new(std::fs::read_to_string(file).with_context(|| {
        format!(
            "{KEYRING_ENV} is not set and the development key file {} cannot be read; \
             ./deploy/local/run.sh makes one",
            file.display()
        )
    })?);
    Keyring::parse(raw.trim())
        .with_context(|| format!("reading {}", file.display()))
        .map(Envelope::new)
}

/// The database, able to read personal data when the platform key is at hand (commands
/// that never touch a person work without it).
pub fn db(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&startup::pool_settings(settings))?;
    Ok(match envelope(settings) {
        Ok(envelope) => db.with_cipher(std::sync::Arc::new(envelope)),
        Err(_) => db,
    })
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
        command: encryption::EncryptionCommand::GenerateKey { version },
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
        Command::Bootstrap(args) => ops::bootstrap(settings.clone(), db.clone(), args).await,
        Command::Keys { command } => keys::run(settings.clone(), db.clone(), command).await,
        Command::Clients { command } => clients::run(settings.clone(), db.clone(), command).await,
        Command::Resources { command } => {
            resources::run(settings.clone(), db.clone(), command).await
        }
        Command::Domains { command } => domains::run(settings.clone(), db.clone(), command).await,
        Command::Tenants { command } => tenants::run(settings.clone(), db.clone(), command).await,
        Command::ApiKeys { command } => api_keys::run(settings.clone(), db.clone(), command).await,
        Command::Encryption { command } => {
            encryption::run(settings.clone(), db.clone(), command).await
        }
        Command::Audit { command } => ops::audit(settings.clone(), db.clone(), command).await,
    };
    // No chainer runs in a CLI process: chain what this command audited before exiting, so
    // the entries are in the chain (and an export or verify sees them) when it returns.
    // A failure here leaves the entries waiting for a running service's chainer; it does not
    // change what the command itself did.
    let marked = db.audit_queue().take();
    if !marked.is_empty() {
        match envelope(&settings) {
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
