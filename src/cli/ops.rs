//! Operator commands: serve, migrate, bootstrap, audit.

use super::envelope;
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use identity::admin::bootstrap::{self, BootstrapRequest};
use identity::auth::password::PasswordHasher;
use identity::config::Settings;
use identity::crypto::KEYRING_ENV;
use identity::db::Db;
use identity::jwt::key_check::{self, KeyCheckError};
use identity::{audit, startup, telemetry};
use std::io::{BufRead, IsTerminal};
use std::net::TcpListener;
use std::process::ExitCode;

#[derive(Args)]
pub struct BootstrapArgs {
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
    /// With --if-missing: give the existing admin a new generated password (printed once).
    #[arg(long, requires = "if_missing")]
    fresh_password: bool,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain of one tenant or all of them; exit 1 on the first break.
    Verify {
        #[arg(long)]
        tenant: Option<String>,
    },
}

pub async fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    telemetry::init(&settings.log)?;
    let envelope = envelope(&settings)?;
    let addr = format!("{}:{}", settings.server.host, settings.server.port);
    let listener = TcpListener::bind(&addr).with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    let state = startup::build_state(settings, envelope)?;
    refuse_a_foreign_platform_key(&state.settings, &state.db, &state.envelope).await?;
    startup::prepare(&state).await;
    // stderr, so the JSON log stream on stdout stays machine-readable; one write, and a
    // closed stderr (a supervisor that stopped reading) must not stop the service. Passkeys
    // need the public URL's name (a relying party id is never an address).
    let greeting = format!(
        "identity service listening on http://{local}\nopen {} in a browser\n",
        state.settings.server.public_url
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), greeting.as_bytes());
    startup::serve(state, listener)?.await?;
    Ok(ExitCode::SUCCESS)
}

/// Stops with the way out when the stored signing keys were sealed under another platform
/// key; a database that does not answer is left to the key refresher, as before.
pub async fn refuse_a_foreign_platform_key(
    settings: &Settings,
    db: &Db,
    envelope: &identity::crypto::Envelope,
) -> anyhow::Result<()> {
    match key_check::platform_key_opens_signing_keys(db, envelope).await {
        Ok(()) => Ok(()),
        Err(KeyCheckError::Db(e)) => {
            tracing::warn!(error = %e, "could not check the signing keys against the platform key");
            Ok(())
        }
        Err(e @ KeyCheckError::SealedWithAnotherKey { .. }) if settings.development.is_some() => {
            bail!(
            "{e}.\nThe local database holds secrets sealed with a platform key this checkout no \
             longer has (was .local/ deleted?). Either put the old key back in \
             .local/platform-key, or start over with an empty local database: \
             ./deploy/local/reset.sh"
        )
        }
        Err(e) => bail!(
            "{e}.\nThe database holds secrets sealed with a platform key that \
             {KEYRING_ENV} does not contain. Give it the keyring that sealed them (keep old \
             versions listed until `identity encryption rotate` has finished)."
        ),
    }
}

pub async fn migrate(settings: Settings) -> anyhow::Result<ExitCode> {
    let d = &settings.database;
    let applied = identity::db::migrate::run(&d.migrate_url).await?;
    println!("migrations applied: {}", applied.len());
    let keys = identity::db::migrate::run_keys(&d.keys_migrate_url(), &d.migrate_url).await?;
    println!("keys database migrations applied: {}", keys.len());
    Ok(ExitCode::SUCCESS)
}

pub async fn bootstrap(settings: Settings, db: Db, a: BootstrapArgs) -> anyhow::Result<ExitCode> {
    if a.if_missing {
        if let Some(found) = bootstrap::find_existing(&db, &a.tenant, &a.admin_email).await? {
            let password = a.fresh_password.then(identity::crypto::random::token::<18>);
            if let Some(p) = &password {
                let (env, hasher) = (envelope(&settings)?, PasswordHasher::new(1));
                bootstrap::fresh_password(&db, &env, &hasher, &found, p, chrono::Utc::now())
                    .await?;
            }
            print_bootstrap(&found, password.as_deref(), a.json)?;
            return Ok(ExitCode::SUCCESS);
        }
    }
    let (password, generated) = if a.password_stdin {
        (read_password_line()?, false)
    } else {
        (identity::crypto::random::token::<18>(), true)
    };
    let req = BootstrapRequest {
        slug: &a.tenant,
        display_name: a.name.as_deref().unwrap_or(&a.tenant),
        admin_email: &a.admin_email,
        admin_password: &password,
    };
    let done = bootstrap::bootstrap(
        &db,
        &envelope(&settings)?,
        &PasswordHasher::new(1),
        &req,
        chrono::Utc::now(),
    )
    .await?;
    print_bootstrap(&done, generated.then_some(password.as_str()), a.json)?;
    Ok(ExitCode::SUCCESS)
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

pub async fn audit(settings: Settings, db: Db, command: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify { tenant } = command;
    let reports = audit::verify::verify(&db, &envelope(&settings)?, tenant.as_deref()).await?;
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
