//! API keys presented for introspection, answered from this instance's memory while the
//! change feed is trusted (invariant 8). What is remembered per key: its identity (role,
//! permissions cut to its maker's reach) and its live secret hashes. It is forgotten when
//! the key or its secrets change, and, for every key of a workspace, when anything that
//! decides a person's reach changes there (roles, grants, mappings, groups, a person's
//! status): those tables announce `authority:<tenant>`. Use is still recorded, at most once
//! a minute per key, in the background.

use super::service::{identity_of, ApiKeyIdentity};
use super::{hash, parse};
use crate::db::memory::Credential;
use crate::db::models::api_keys as model;
use crate::db::{Db, DbError};
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use uuid::Uuid;

/// How often a key's use is written down.
const RECORD_USE_EVERY_SECS: i64 = 60;

/// The identity a presented key stands for, if it is valid now.
pub async fn authenticate(
    db: &Db,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<Arc<ApiKeyIdentity>>, DbError> {
    let Some(parsed) = parse(key) else {
        return Ok(None);
    };
    let (tenant, key_id) = (parsed.tenant, parsed.key_id);
    let memory = db.memory();
    let ticket = memory.ticket();
    let entry = match ticket.map(|t| (t, memory.tenant_active(t, tenant))) {
        Some((_, Some(false))) => return Err(DbError::TenantNotActive),
        Some((t, Some(true))) => memory.api_key(t, tenant, key_id),
        _ => None,
    };
    let entry = match entry {
        Some(entry) => entry,
        None => match load(db, tenant, key_id, now).await? {
            Some(entry) => {
                if let Some(t) = ticket {
                    memory.remember_tenant(t, tenant, true);
                    memory.remember_api_key_credential(t, tenant, key_id, entry.clone());
                }
                entry
            }
            None => return Ok(None),
        },
    };
    let Ok(identity) = entry.holder.clone().downcast::<ApiKeyIdentity>() else {
        return Ok(None);
    };
    let live = identity.expires_at.is_none_or(|e| e > now);
    if !live || !entry.accepts(&hash(key), now) {
        return Ok(None);
    }
    record_use(db, &entry, tenant, key_id, now);
    Ok(Some(identity))
}

/// The usable key with its identity and live secrets, from the database.
async fn load(
    db: &Db,
    tenant: TenantId,
    key_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Arc<Credential>>, DbError> {
    let mut tx = db.tenant_read(tenant).await?;
    let found = model::find_usable(&mut tx, key_id, now).await?;
    let secrets = match found {
        Some(_) => model::live_secrets(&mut tx, key_id, now).await?,
        None => Vec::new(),
    };
    let identity = identity_of(&mut tx, found, now).await?;
    tx.commit().await?;
    Ok(identity.map(|i| Arc::new(Credential::new(Arc::new(i), secrets))))
}

/// Writes down the key's use, at most once a minute, without holding up the answer.
fn record_use(db: &Db, entry: &Credential, tenant: TenantId, key_id: Uuid, now: DateTime<Utc>) {
    let last = entry.last_recorded.load(Ordering::Acquire);
    let due = now.timestamp() - last >= RECORD_USE_EVERY_SECS;
    if !due
        || entry
            .last_recorded
            .compare_exchange(last, now.timestamp(), Ordering::AcqRel, Ordering::Acquire)
            .is_err()
    {
        return;
    }
    let db = db.clone();
    tokio::spawn(async move {
        let outcome = async {
            let mut tx = db.tenant_read(tenant).await?;
            model::touch(&mut tx, key_id, now).await?;
            tx.commit().await
        };
        if let Err(e) = outcome.await {
            tracing::warn!(error = %e, "could not record an API key's use");
        }
    });
}
