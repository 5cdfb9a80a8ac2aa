//! The registry of platform resource servers (the CRM APIs that accept this service's
//! tokens). A workspace's application may only hold audiences listed here, so no workspace
//! administrator can register an application for the admin API, the issuer, the userinfo
//! endpoint or a string nobody vouched for. Managed by the operator, audited in the
//! platform's chain.

use super::clients::ClientError;
use super::person_grants::userinfo_audience;
use crate::audit::{self, Action, Context, Event};
use crate::config::TokenSettings;
use crate::crypto::Envelope;
use crate::db::models::resource_servers as model;
pub use crate::db::models::resource_servers::ResourceServer;
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

async fn record(
    tx: &mut TenantTx,
    envelope: &Envelope,
    ctx: &Context<'_>,
    action: Action,
    audience: &str,
) -> Result<(), ResourceError> {
    let event = Event {
        actor: ctx.actor,
        action,
        target: &format!("resource_server:{audience}"),
        details: json!({}),
    };
    audit::record(tx, envelope, event, ctx.origin, ctx.now).await?;
    Ok(())
}

pub async fn add(
    db: &Db,
    (envelope, settings): (&Envelope, &TokenSettings),
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
    record(
        &mut tx,
        envelope,
        ctx,
        Action::ResourceServerAdded,
        audience,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list(db: &Db) -> Result<Vec<ResourceServer>, ResourceError> {
    let mut tx = db.tenant_read(TenantId::PLATFORM).await?;
    let all = model::list(&mut tx).await?;
    tx.commit().await?;
    Ok(all)
}

/// Removes a resource server; applications that still hold it are refused tokens for it
/// from their next request on.
pub async fn remove(
    db: &Db,
    envelope: &Envelope,
    audience: &str,
    ctx: &Context<'_>,
) -> Result<(), ResourceError> {
    let mut tx = db.tenant(TenantId::PLATFORM).await?;
    if !model::delete(&mut tx, audience).await? {
        return Err(ResourceError::NotFound);
    }
    record(
        &mut tx,
        envelope,
        ctx,
        Action::ResourceServerRemoved,
        audience,
    )
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

/// Registration and change rule of a workspace application's audiences.
pub async fn require_registered(
    tx: &mut TenantTx,
    audiences: &[String],
) -> Result<(), ClientError> {
    if refused_audiences(tx, audiences).await?.is_empty() {
        Ok(())
    } else {
        Err(ClientError::Invalid(
            "audiences: a workspace application may only hold the platform's registered resource servers",
        ))
    }
}

/// Whether a client may still get tokens: a workspace application holding an audience that
/// is not (or no longer) a registered resource server, or a reserved one, is refused every
/// token until an administrator changes it. The platform's own clients are the operator's.
pub async fn client_in_bounds(
    tx: &mut TenantTx,
    settings: &TokenSettings,
    client: &super::clients::Client,
) -> Result<bool, DbError> {
    if client.tenant_id.is_none() {
        return Ok(true);
    }
    if client.audiences.iter().any(|a| reserved(settings, a)) {
        return Ok(false);
    }
    Ok(refused_audiences(tx, &client.audiences).await?.is_empty())
}

/// [`client_in_bounds`] for a token request.
pub async fn require_in_bounds(
    tx: &mut TenantTx,
    settings: &TokenSettings,
    client: &super::clients::Client,
) -> Result<(), super::error::OAuthError> {
    if client_in_bounds(tx, settings, client).await? {
        Ok(())
    } else {
        Err(super::error::OAuthError::UnauthorizedClient(
            "the client holds an audience that is not a registered resource server",
        ))
    }
}

/// [`require_in_bounds`] in a read of its own (the machine grant holds no transaction). A
/// platform client costs nothing: the hot path stays in memory.
pub async fn require_client_in_bounds(
    db: &Db,
    settings: &TokenSettings,
    client: &super::clients::Client,
) -> Result<(), super::error::OAuthError> {
    let Some(tenant) = client.tenant_id else {
        return Ok(());
    };
    let mut tx = db.tenant_read(tenant).await?;
    require_in_bounds(&mut tx, settings, client).await?;
    tx.commit().await?;
    Ok(())
}

/// The audiences of `client` it may not hold (reserved, or not a registered resource
/// server); empty for the platform's own clients. For the operator's client list.
pub async fn refused_of(
    db: &Db,
    settings: &TokenSettings,
    client: &super::clients::Client,
) -> Result<Vec<String>, DbError> {
    let Some(tenant) = client.tenant_id else {
        return Ok(Vec::new());
    };
    let mut tx = db.tenant_read_any_status(tenant).await?;
    let mut refused = refused_audiences(&mut tx, &client.audiences).await?;
    tx.commit().await?;
    for a in client.audiences.iter().filter(|a| reserved(settings, a)) {
        if !refused.contains(a) {
            refused.push(a.clone());
        }
    }
    Ok(refused)
}
