//! The rules on one application's audiences, over the registry of [`super::resources`]: a
//! workspace application may hold only registered resource servers (checked when it is
//! registered or changed, and again at every token request, so an application that holds
//! a refused audience gets no token until an administrator changes it).

use super::clients::Client;
use super::error::OAuthError;
use super::resources::{refused_audiences, reserved};
use crate::config::TokenSettings;
use crate::db::{Db, DbError, TenantTx};

/// Whether a client may still get tokens: a workspace application holding an audience that
/// is not (or no longer) a registered resource server, or a reserved one, is refused every
/// token until an administrator changes it. The platform's own clients are the operator's.
pub async fn client_in_bounds(
    tx: &mut TenantTx,
    settings: &TokenSettings,
    client: &Client,
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
    client: &Client,
) -> Result<(), OAuthError> {
    if client_in_bounds(tx, settings, client).await? {
        Ok(())
    } else {
        Err(OAuthError::UnauthorizedClient(
            "the client holds an audience that is not a registered resource server",
        ))
    }
}

/// [`require_in_bounds`] in a read of its own (the machine grant holds no transaction). A
/// platform client costs nothing: the hot path stays in memory.
pub async fn require_client_in_bounds(
    db: &Db,
    settings: &TokenSettings,
    client: &Client,
) -> Result<(), OAuthError> {
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
    client: &Client,
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
