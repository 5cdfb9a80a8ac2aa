//! Tamper-evident audit log: every privileged action appends to its tenant's hash chain
//! in the same transaction as the action itself.

pub mod chain;
pub mod verify;

use crate::crypto::{Envelope, SecretContext};
use crate::db::models::{audit as model, secrets};
use crate::db::{Db, DbError, TenantTx};
use crate::ids::TenantId;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::net::IpAddr;

const IP_SALT: &str = "audit_ip_salt";
/// Name of the tenant secret that keys the chain's HMAC.
pub const CHAIN_KEY: &str = "audit_chain_key";

/// Who did it, e.g. `user:<id>`, `cli`, `scim_token:<id>`.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub details: Value,
}

/// Request facts every entry carries.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub trace_id: String,
    pub ip: Option<IpAddr>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("audit salt: {0}")]
    Salt(#[from] crate::crypto::envelope::EnvelopeError),
}

impl From<AuditError> for crate::error::AppError {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::Db(db) => db.into(),
            other => crate::error::AppError::internal(other),
        }
    }
}

/// Appends `event` to the chain of the transaction's tenant; returns its sequence number.
pub async fn record(
    tx: &mut TenantTx,
    envelope: &Envelope,
    event: Event<'_>,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<i64, AuditError> {
    // In a transaction that already appended, the chain lock is held and the head and the
    // secrets are known; otherwise lock, head and both sealed secrets come in one round trip.
    let cached = match (tx.staged_audit_head(), tx.audit_secrets()) {
        (Some(last), Some((key, salt))) => Some((
            (last.seq + 1, last.hash.clone()),
            key.to_vec(),
            salt.map(<[u8]>::to_vec),
        )),
        _ => None,
    };
    let ((seq, prev_hash), key, mut salt) = match cached {
        Some(c) => c,
        None => {
            let head = model::lock_and_head(tx).await?;
            let open = |name: &'static str,
                        sealed: Option<String>|
             -> Result<Option<Vec<u8>>, AuditError> {
                sealed
                    .map(|s| {
                        envelope
                            .open(&secret_context(tx, name), &s)
                            .map(|v| v.to_vec())
                            .map_err(AuditError::from)
                    })
                    .transpose()
            };
            let salt = open(IP_SALT, head.ip_salt_enc)?;
            let key = match open(CHAIN_KEY, head.chain_key_enc)? {
                Some(k) => k,
                None => ensure_secret(tx, envelope, CHAIN_KEY).await?,
            };
            let position = match (head.seq, head.hash) {
                (Some(seq), Some(hash)) => (seq + 1, hash),
                _ => (1, chain::GENESIS.to_string()),
            };
            (position, key, salt)
        }
    };
    let ip_hash = match origin.ip {
        Some(ip) => {
            let s = match salt.take() {
                Some(s) => s,
                None => ensure_secret(tx, envelope, IP_SALT).await?,
            };
            let h = hash_ip(&s, ip);
            salt = Some(s);
            Some(h)
        }
        None => None,
    };
    let mut row = model::AuditRow {
        seq,
        occurred_at: chain::to_micros(now),
        actor: event.actor.to_string(),
        action: event.action.to_string(),
        target: event.target.to_string(),
        trace_id: origin.trace_id.clone(),
        ip_hash,
        details: event.details,
        prev_hash,
        hash: String::new(),
    };
    row.hash = chain::entry_hash(&key, &row.prev_hash, &row);
    if tx.in_transaction() {
        // Written with COMMIT, in the same round trip (`TenantTx::commit`).
        tx.keep_audit_secrets(key, salt);
        tx.stage_audit(row);
    } else {
        model::insert(tx, &row).await?;
    }
    Ok(seq)
}

/// Appends to the platform chain (key rotations and other platform-wide actions) in a
/// transaction of its own.
pub async fn record_platform(
    db: &Db,
    envelope: &Envelope,
    event: Event<'_>,
    now: DateTime<Utc>,
) -> Result<i64, AuditError> {
    let mut tx = db.tenant(TenantId::PLATFORM).await?;
    let seq = record(&mut tx, envelope, event, &Origin::default(), now).await?;
    tx.commit().await?;
    Ok(seq)
}

pub fn secret_context(tx: &TenantTx, name: &'static str) -> SecretContext<'static> {
    SecretContext {
        tenant: tx.tenant(),
        table: secrets::TABLE,
        column: secrets::COLUMN,
        row: name,
    }
}

/// The tenant's secret `name` (IP salt, chain key), 32 random bytes made on first use and
/// kept envelope-encrypted.
pub async fn ensure_secret(
    tx: &mut TenantTx,
    envelope: &Envelope,
    name: &'static str,
) -> Result<Vec<u8>, AuditError> {
    let ctx = secret_context(tx, name);
    let stored = match secrets::get(tx, name).await? {
        Some(s) => s,
        None => {
            let fresh = envelope.seal(&ctx, &crate::crypto::random::bytes::<32>());
            secrets::insert_or_get(tx, name, &fresh).await?
        }
    };
    Ok(envelope.open(&ctx, &stored)?.to_vec())
}

/// Creates the secrets a new tenant's audit log needs.
pub async fn prepare_tenant(tx: &mut TenantTx, envelope: &Envelope) -> Result<(), AuditError> {
    ensure_secret(tx, envelope, IP_SALT).await?;
    ensure_secret(tx, envelope, CHAIN_KEY).await?;
    Ok(())
}

fn hash_ip(salt: &[u8], ip: IpAddr) -> String {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(ip.to_string().as_bytes());
    hex::encode(h.finalize())
}
