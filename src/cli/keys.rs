//! `identity keys`: signing key rotation, listing and revocation.

use super::{envelope, print_json};
use chrono::{Duration, Utc};
use clap::Subcommand;
use identity::config::Settings;
use identity::db::Db;
use identity::jwt::{rotation, Alg};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Publish a new key now; it signs after the publish-ahead time, when the current one retires.
    Rotate {
        /// EdDSA, ES256, RS256, or all.
        #[arg(long, default_value = "all")]
        alg: String,
        /// Overrides tokens.key_publish_ahead_secs.
        #[arg(long)]
        publish_ahead_secs: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Every key with its state.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Exit 1, saying what to do, when the platform key does not open the stored keys.
    Check,
    /// Withdraw a key at once (compromise); its tokens stop validating.
    Revoke {
        #[arg(long)]
        kid: String,
    },
}

pub async fn run(settings: Settings, db: Db, command: KeysCommand) -> anyhow::Result<ExitCode> {
    let envelope = envelope(&settings)?;
    let t = &settings.tokens;
    let retention = Duration::seconds(t.max_token_ttl_secs + t.leeway_secs as i64);
    match command {
        KeysCommand::Check => {
            super::ops::refuse_a_foreign_platform_key(&settings, &db, &envelope).await?;
            let mut tx = db.platform().await?;
            identity::db::models::signing_keys::list_all(&mut tx).await?;
            tx.commit().await?;
            println!("the platform key opens the stored signing keys");
        }
        KeysCommand::Rotate {
            alg,
            publish_ahead_secs,
            json,
        } => {
            let algs: Vec<Alg> = if alg == "all" {
                Alg::ALL.to_vec()
            } else {
                vec![alg
                    .parse()
                    .map_err(|_| anyhow::anyhow!("--alg must be EdDSA, ES256, RS256 or all"))?]
            };
            let ahead = Duration::seconds(
                publish_ahead_secs
                    .unwrap_or(t.key_publish_ahead_secs)
                    .max(0),
            );
            let mut out = Vec::new();
            for alg in algs {
                out.push(rotation::rotate(&db, &envelope, alg, ahead, "cli", Utc::now()).await?);
            }
            if json {
                print_json(&out)?;
            } else {
                for k in out {
                    println!(
                        "{} {}: published now, signs from {}",
                        k.alg,
                        k.kid,
                        k.activates_at.to_rfc3339()
                    );
                }
            }
        }
        KeysCommand::List { json } => {
            let keys = rotation::list(&db, &envelope, retention, Utc::now()).await?;
            if json {
                print_json(&keys)?;
            } else {
                for k in keys {
                    println!(
                        "{:<6} {:<24} {:?} activates {}",
                        k.alg,
                        k.kid,
                        k.state,
                        k.activates_at.to_rfc3339()
                    );
                }
            }
        }
        KeysCommand::Revoke { kid } => {
            rotation::revoke(&db, &envelope, &kid, "cli", Utc::now()).await?;
            println!("revoked {kid}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
