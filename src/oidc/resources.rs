//! The registry of platform resource servers (the CRM APIs that accept this service's
//! tokens). A workspace's application may only hold audiences listed here, so no workspace
//! administrator can register an application for the admin API, the issuer, the userinfo
//! endpoint or a string nobody vouched for. Managed by the operator, audited in the
//! platform's chain.

use crate::audit::{self, Action, Context};
use crate::config::TokenSettings;
use crate::db::models::resource_servers as model;
use crate::db::{Db, DbError, TenantTx};
use crate::ids::TenantId;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    #[error("refused: {0}")]
    Refused(&'static str),
    #[error("no such resource server")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
}

/// The audience of tokens for the userinfo endpoint (the default of a person's token).
pub fn userinfo_audience(settings: &TokenSettings) -> String {
    format!("{}/userinfo", settings.issuer.trim_end_matches('/'))
}

/// Audiences that are never a workspace application's: the admin API, the issuer itself
/// and the userinfo endpoint (each would make an application's token something else).
pub fn reserved(settings: &TokenSettings, audience: &str) -> bool {
    let issuer = settings.issuer.trim_end_matches('/');
    audience == settings.admin_audience
        || audience.trim_end_matches('/') == issuer
        || audience == userinfo_audience(settings)
}

fn plain_audience(a: &str) -> bool {
    (1..=500).contains(&a.len()) && !a.chars().any(|c| c.is_whitespace() || c.is_control())
}

pub async fn add(
    db: &Db,
    settings: &TokenSettings,
    audience: &str,
    name: &str,
    ctx: &Context<'_>,
) -> Result<(), ResourceError> {
    if !plain_audience(audience) || !crate::text::is_plain(name, 200) {
        return Err(ResourceError::Refused(
            "an audience and a name without spaces",
        ));
    }
    if reserved(settings, audience) {
        return Err(ResourceError::Refused(
            "the admin audience, the issuer and the userinfo audience are not resource servers",
        ));
    }
    let mut tx = db.tenant(TenantId::PLATFORM).await?;
    model::insert(&mut tx, audience, name, ctx.now).await?;
    let target = format!("resource_server:{audience}");
    ctx.record(&mut tx, Action::ResourceServerAdded, &target, json!({}))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A platform resource server: an audience workspace applications may hold.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ResourceServer {
    pub audience: String,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

pub async fn list(db: &Db) -> Result<Vec<ResourceServer>, ResourceError> {
    let mut tx = db.tenant_read(TenantId::PLATFORM).await?;
    let all = model::list(&mut tx).await?;
    tx.commit().await?;
    let shown = all.into_iter().map(|r| ResourceServer {
        audience: r.audience,
        name: r.name,
        created_at: r.created_at,
    });
    Ok(shown.collect())
}

/// Removes a resource server; applications that still hold it are refused tokens for it
/// from their next request on.
pub async fn remove(db: &Db, audience: &str, ctx: &Context<'_>) -> Result<(), ResourceError> {
    let mut tx = db.tenant(TenantId::PLATFORM).await?;
    if !model::delete(&mut tx, audience).await? {
        return Err(ResourceError::NotFound);
    }
    let target = format!("resource_server:{audience}");
    ctx.record(&mut tx, Action::ResourceServerRemoved, &target, json!({}))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The audiences of a workspace application that are not registered resource servers.
pub async fn refused_audiences(
    tx: &mut TenantTx,
    audiences: &[String],
) -> Result<Vec<String>, DbError> {
    model::unregistered(tx, audiences).await
}
