//! Whether a token whose signature and claims checked out is still honoured: its workspace
//! is active, it is not revoked, its sign-in session (if any) is active, and its client or
//! API key still exists. Answered from this instance's memory while the change feed is
//! trusted (invariant 8), else from one read session of the token's workspace; what that
//! read learns is remembered for the next call.

use super::client_lookup;
use super::clients::tenant_of as owner_of_client;
use super::error::OAuthError;
use crate::apikeys::service as keys_service;
use crate::db::memory::{Memory, Ticket};
use crate::db::models::{revocations, sessions};
use crate::db::{Db, DbError};
use crate::ids::TenantId;
use crate::jwt::claims::AccessClaims;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Who a token acts for, as far as being honoured goes.
enum Holder<'a> {
    ApiKey(Uuid),
    Client(&'a str),
    /// A subject that cannot be honoured (malformed, or a client of another workspace).
    Nobody,
}

/// The workspace a token belongs to (`tid`, or the platform), if well formed.
pub fn tenant_of_claims(claims: &AccessClaims) -> Option<TenantId> {
    match &claims.tid {
        None => Some(TenantId::PLATFORM),
        Some(t) => Uuid::try_parse(t).ok().map(TenantId),
    }
}

fn holder(claims: &AccessClaims, tenant: TenantId) -> Holder<'_> {
    match claims.sub.strip_prefix("apikey:") {
        Some(key) => Uuid::try_parse(key).map_or(Holder::Nobody, Holder::ApiKey),
        // A tenant client's tokens stay in its tenant; a platform client (a CRM front end)
        // holds tokens of any tenant's people.
        None => match owner_of_client(&claims.client_id) {
            owner if owner == tenant || owner == TenantId::PLATFORM => {
                Holder::Client(&claims.client_id)
            }
            _ => Holder::Nobody,
        },
    }
}

fn session_id(claims: &AccessClaims) -> Option<Result<Uuid, ()>> {
    claims
        .sid
        .as_deref()
        .map(|s| Uuid::try_parse(s).map_err(|_| ()))
}

pub async fn still_honoured(
    db: &Db,
    claims: &AccessClaims,
    now: DateTime<Utc>,
) -> Result<bool, OAuthError> {
    let Some(tenant) = tenant_of_claims(claims) else {
        return Ok(false);
    };
    let holder = holder(claims, tenant);
    let Some(sid) = session_id(claims).transpose().ok() else {
        return Ok(false);
    };
    let memory = db.memory();
    let ticket = memory.ticket();
    if let Some(t) = ticket {
        if let Some(answer) = remembered(memory, t, tenant, claims, sid, &holder, now) {
            return Ok(answer);
        }
    }
    let honoured = read(db, ticket, tenant, claims, sid, &holder, now).await?;
    // The client lives in its owner's workspace (the platform's, perhaps): its own lookup,
    // from memory when it can.
    Ok(honoured
        && match holder {
            Holder::Client(id) => client_lookup::exists_for(db, id, tenant, now)
                .await
                .or_else(|e| match OAuthError::from(e) {
                    OAuthError::WorkspaceSuspended => Ok(false),
                    other => Err(other),
                })?,
            _ => true,
        })
}

/// The answer from memory alone: `Some(false)` as soon as one remembered fact refuses,
/// `Some(true)` when every fact is remembered and allows, `None` when one is missing.
fn remembered(
    memory: &Memory,
    t: Ticket,
    tenant: TenantId,
    claims: &AccessClaims,
    sid: Option<Uuid>,
    holder: &Holder<'_>,
    now: DateTime<Utc>,
) -> Option<bool> {
    let facts = [
        memory.tenant_active(t, tenant),
        memory.revoked(t, tenant, &claims.jti).map(|r| !r),
        sid.map_or(Some(true), |s| memory.session_active(t, tenant, s, now)),
        match holder {
            Holder::ApiKey(k) => memory.api_key_usable(t, tenant, *k, now),
            // Known only while remembered: a forgotten client is looked up again.
            Holder::Client(id) => memory.client(t, owner_of_client(id), id).map(|_| true),
            Holder::Nobody => Some(false),
        },
    ];
    if facts.contains(&Some(false)) {
        return Some(false);
    }
    facts.iter().all(|f| f.is_some()).then_some(true)
}

/// Everything but the client from the database, remembered when the ticket still allows.
async fn read(
    db: &Db,
    ticket: Option<Ticket>,
    tenant: TenantId,
    claims: &AccessClaims,
    sid: Option<Uuid>,
    holder: &Holder<'_>,
    now: DateTime<Utc>,
) -> Result<bool, OAuthError> {
    let memory = db.memory();
    let mut tx = match db.tenant_read(tenant).await {
        Err(DbError::TenantNotActive) => {
            if let Some(t) = ticket {
                memory.remember_tenant(t, tenant, false);
            }
            return Ok(false);
        }
        other => other?,
    };
    let revoked = revocations::is_revoked(&mut tx, &claims.jti).await?;
    let session = match sid {
        Some(s) => Some((s, sessions::expiry_if_active(&mut tx, s, now).await?)),
        None => None,
    };
    let key = match holder {
        // The whole maker chain: a key made by a revoked or expired key is not honoured.
        Holder::ApiKey(k) => Some((*k, keys_service::usable_until(&mut tx, *k, now).await?)),
        _ => None,
    };
    tx.commit().await?;
    if let Some(t) = ticket {
        memory.remember_tenant(t, tenant, true);
        memory.remember_revoked(t, tenant, &claims.jti, revoked);
        if let Some((s, entry)) = session {
            memory.remember_session(t, tenant, s, entry);
        }
        if let Some((k, entry)) = key {
            memory.remember_api_key(t, tenant, k, entry);
        }
    }
    Ok(!revoked
        && session.is_none_or(|(_, e)| e.is_some())
        && key.is_none_or(|(_, e)| e.is_some())
        && !matches!(holder, Holder::Nobody))
}
