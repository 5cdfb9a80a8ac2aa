//! Clients on the hot path: read from this instance's memory while the change feed is
//! trusted, else (and on a miss) from the database, which also checks the owning workspace
//! is active. A client's secrets are kept as their SHA-256 with expiry, so authentication
//! needs no round trip either.

use super::clients::{hash_secret, tenant_of, Client, ClientError};
use crate::db::memory::Credential;
use crate::db::models::clients as model;
use crate::db::{Db, DbError};
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// An enabled client with its live secrets, or `None`. A workspace that is not active
/// answers `DbError::TenantNotActive`, from memory or from the database.
pub async fn entry(
    db: &Db,
    client_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Arc<Client>, Arc<Credential>)>, ClientError> {
    let owner = tenant_of(client_id);
    let memory = db.memory();
    let ticket = memory.ticket();
    if let Some(t) = ticket {
        match memory.tenant_active(t, owner) {
            Some(false) => return Err(DbError::TenantNotActive.into()),
            Some(true) => {
                if let Some(found) = memory.client(t, owner, client_id).and_then(view) {
                    return Ok(Some(found));
                }
            }
            None => {}
        }
    }
    let mut tx = match db.tenant_read(owner).await {
        Err(DbError::TenantNotActive) => {
            if let Some(t) = ticket {
                memory.remember_tenant(t, owner, false);
            }
            return Err(DbError::TenantNotActive.into());
        }
        other => other?,
    };
    let row = model::find(&mut tx, client_id).await?;
    let secrets = match &row {
        Some(_) => model::live_secrets(&mut tx, client_id, now).await?,
        None => Vec::new(),
    };
    tx.commit().await?;
    let Some(row) = row else {
        if let Some(t) = ticket {
            memory.remember_tenant(t, owner, true);
        }
        return Ok(None);
    };
    let client = Arc::new(Client::from_row(row)?);
    let entry = Arc::new(Credential::new(client.clone(), secrets));
    if let Some(t) = ticket {
        memory.remember_tenant(t, owner, true);
        memory.remember_client(t, owner, client_id, entry.clone());
    }
    Ok(Some((client, entry)))
}

fn view(entry: Arc<Credential>) -> Option<(Arc<Client>, Arc<Credential>)> {
    let client = entry.holder.clone().downcast::<Client>().ok()?;
    Some((client, entry))
}

/// The client `secret` authenticates (an enabled client, an unexpired secret), or `None`.
pub async fn authenticate(
    db: &Db,
    client_id: &str,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<Arc<Client>>, ClientError> {
    let Some((client, entry)) = entry(db, client_id, now).await? else {
        return Ok(None);
    };
    Ok(entry.accepts(&hash_secret(secret), now).then_some(client))
}

/// Whether `client_id` names an enabled client whose workspace is `expected` (or the
/// platform, whose clients hold tokens of any workspace).
pub async fn exists_for(
    db: &Db,
    client_id: &str,
    tenant: TenantId,
    now: DateTime<Utc>,
) -> Result<bool, ClientError> {
    let owner = tenant_of(client_id);
    if owner != tenant && owner != TenantId::PLATFORM {
        return Ok(false);
    }
    Ok(entry(db, client_id, now).await?.is_some())
}

/// Whether a lookup of `client_id` would be answered from memory (no round trip).
pub fn in_memory(db: &Db, client_id: &str) -> bool {
    let owner = tenant_of(client_id);
    let memory = db.memory();
    memory.ticket().is_some_and(|t| {
        memory.tenant_active(t, owner).is_some() && memory.client(t, owner, client_id).is_some()
    })
}
