//! IdP metadata kept current. A SAML connection configured by metadata URL is fetched again
//! when due (`sso.metadata_refresh_secs`, daily by default; of several instances, the one
//! that claims it first) and on demand (console button, admin API). New metadata under the
//! same entity id from that same URL is a rollover ([`super::idp_trust`]): applied, account
//! links kept, audited as `sso_connection.metadata_refreshed` with the old and new
//! certificate fingerprints. A changed entity id is another IdP: not applied (that takes an
//! admin's replace, which drops the links), audited as `sso_connection.metadata_refresh_refused`.

use super::connections::Site;
use super::idp_trust::fingerprints;
use super::outbound::Outbound;
use crate::audit::{Action, Context};
use crate::crypto::Envelope;
use crate::db::models::{due_work, sso_connections as model};
use crate::db::Db;
use crate::error::AppError;
use crate::ids::TenantId;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

/// What one refresh found.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Refreshed {
    /// The IdP serves the metadata already held.
    Unchanged,
    /// New metadata from the same IdP, applied; account links kept.
    RolledOver {
        old_fingerprints: Vec<String>,
        new_fingerprints: Vec<String>,
        sso_url_changed: bool,
    },
    /// Not applied, for the reason given (another entity id, unusable metadata).
    Refused { reason: String },
    /// The URL did not answer with metadata; nothing changed (tried again when next due).
    Unreachable,
}

/// The stored settings of a connection configured by URL, and that URL.
async fn configured(db: &Db, tenant: TenantId, id: Uuid) -> Result<(Value, String), AppError> {
    let mut tx = db.tenant_read(tenant).await?;
    let row = model::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let url = row.settings.get("idp_metadata_url").and_then(Value::as_str);
    match url.filter(|u| !u.is_empty() && row.kind == "saml") {
        Some(u) => Ok((row.settings.clone(), u.to_string())),
        None => Err(AppError::InvalidRequest(
            "this connection's IdP metadata was not given by URL, so there is nothing to fetch"
                .into(),
        )),
    }
}

/// The settings with `metadata` in place of the stored one, or why it cannot be used.
fn renewed(old: &Value, metadata: String, site: &Site<'_>) -> Result<Value, String> {
    let facts = super::connection_input::idp_facts(&metadata, site.net)?;
    if Some(facts.entity_id.as_str()) != old.get("idp_entity_id").and_then(Value::as_str) {
        let another =
            "the metadata names another entity id: replace the connection to trust another IdP";
        return Err(another.into());
    }
    let mut new = old.clone();
    new["idp_metadata"] = json!(metadata);
    new["idp_sso_url"] = json!(facts.sso_url);
    Ok(new)
}

/// Fetches connection `id`'s metadata from its URL and applies a rollover; `ctx` names who
/// asked (an admin, or `system` for the schedule).
pub async fn refresh(
    db: &Db,
    ctx: &Context<'_>,
    site: &Site<'_>,
    (tenant, id): (TenantId, Uuid),
) -> Result<Refreshed, AppError> {
    let (old, url) = configured(db, tenant, id).await?;
    let fetched = match url::Url::parse(&url) {
        Ok(u) if site.net.check(&u).is_ok() => site.net.get_text(u).await.ok(),
        _ => None,
    };
    let Some(metadata) = fetched else {
        tracing::warn!(%tenant, connection = %id, "IdP metadata could not be fetched");
        return Ok(Refreshed::Unreachable);
    };
    if old.get("idp_metadata").and_then(Value::as_str) == Some(metadata.as_str()) {
        return Ok(Refreshed::Unchanged);
    }
    let outcome = match renewed(&old, metadata, site) {
        Ok(new) => Ok(new),
        Err(reason) => Err(Refreshed::Refused { reason }),
    };
    record(db, ctx, (tenant, id), (&old, outcome)).await
}

/// Applies (or records the refusal of) a refresh in one transaction with its audit entry.
async fn record(
    db: &Db,
    ctx: &Context<'_>,
    (tenant, id): (TenantId, Uuid),
    (old, outcome): (&Value, Result<Value, Refreshed>),
) -> Result<Refreshed, AppError> {
    let now = ctx.now;
    let mut tx = db.tenant(tenant).await?;
    let (action, result) = match outcome {
        Ok(new) => {
            if !model::swap_settings(&mut tx, id, (old, &new), now).await? {
                // Replaced while the metadata was fetched: that replace decided.
                return Ok(Refreshed::Unchanged);
            }
            let metadata = |v: &Value| fingerprints(v["idp_metadata"].as_str().unwrap_or_default());
            let result = Refreshed::RolledOver {
                old_fingerprints: metadata(old),
                new_fingerprints: metadata(&new),
                sso_url_changed: old["idp_sso_url"] != new["idp_sso_url"],
            };
            (Action::SsoConnectionMetadataRefreshed, result)
        }
        Err(refused) => (Action::SsoConnectionMetadataRefreshRefused, refused),
    };
    let details = serde_json::to_value(&result).map_err(AppError::internal)?;
    let target = format!("sso_connection:{id}");
    ctx.record(&mut tx, action, &target, details).await?;
    tx.commit().await?;
    Ok(result)
}

/// Refreshes every connection of every workspace whose fetch is due, each by one instance.
pub async fn refresh_due(
    db: &Db,
    envelope: &Envelope,
    site: &Site<'_>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let tenants = {
        let mut ptx = db.platform().await?;
        let due = due_work::tenants_with_due_metadata(&mut ptx, now).await?;
        ptx.commit().await?;
        due
    };
    let mut done = 0;
    for tenant in tenants {
        let mut tx = db.tenant(tenant).await?;
        let mut claimed = Vec::new();
        for (id, due_at) in model::refresh_due(&mut tx, now).await? {
            if model::claim_refresh(&mut tx, id, due_at, now + site.metadata_refresh).await? {
                claimed.push(id);
            }
        }
        tx.commit().await?;
        let ctx = Context::system(envelope, now);
        for id in claimed {
            refresh(db, &ctx, site, (tenant, id)).await?;
            done += 1;
        }
    }
    Ok(done)
}

/// Runs [`refresh_due`] in the background, about every tenth of the refresh interval
/// (at most hourly, at least every second).
pub fn spawn(db: Db, envelope: Envelope, net: Outbound, public_url: String, every: Duration) {
    let tick = (every.num_seconds() / 10).clamp(1, 3600) as u64;
    tokio::spawn(async move {
        let site = Site {
            public_url: &public_url,
            net: &net,
            metadata_refresh: every,
        };
        let mut timer = tokio::time::interval(std::time::Duration::from_secs(tick));
        loop {
            timer.tick().await;
            if let Err(e) = refresh_due(&db, &envelope, &site, Utc::now()).await {
                tracing::warn!(error = %e, "IdP metadata refresh did not finish; retried next round");
            }
        }
    });
}
