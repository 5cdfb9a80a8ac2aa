//! `identity tenants`: suspend and resume a workspace (every path refuses a suspended one).

use super::{envelope, tenant_by_slug};
use clap::Subcommand;
use identity::admin::tenant_status;
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
    /// Let a suspended workspace in again.
    Resume {
        #[arg(long)]
        tenant: String,
    },
}

pub async fn run(settings: Settings, db: Db, command: TenantsCommand) -> anyhow::Result<ExitCode> {
    let (slug, active) = match &command {
        TenantsCommand::Suspend { tenant } => (tenant, false),
        TenantsCommand::Resume { tenant } => (tenant, true),
    };
    let tenant = tenant_by_slug(&db, slug).await?;
    let origin = Origin::default();
    let key = envelope(&settings)?;
    let ctx = super::cli_context(&key, &origin).by(OPERATOR);
    tenant_status::set(&db, &ctx, tenant, active).await?;
    println!("{} {slug}", if active { "resumed" } else { "suspended" });
    Ok(ExitCode::SUCCESS)
}
