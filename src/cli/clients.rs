//! `identity clients`: the OAuth client registry.

use super::{envelope, print_json, tenant_by_slug};
use chrono::{Duration, Utc};
use clap::{Args, Subcommand};
use identity::config::Settings;
use identity::db::Db;
use identity::oidc::client_audiences;
use identity::oidc::clients::{self, ClientSpec};
use serde_json::json;
use std::process::ExitCode;

#[derive(Args)]
pub struct CreateArgs {
    #[arg(long)]
    name: String,
    /// Make a tenant client of this workspace; without it, a platform client.
    #[arg(long)]
    tenant: Option<String>,
    /// Chosen id for a platform client (e.g. crm-billing).
    #[arg(long)]
    client_id: Option<String>,
    #[arg(long = "grant-type", required = true)]
    grant_types: Vec<String>,
    #[arg(long = "audience")]
    audiences: Vec<String>,
    #[arg(long = "scope")]
    scopes: Vec<String>,
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// The audience this client is, as a resource server (lets it introspect such tokens).
    #[arg(long)]
    resource_audience: Option<String>,
    /// EdDSA (default), ES256 or RS256.
    #[arg(long)]
    alg: Option<String>,
    #[arg(long)]
    ttl_secs: Option<i64>,
    /// A workspace application its people are not asked to consent to.
    #[arg(long)]
    trusted: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
pub enum ClientsCommand {
    /// Register a client; prints its secret once.
    Create(Box<CreateArgs>),
    List {
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// New secret; the old one keeps working for the overlap.
    RotateSecret {
        #[arg(long)]
        client_id: String,
        #[arg(long)]
        overlap_secs: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    Delete {
        #[arg(long)]
        client_id: String,
    },
}

pub async fn run(settings: Settings, db: Db, command: ClientsCommand) -> anyhow::Result<ExitCode> {
    let envelope = envelope(&settings)?;
    match command {
        ClientsCommand::Create(a) => {
            let tenant = match &a.tenant {
                Some(slug) => Some(tenant_by_slug(&db, slug).await?),
                None => None,
            };
            let spec = ClientSpec {
                tenant,
                client_id: a.client_id,
                name: a.name,
                grant_types: a.grant_types,
                redirect_uris: a.redirect_uris,
                post_logout_redirect_uris: a.post_logout_redirect_uris,
                audiences: a.audiences,
                scopes: a.scopes,
                resource_audience: a.resource_audience,
                signing_alg: a
                    .alg
                    .map(|s| s.parse())
                    .transpose()
                    .map_err(|_| anyhow::anyhow!("--alg must be EdDSA, ES256 or RS256"))?,
                access_token_ttl_secs: a.ttl_secs,
                trusted: a.trusted,
            };
            let (client, secret) = clients::create(
                &db,
                &envelope,
                spec,
                settings.tokens.max_token_ttl_secs,
                "cli",
                Utc::now(),
            )
            .await?;
            if a.json {
                print_json(
                    &json!({"client": client, "client_id": client.client_id, "client_secret": secret}),
                )?;
            } else {
                println!("client_id: {}", client.client_id);
                println!("client_secret (shown once): {secret}");
            }
        }
        ClientsCommand::List { tenant, json } => {
            let tenant = match tenant {
                Some(slug) => Some(tenant_by_slug(&db, &slug).await?),
                None => None,
            };
            let list = clients::list(&db, tenant).await?;
            let mut rows = Vec::new();
            for c in list {
                let refused = client_audiences::refused_of(&db, &settings.tokens, &c).await?;
                rows.push((c, refused));
            }
            if json {
                let all: Vec<_> = rows
                    .iter()
                    .map(|(c, r)| json!({"client": c, "refused_audiences": r}))
                    .collect();
                print_json(&all)?;
            } else {
                for (c, refused) in rows {
                    let warning = match refused.is_empty() {
                        true => String::new(),
                        false => format!(
                            " REFUSED (not a registered resource server; no tokens until changed): {}",
                            refused.join(",")
                        ),
                    };
                    println!(
                        "{} {} grants={} audiences={}{warning}",
                        c.client_id,
                        c.name,
                        c.grant_types.join(","),
                        c.audiences.join(",")
                    );
                }
            }
        }
        ClientsCommand::RotateSecret {
            client_id,
            overlap_secs,
            json,
        } => {
            let overlap = Duration::seconds(
                overlap_secs
                    .unwrap_or(settings.tokens.rotation_overlap_secs)
                    .max(0),
            );
            let secret =
                clients::rotate_secret(&db, &envelope, &client_id, overlap, "cli", Utc::now())
                    .await?;
            if json {
                print_json(
                    &json!({"client_id": client_id, "client_secret": secret, "previous_secret_valid_for_secs": overlap.num_seconds()}),
                )?;
            } else {
                println!("client_secret (shown once): {secret}");
            }
        }
        ClientsCommand::Delete { client_id } => {
            clients::delete(&db, &envelope, &client_id, "cli", Utc::now()).await?;
            println!("deleted {client_id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
