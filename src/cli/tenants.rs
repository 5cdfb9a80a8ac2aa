//! `identity tenants`: suspend, resume, cancel and purge a workspace, and the purge's
//! report (every path refuses a suspended or cancelled one).

use super::{envelope, print_json, tenant_by_slug};
use clap::Subcommand;
use identity::admin::{tenant_lifecycle, tenant_status};
use identity::audit::Origin;
use identity::authority::OPERATOR;
use identity::config::Settings;
use identity::db::Db;
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
    /// What the purge of a workspace removed, by table (JSON).
    PurgeReport {
        #[arg(long)]
        tenant: String,
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
            let removed = tenant_lifecycle::purge(&db, &ctx, tenant).await?;
            let rows: i64 = removed.iter().map(|t| t.removed).sum();
            println!("purged {slug}: {rows} rows in {} tables", removed.len());
        }
        TenantsCommand::PurgeReport { tenant: slug } => {
            let tenant = tenant_by_slug(&db, &slug).await?;
            let Some((at, by, details)) = tenant_lifecycle::report(&db, tenant).await? else {
                anyhow::bail!("{slug} was not purged");
            };
            print_json(&serde_json::json!({
                "tenant": slug, "purged_at": at, "purged_by": by, "tables": details["tables"],
            }))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
