//! A sign-in waiting for its second factor (or for enrolment). It is bound to the browser
//! by a `__Host-` cookie (`idm_` + tenant + secret; only SHA-256 stored), lives five
//! minutes, and is used once. It carries the authorization request to finish afterwards.

use super::FRESH_SECS;
use crate::crypto::tenant_token;
use crate::db::models::mfa as model;
use crate::db::{Db, DbError, TenantTx};
use crate::ids::{TenantId, UserId};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use uuid::Uuid;

const PREFIX: &str = "idm_";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Pass an existing factor.
    Verify,
    /// Set one up (the workspace requires it, or the client asked for MFA).
    Enrol,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Verify => "verify",
            Purpose::Enrol => "enrol",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Pending {
    pub tenant: TenantId,
    pub user: UserId,
    pub purpose: Purpose,
    /// The authorization request's parameters, validated again when the sign-in finishes.
    pub request: HashMap<String, String>,
    /// A password-only session this sign-in steps up; it ends when the new one starts.
    pub replaces_session: Option<Uuid>,
    /// When the first step (password or SSO) passed.
    pub started_at: DateTime<Utc>,
    /// How the first step went: `pwd`, or `fed` for an SSO sign-in.
    pub primary_amr: Vec<String>,
}

/// Starts a pending sign-in; returns the cookie value (never stored).
pub async fn start(
    tx: &mut TenantTx,
    user: UserId,
    purpose: Purpose,
    request: &HashMap<String, String>,
    replaces_session: Option<Uuid>,
    primary_amr: &[String],
    now: DateTime<Utc>,
) -> Result<String, DbError> {
    let cookie = tenant_token::mint(PREFIX, tx.tenant());
    let request = serde_json::to_value(request).unwrap_or_default();
    model::insert_pending(
        tx,
        &model::NewPending {
            token_hash: &tenant_token::hash(&cookie),
            user: user.0,
            purpose: purpose.as_str(),
            request: &request,
            replaces_session,
            primary_amr,
            now,
            expires_at: now + Duration::seconds(FRESH_SECS),
        },
    )
    .await?;
    Ok(cookie)
}

/// The live pending sign-in a cookie names.
pub async fn find(db: &Db, cookie: &str, now: DateTime<Utc>) -> Result<Option<Pending>, DbError> {
    let Some(tenant) = tenant_token::tenant_of(PREFIX, cookie) else {
        return Ok(None);
    };
    let mut tx = db.tenant_read(tenant).await?;
    let row = model::pending(&mut tx, &tenant_token::hash(cookie), now).await?;
    tx.commit().await?;
    Ok(row.map(|r| Pending {
        tenant,
        user: UserId(r.user_id),
        purpose: if r.purpose == "enrol" {
            Purpose::Enrol
        } else {
            Purpose::Verify
        },
        request: serde_json::from_value(r.request).unwrap_or_default(),
        replaces_session: r.replaces_session,
        started_at: r.created_at,
        primary_amr: r.primary_amr,
    }))
}

/// Uses the pending sign-in up; `false` when it was already used or has expired.
pub async fn finish(tx: &mut TenantTx, cookie: &str, now: DateTime<Utc>) -> Result<bool, DbError> {
    model::finish_pending(tx, &tenant_token::hash(cookie), now).await
}
