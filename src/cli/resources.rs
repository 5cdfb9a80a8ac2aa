//! `identity resources`: the platform's resource servers, the only audiences a workspace's
//! application may hold.

use super::{envelope, print_json};
use chrono::Utc;
use clap::Subcommand;
use identity::audit::{Context, Origin};
use identity::config::Settings;
use identity::db::Db;
use identity::oidc::resources;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ResourcesCommand {
    /// Register a resource server (a CRM API) by the audience its tokens carry.
    Add {
        #[arg(long)]
        audience: String,
        /// What people see on the consent screen; the audience when left out.
        #[arg(long)]
        name: Option<String>,
    },
    List {
        #[arg(long)]
        json: bool,
    },
    /// Applications that still hold it are refused tokens from their next request on.
    Remove {
        #[arg(long)]
        audience: String,
    },
}

pub async fn run(
    settings: Settings,
    db: Db,
    command: ResourcesCommand,
) -> anyhow::Result<ExitCode> {
    let origin = Origin::default();
    let ctx = |envelope| Context {
        envelope,
        actor: identity::authority::OPERATOR,
        origin: &origin,
        now: Utc::now(),
    };
    match command {
        ResourcesCommand::Add { audience, name } => {
            let name = name.unwrap_or_else(|| audience.clone());
            let key = envelope(&settings)?;
            resources::add(&db, &settings.tokens, &audience, &name, &ctx(&key)).await?;
            println!("added {audience}");
        }
        ResourcesCommand::List { json } => {
            let all = resources::list(&db).await?;
            if json {
                print_json(&all)?;
            } else {
                all.iter()
                    .for_each(|r| println!("{} {}", r.audience, r.name));
            }
        }
        ResourcesCommand::Remove { audience } => {
            let key = envelope(&settings)?;
            resources::remove(&db, &audience, &ctx(&key)).await?;
            println!("removed {audience}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
