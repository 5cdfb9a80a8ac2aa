//! `identity tenants`: suspend, resume, cancel and purge a workspace, and the purge's
//! report (every path refuses a suspended or cancelled one).

use super::{envelope, print_json, tenant_by_slug};
use clap::Subcommand;
use identity::admin::{purge_proof, tenant_lifecycle, tenant_status};
use identity::audit::Origin;
use identity::authority::OPERATOR;
use identity::config::Settings;
use identity::db::Db;
use identity::startup;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum TenantsCommand {
    /// Refuse the workspace on every path (sign-in, tokens, introspection, admin API, SCIM).
    Suspend {
        #[arg(long)]
        tenant: String,
    },
    /// Let a suspended or cancelled (not yet purged) workspace in again.
    Resume {
        #[arg(long)]
        tenant: String,
    },
    /// Cancel the workspace: refused everywhere, its data kept `retention.cancelled_days`
    /// (or `--keep-days`) and then purged.
    Cancel {
        #[arg(long)]
        tenant: String,
        #[arg(long, value_parser = clap::value_parser!(i32).range(1..=3650))]
        keep_days: Option<i32>,
    },
    /// Remove every row of a cancelled workspace now (`--now`), confirmed by repeating its
    /// slug (`--confirm SLUG`).
    Purge {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        now: bool,
        #[arg(long)]
        confirm: String,
    },
    /// What the purge of a workspace destroyed (JSON): its keys, its rows by table, and the
    /// proof: every value of it still in the database tried with its keys as they are now.
    /// `--backup-url` (a backup restored from before the purge) proves the same of it.
    PurgeReport {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        backup_url: Option<String>,
    },
}

pub async fn run(settings: Settings, db: Db, command: TenantsCommand) -> anyhow::Result<ExitCode> {
    let origin = Origin::default();
    let key = envelope(&settings)?;
    let ctx = super::cli_context(&key, &origin).by(OPERATOR);
    match command {
        TenantsCommand::Suspend { tenant: slug } => {
            let tenant = tenant_by_slug(&db, &slug).await?;
            tenant_status::set(&db, &ctx, tenant, false).await?;
            println!("suspended {slug}");
        }
        TenantsCommand::Resume { tenant: slug } => {
            let tenant = tenant_by_slug(&db, &slug).await?;
            if !tenant_status::set(&db, &ctx, tenant, true).await? {
                anyhow::bail!("{slug} was purged: nothing of it can be resumed");
            }
            println!("resumed {slug}");
        }
        TenantsCommand::Cancel {
            tenant: slug,
            keep_days,
        } => {
            let tenant = tenant_by_slug(&db, &slug).await?;
            tenant_lifecycle::cancel(&db, &ctx, tenant, keep_days).await?;
            let days = keep_days.map_or(settings.retention.cancelled_days as i32, |d| d);
            println!("cancelled {slug}; its data is kept {days} days, then purged");
        }
        TenantsCommand::Purge {
            tenant: slug,
            now,
            confirm,
        } => {
            if !now || confirm != slug {
                anyhow::bail!("a purge by hand needs --now and --confirm {slug}");
            }
            let tenant = tenant_by_slug(&db, &slug).await?;
            let purged = tenant_lifecycle::purge(&db, &ctx, tenant).await?;
            let rows: i64 = purged.tables.iter().map(|t| t.removed).sum();
            println!(
                "purged {slug}: {} key version(s) destroyed, {rows} rows in {} tables",
                purged.keys_destroyed,
                purged.tables.len()
            );
        }
        TenantsCommand::PurgeReport {
            tenant: slug,
            backup_url,
        } => {
            let tenant = tenant_by_slug(&db, &slug).await?;
            let Some((at, by, details)) = tenant_lifecycle::report(&db, tenant).await? else {
                anyhow::bail!("{slug} was not purged");
            };
            let envelope = envelope(&settings)?;
            let keys = db.keks().load(tenant).await?;
            let live = purge_proof::probe(&db, &envelope, tenant).await?;
            let backup = match backup_url {
                Some(url) => {
                    let mut pool = startup::pool_settings(&settings);
                    pool.url = url.into();
                    let restored =
                        Db::connect(&pool)?.with_cipher(std::sync::Arc::new(envelope.clone()));
                    Some(purge_proof::probe(&restored, &envelope, tenant).await?)
                }
                None => None,
            };
            print_json(&serde_json::json!({
                "tenant": slug, "purged_at": at, "purged_by": by,
                "keys": {
                    "destroyed_at_purge": details["keys_destroyed"],
                    "live_now": keys.iter().filter(|k| k.wrapped.is_some()).count(),
                },
                "tables": details["tables"],
                "database": live,
                "backup": backup,
            }))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
