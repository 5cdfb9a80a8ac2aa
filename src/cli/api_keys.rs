//! `identity api-keys`: workspace API keys for operators and scripts.

use super::{envelope, print_json, tenant_by_slug};
use chrono::{Duration, Utc};
use clap::Subcommand;
use identity::apikeys::service;
use identity::audit::Origin;
use identity::config::Settings;
use identity::db::Db;
use serde_json::json;
use std::process::ExitCode;
use uuid::Uuid;

#[derive(Subcommand)]
pub enum ApiKeysCommand {
    /// Create a key with a role of the workspace; prints the key once.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "cli")]
        name: String,
        #[arg(long)]
        expires_in_days: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    Rotate {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        id: Uuid,
        #[arg(long)]
        overlap_secs: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    Revoke {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        id: Uuid,
    },
}

pub async fn run(settings: Settings, db: Db, command: ApiKeysCommand) -> anyhow::Result<ExitCode> {
    let envelope = envelope(&settings)?;
    let now = Utc::now();
    let origin = Origin::default();
    let ctx = super::cli_context(&envelope, &origin);
    match command {
        ApiKeysCommand::Create {
            tenant,
            role,
            name,
            expires_in_days,
            json,
        } => {
            let mut tx = db
                .tenant_any_status(tenant_by_slug(&db, &tenant).await?)
                .await?;
            let expires = expires_in_days.map(|d| now + Duration::days(d));
            let (view, key) = service::create(&mut tx, &ctx, &name, &role, expires).await?;
            tx.commit().await?;
            if json {
                print_json(&json!({"id": view.id, "key": key, "api_key": view}))?;
            } else {
                println!("id: {}", view.id);
                println!("key (shown once): {key}");
            }
        }
        ApiKeysCommand::List { tenant, json } => {
            let mut tx = db
                .tenant_any_status(tenant_by_slug(&db, &tenant).await?)
                .await?;
            let keys = service::list(&mut tx, &envelope, now).await?;
            tx.commit().await?;
            if json {
                print_json(&keys)?;
            } else {
                for k in keys {
                    let due = if k.rotation_due { " ROTATION DUE" } else { "" };
                    println!("{} {} role={} …{}{due}", k.id, k.name, k.role, k.last4);
                }
            }
        }
        ApiKeysCommand::Rotate {
            tenant,
            id,
            overlap_secs,
            json,
        } => {
            let mut tx = db
                .tenant_any_status(tenant_by_slug(&db, &tenant).await?)
                .await?;
            let overlap = Duration::seconds(
                overlap_secs
                    .unwrap_or(settings.tokens.rotation_overlap_secs)
                    .max(0),
            );
            let key = service::rotate(&mut tx, &ctx, id, overlap).await?;
            tx.commit().await?;
            if json {
                print_json(&json!({"id": id, "key": key}))?;
            } else {
                println!("key (shown once): {key}");
            }
        }
        ApiKeysCommand::Revoke { tenant, id } => {
            let mut tx = db
                .tenant_any_status(tenant_by_slug(&db, &tenant).await?)
                .await?;
            service::revoke(&mut tx, &ctx, id).await?;
            tx.commit().await?;
            println!("revoked {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
