//! `identity encryption`: what each key protects, and rotation at both levels (the platform
//! key, one workspace's key).

use super::{envelope, print_json, tenant_by_slug};
use anyhow::bail;
use clap::Subcommand;
use identity::admin::encryption_rotation as rotation;
use identity::config::Settings;
use identity::db::Db;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum EncryptionCommand {
    /// Platform level: re-wrap every workspace key and platform secret under the newest
    /// platform key version, and move any value still sealed under a platform key to its
    /// workspace's key. With --tenant: a new key version for that workspace, and every
    /// value of it sealed again under it.
    Rotate {
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long, default_value_t = 500)]
        batch_size: i64,
    },
    /// How many values each key protects, and which platform key wraps each workspace key.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Print a new key entry for IDENTITY_PLATFORM_ENCRYPTION_KEY.
    GenerateKey {
        #[arg(long)]
        version: u32,
    },
}

pub async fn run(
    settings: Settings,
    db: Db,
    command: EncryptionCommand,
) -> anyhow::Result<ExitCode> {
    let envelope = envelope(&settings)?;
    match command {
        EncryptionCommand::Status { json } => {
            let status = rotation::status(&db).await?;
            if json {
                print_json(&status)?;
                return Ok(ExitCode::SUCCESS);
            }
            let known: Vec<u32> = envelope.keyring().versions().collect();
            let current = envelope.keyring().current_version();
            let note = |v: Option<u32>| match v {
                Some(v) if v == current => "current",
                Some(v) if known.contains(&v) => "old, still in keyring",
                _ => "MISSING from keyring",
            };
            for (label, n) in &status.workspace_keys {
                let v = label
                    .strip_prefix("platform v")
                    .and_then(|v| v.parse().ok());
                match v {
                    Some(_) => println!("workspace keys wrapped by {label}: {n} ({})", note(v)),
                    None => println!("workspace keys destroyed: {n}"),
                }
            }
            if status.values.is_empty() {
                println!("no values stored");
            }
            for (prefix, n) in &status.values {
                match prefix.split_once('.') {
                    Some(("ev2", v)) => println!("values under workspace key v{v}: {n}"),
                    Some((_, v)) => {
                        let v = v.parse().ok();
                        println!(
                            "values under platform key v{}: {n} ({})",
                            v.unwrap_or(0),
                            note(v)
                        )
                    }
                    None => println!("unreadable prefix {prefix}: {n}"),
                }
            }
            if status.personal_data_in_clear > 0 {
                println!(
                    "people and SSO links still in clear: {} (run `identity encryption rotate`)",
                    status.personal_data_in_clear
                );
            }
        }
        EncryptionCommand::Rotate { tenant, batch_size } => {
            if batch_size < 1 {
                bail!("--batch-size must be at least 1");
            }
            let report = |done, total| println!("moved {done}/{total}");
            match tenant {
                None => {
                    let done = rotation::rotate(&db, &envelope, batch_size, report).await?;
                    println!(
                        "rotation complete: {done} moved; workspace keys under platform key v{}, values under their workspace's key",
                        envelope.keyring().current_version()
                    );
                }
                Some(slug) => {
                    let t = tenant_by_slug(&db, &slug).await?;
                    let (version, done) =
                        rotation::rotate_workspace(&db, &envelope, t, batch_size, report).await?;
                    println!(
                        "rotation of {slug} complete: {done} moved, all under its key v{version}"
                    );
                }
            }
        }
        EncryptionCommand::GenerateKey { .. } => {}
    }
    Ok(ExitCode::SUCCESS)
}
