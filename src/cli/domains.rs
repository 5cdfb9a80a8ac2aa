//! `identity domains`: email domains a workspace claims (sign-in finds the workspace from
//! the email's domain). Run by the platform operator once the workspace has shown it owns
//! the domain.

use super::{cli_context, envelope, print_json, tenant_by_slug};
use clap::Subcommand;
use identity::audit::Origin;
use identity::auth::domains;
use identity::config::Settings;
use identity::db::Db;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum DomainsCommand {
    /// Route sign-ins with this email domain to the workspace.
    Claim {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        domain: String,
    },
    /// Stop routing the domain to the workspace.
    Release {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        domain: String,
    },
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(settings: Settings, db: Db, command: DomainsCommand) -> anyhow::Result<ExitCode> {
    let origin = Origin::default();
    match command {
        DomainsCommand::Claim { tenant, domain } => {
            let tenant = tenant_by_slug(&db, &tenant).await?;
            let d = domains::claim(
                &db,
                &cli_context(&envelope(&settings)?, &origin),
                tenant,
                &domain,
            )
            .await?;
            println!("claimed {d}");
        }
        DomainsCommand::Release { tenant, domain } => {
            let tenant = tenant_by_slug(&db, &tenant).await?;
            domains::release(
                &db,
                &cli_context(&envelope(&settings)?, &origin),
                tenant,
                &domain,
            )
            .await?;
            println!("released {domain}");
        }
        DomainsCommand::List { tenant, json } => {
            let tenant = tenant_by_slug(&db, &tenant).await?;
            let all = domains::list(&db, tenant).await?;
            if json {
                print_json(&all)?;
            } else {
                all.iter().for_each(|d| println!("{d}"));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
