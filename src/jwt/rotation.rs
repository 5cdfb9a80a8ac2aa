//! Signing key operations for operators: make sure every algorithm has an active key,
//! rotate (publish a new key ahead of its activation), revoke, list. Audited on the
//! platform chain.

use super::keys::{self, Alg};
use super::keyset::{private_context, KeySet, KeyState};
use crate::audit::Action;
use crate::audit::{self, AuditError, Event};
use crate::crypto::Envelope;
use crate::db::models::signing_keys::{self, SigningKeyRow};
use crate::db::{Db, DbError};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum KeyOpError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    #[error("no such signing key")]
    NotFound,
    #[error("key generation task failed")]
    Task,
}

#[derive(Debug, Serialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: Alg,
    pub state: KeyState,
    pub activates_at: DateTime<Utc>,
    pub retires_at: Option<DateTime<Utc>>,
    pub published_until: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

async fn create(
    db: &Db,
    envelope: &Envelope,
    alg: Alg,
    activates_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<String, KeyOpError> {
    let generated = tokio::task::spawn_blocking(move || keys::generate(alg))
        .await
        .map_err(|_| KeyOpError::Task)??;
    let row = SigningKeyRow {
        private_enc: envelope.seal(&private_context(&generated.kid), &generated.pkcs8),
        kid: generated.kid.clone(),
        alg: alg.as_str().to_string(),
        public_jwk: generated.public_jwk,
        created_at: now,
        activates_at,
        revoked_at: None,
    };
    let mut tx = db.platform().await?;
    signing_keys::insert(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(generated.kid)
}

/// Creates an immediately active key for each algorithm that has none (first start).
pub async fn ensure_active_keys(
    db: &Db,
    envelope: &Envelope,
    now: DateTime<Utc>,
) -> Result<Vec<String>, KeyOpError> {
    let mut tx = db.platform().await?;
    signing_keys::lock(&mut tx).await?;
    let rows = signing_keys::list_all(&mut tx).await?;
    let mut created = Vec::new();
    for alg in Alg::ALL {
        // The newest activated key of the algorithm signs, unless it was revoked.
        let newest = rows
            .iter()
            .filter(|r| r.alg == alg.as_str() && r.activates_at <= now)
            .max_by_key(|r| r.activates_at);
        if newest.is_some_and(|r| r.revoked_at.is_none()) {
            continue;
        }
        let generated = tokio::task::spawn_blocking(move || keys::generate(alg))
            .await
            .map_err(|_| KeyOpError::Task)??;
        let row = SigningKeyRow {
            private_enc: envelope.seal(&private_context(&generated.kid), &generated.pkcs8),
            kid: generated.kid.clone(),
            alg: alg.as_str().to_string(),
            public_jwk: generated.public_jwk,
            created_at: now,
            activates_at: now,
            revoked_at: None,
        };
        signing_keys::insert(&mut tx, &row).await?;
        created.push(generated.kid);
    }
    tx.commit().await?;
    for kid in &created {
        let event = Event {
            actor: "system",
            action: Action::SigningKeyCreated,
            target: &format!("signing_key:{kid}"),
            details: json!({"reason": "no active key"}),
        };
        audit::record_platform(db, envelope, event, now).await?;
    }
    Ok(created)
}

/// Publishes a new key of `alg` now; it signs from `now + publish_ahead`, when the current
/// key retires.
pub async fn rotate(
    db: &Db,
    envelope: &Envelope,
    alg: Alg,
    publish_ahead: Duration,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<KeyInfo, KeyOpError> {
    let activates_at = now + publish_ahead;
    let kid = create(db, envelope, alg, activates_at, now).await?;
    let event = Event {
        actor,
        action: Action::SigningKeyRotated,
        target: &format!("signing_key:{kid}"),
        details: json!({"alg": alg, "activates_at": activates_at}),
    };
    audit::record_platform(db, envelope, event, now).await?;
    Ok(KeyInfo {
        kid,
        alg,
        state: KeyState::Next,
        activates_at,
        retires_at: None,
        published_until: None,
        revoked_at: None,
    })
}

/// Withdraws a key at once: tokens it signed stop validating on the next refresh.
pub async fn revoke(
    db: &Db,
    envelope: &Envelope,
    kid: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), KeyOpError> {
    let mut tx = db.platform().await?;
    if !signing_keys::revoke(&mut tx, kid, now).await? {
        return Err(KeyOpError::NotFound);
    }
    tx.commit().await?;
    let event = Event {
        actor,
        action: Action::SigningKeyRevoked,
        target: &format!("signing_key:{kid}"),
        details: json!({}),
    };
    audit::record_platform(db, envelope, event, now).await?;
    // If that key was the one signing, a fresh key takes over at once (no publish-ahead:
    // a compromised key must stop signing now; verifiers refetch on an unknown kid).
    ensure_active_keys(db, envelope, now).await?;
    Ok(())
}

/// Every key with its state as of `now`.
pub async fn list(
    db: &Db,
    envelope: &Envelope,
    retention: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<KeyInfo>, KeyOpError> {
    let mut tx = db.platform().await?;
    let all = signing_keys::list_all(&mut tx).await?;
    tx.commit().await?;

    let set = KeySet::build(all.clone(), envelope, retention, &HashMap::new())
        .map_err(|_| keys::KeyError::InvalidMaterial)?;
    let mut out = Vec::new();
    for row in all {
        let alg: Alg = row.alg.parse()?;
        let loaded = set.keys().iter().find(|k| k.kid == row.kid);
        out.push(KeyInfo {
            state: loaded
                .map(|k| set.state(k, now))
                .unwrap_or(KeyState::Expired),
            retires_at: loaded.and_then(|k| k.superseded_at),
            published_until: loaded.and_then(|k| k.superseded_at).map(|s| s + retention),
            kid: row.kid,
            alg,
            activates_at: row.activates_at,
            revoked_at: row.revoked_at,
        });
    }
    Ok(out)
}
